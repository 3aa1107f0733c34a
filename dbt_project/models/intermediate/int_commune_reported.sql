-- Every xã row of every submission in force, with its criteria count: the candidates from which
-- int_commune_month picks one per commune and month, and int_commune_known_month carries forward.
-- A commune code is looked up in the list in force on the last day of the month (code AND list);
-- rows naming a ward, township or special zone stay in raw (the reader warned
-- `not_a_rural_commune`) and never reach the counts.
with set_size as (
    select criteria_set, count(*) as criteria_total
    from {{ ref('criteria') }}
    where level = 'commune'
    group by criteria_set
)

select
    l.month,
    l.submitting_unit_code,
    c.commune_code,
    c.commune_name,
    u.parent_code as unit_parent_code,
    l.district_code,
    l.province_code,
    l.submission_id,
    l.criteria_set,
    l.specificity,
    l.received_at,
    coalesce(m.criteria_met, 0)::integer as criteria_met,
    coalesce(z.criteria_total, 19)::integer as criteria_total,
    c.ntm_title,
    c.title_date,
    c.hardship
from {{ ref('int_latest_submission') }} as l
inner join {{ ref('stg_raw__tieu_chi_xa') }} as c on c.submission_id = l.submission_id
inner join {{ ref('stg_ref__admin_unit') }} as u
    on u.unit_code = c.commune_code
    and {{ in_force('u', 'l.month') }}
    and {{ is_xa('u') }}
-- the marks counted per row (an index lookup), not aggregated over every month first: a model that
-- reads a few months (an incremental build) then reads only their marks
left join lateral (
    select count(*) filter (where k.is_met) as criteria_met
    from {{ ref('stg_raw__tieu_chi_xa_mark') }} as k
    where k.submission_id = c.submission_id and k.commune_code = c.commune_code
) as m on true
left join set_size as z on z.criteria_set = l.criteria_set
