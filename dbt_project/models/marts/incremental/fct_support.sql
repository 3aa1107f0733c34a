{%- set months = plan_rebuild(months_to_rebuild(ref('stg_raw__ho_tro'))) -%}
{{ config(pre_hook="{{ delete_months(planned_months()) }}") }}
-- Support to communes in hardship per commune, agency and month (incremental by month).
select
    month::date as month,
    commune_code::text as commune_code,
    district_code::text as district_code,
    province_code::text as province_code,
    supporting_agency::text as supporting_agency,
    value_mvnd::numeric(18, 3) as value_mvnd,
    description::text as description,
    submission_id::bigint as submission_id
from {{ ref('int_support_month') }} as src
where {{ month_filter('src.month', months) }}
