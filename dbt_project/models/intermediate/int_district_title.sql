-- The district title as last reported up to each month (tieu_chi_huyen is optional except in
-- December): one row per district and month in which it reported district criteria.
select
    l.month,
    l.district_code,
    l.province_code,
    count(*) filter (where h.is_met)::integer as district_criteria_met,
    max(h.district_title) as district_title,
    l.submission_id
from {{ ref('int_latest_submission') }} as l
inner join {{ ref('stg_raw__tieu_chi_huyen') }} as h on h.submission_id = l.submission_id
where l.district_code is not null
group by l.month, l.district_code, l.province_code, l.submission_id
