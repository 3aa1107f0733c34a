-- District criteria and title as reported (tieu_chi_huyen is optional except in December): one
-- row per district and month in which the submission in force carries district criteria. The
-- district set is that of the submission's criteria set (Decision 558 for 2016-2020, Decision
-- 320 for 2021-2025); districts exist until 2025-06.
with set_size as (
    select criteria_set, count(*) as criteria_total
    from {{ ref('criteria') }}
    where level = 'district'
    group by criteria_set
)

select
    l.month,
    l.district_code,
    l.province_code,
    l.criteria_set,
    count(*) filter (where h.is_met)::integer as district_criteria_met,
    coalesce(max(z.criteria_total), 9)::integer as district_criteria_total,
    coalesce(max(h.district_title), 'none') as district_title,
    max(h.title_decision) as title_decision,
    max(h.title_date) as title_date,
    l.submission_id
from {{ ref('int_latest_submission') }} as l
inner join {{ ref('stg_raw__tieu_chi_huyen') }} as h on h.submission_id = l.submission_id
left join set_size as z on z.criteria_set = l.criteria_set
where l.district_code is not null
group by l.month, l.district_code, l.province_code, l.criteria_set, l.submission_id
