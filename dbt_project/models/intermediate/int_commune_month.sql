-- One row per commune and month from the submission in force, with its criteria count.
with reported as (
    select
        l.month,
        c.commune_code,
        c.commune_name,
        l.district_code,
        l.province_code,
        l.submission_id,
        l.criteria_set,
        c.ntm_title,
        c.title_date,
        c.hardship,
        c.criteria_met_reported,
        row_number() over (
            partition by l.month, c.commune_code
            order by l.specificity, l.received_at desc, l.submission_id desc
        ) as pick
    from {{ ref('int_latest_submission') }} as l
    inner join {{ ref('stg_raw__tieu_chi_xa') }} as c on c.submission_id = l.submission_id
),

marks as (
    select
        submission_id,
        commune_code,
        count(*) filter (where is_met) as criteria_met
    from {{ ref('stg_raw__tieu_chi_xa_mark') }}
    group by submission_id, commune_code
),

set_size as (
    select criteria_set, count(*) as criteria_total
    from {{ ref('criteria') }}
    where level = 'commune'
    group by criteria_set
)

select
    r.month,
    r.commune_code,
    r.commune_name,
    r.district_code,
    r.province_code,
    r.submission_id,
    r.criteria_set,
    coalesce(m.criteria_met, 0)::integer as criteria_met,
    coalesce(z.criteria_total, 19)::integer as criteria_total,
    r.ntm_title,
    r.title_date,
    r.hardship
from reported as r
left join marks as m on m.submission_id = r.submission_id and m.commune_code = r.commune_code
left join set_size as z on z.criteria_set = r.criteria_set
where r.pick = 1
