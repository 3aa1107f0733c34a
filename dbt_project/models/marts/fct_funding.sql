{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='month',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_changed_months(ref('int_funding_series'), extend_to_year_end=true) }}",
        post_hook="{{ month_index() }}"
    )
}}
-- Funding per unit, source and capital type and month (incremental by month; a changed month
-- also rebuilds the later months of its year, whose increments depend on it).
select
    month::date as month,
    unit_code::text as unit_code,
    district_code::text as district_code,
    province_code::text as province_code,
    source_code::text as source_code,
    capital_type::text as capital_type,
    amount_ytd_mvnd::numeric(18, 3) as amount_ytd_mvnd,
    amount_month_mvnd::numeric(18, 3) as amount_month_mvnd,
    months_covered::integer as months_covered,
    (months_covered > 1)::boolean as increment_spans_gap,
    is_estimate::boolean as is_estimate,
    submission_id::bigint as submission_id
from {{ ref('int_funding_series') }} as src
where {{ months_absent_from_target('src.month') }}
