{%- set months = plan_rebuild(months_to_rebuild(ref('stg_raw__nguon_von'), extend_to_year_end=true)) -%}
{{ config(pre_hook="{{ delete_months(planned_months()) }}") }}
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
{#- the year as a literal lets PostgreSQL filter below the window of int_funding_series -#}
{%- set years = [] -%}
{%- for m in months %}{% if m[:4] not in years %}{% do years.append(m[:4]) %}{% endif %}{% endfor %}
where {{ month_filter('src.month', months) }}
{%- if years %} and src.year_no in ({{ years | join(', ') }}){% endif %}
