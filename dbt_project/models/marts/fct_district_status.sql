-- District criteria and title per district and month reported (marts.md): the 9 district
-- criteria of the set in force for the submission (Decision 558 for 2016-2020, Decision 320 for
-- 2021-2025). Districts exist until 2025-06.
select
    month::date as month,
    district_code::text as district_code,
    province_code::text as province_code,
    criteria_set::text as criteria_set,
    district_criteria_met::integer as criteria_met,
    district_criteria_total::integer as criteria_total,
    district_title::text as district_title,
    title_decision::text as title_decision,
    title_date::date as title_date,
    submission_id::bigint as submission_id
from {{ ref('int_district_title') }}
