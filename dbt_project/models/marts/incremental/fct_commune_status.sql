{%- set months = plan_rebuild(months_to_rebuild(ref('stg_raw__tieu_chi_xa'))) -%}
{#- indexed on (commune_code, month) too: fct_commune_title_change looks up each commune's report
    before the months it rebuilds -#}
{{ config(
    pre_hook="{{ delete_months(planned_months()) }}",
    post_hook="{{ table_index('commune_idx', 'commune_code, month') }}"
) }}
-- Commune status per month from the submission in force (incremental by month).
select
    month::date as month,
    commune_code::text as commune_code,
    commune_name::text as commune_name,
    district_code::text as district_code,
    province_code::text as province_code,
    criteria_set::text as criteria_set,
    criteria_met::integer as criteria_met,
    criteria_total::integer as criteria_total,
    ntm_title::text as ntm_title,
    title_date::date as title_date,
    {{ criteria_band('criteria_met') }}::text as criteria_band,
    (ntm_title <> 'none' and criteria_met < criteria_total)::boolean as title_at_risk,
    hardship::text as hardship,
    submission_id::bigint as submission_id
from {{ ref('int_commune_month') }} as src
where {{ month_filter('src.month', months) }}
