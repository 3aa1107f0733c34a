{%- set months = plan_rebuild(months_to_rebuild(ref('stg_raw__tieu_chi_xa_mark'))) -%}
{{ config(pre_hook="{{ delete_months(planned_months()) }}") }}
-- One criterion mark per commune and month (incremental by month).
select
    month::date as month,
    commune_code::text as commune_code,
    district_code::text as district_code,
    province_code::text as province_code,
    criteria_set::text as criteria_set,
    criterion_code::text as criterion_code,
    is_met::boolean as is_met,
    submission_id::bigint as submission_id
from {{ ref('int_commune_criteria') }} as src
where {{ month_filter('src.month', months) }}
