{#- Incremental by year tail, like int_funding_series (carry-forward stays within a year): in each
    year whose reported figures changed (compared on the rows that are not carried forward), the
    months from the first changed one to the year's end are rebuilt, reading the year's reports
    and the figures of those from the earliest one the rebuilt months carry forward (reported_reach).
    A month's figures are those of its unit's latest report up to it (never `disappears_in`), so
    the earlier months are unchanged. A table with fresh statistics: the marts above aggregate it
    several times, and the nested views' row estimates (a window filter) would otherwise be off by
    orders of magnitude. -#}
{%- set starts = plan_rebuild(year_tails(months_to_rebuild(ref('stg_raw__nguon_von'), built_filter='not is_carried_forward'))) -%}
{%- set sources_from = reported_reach(starts, through_start=true) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_year_tails(planned_months()) }}",
    post_hook=["{{ table_index('year_month_idx', 'year_no, month') }}",
               "{{ month_index('not is_carried_forward') }}",
               "analyze {{ this }}"]
) }}
-- The cumulative funding figures known for each month (the same rule as for communes, marts.md
-- "Who is counted"): those of the submission in force that month or, for a submitting unit that
-- did not report that month, its latest earlier figures of the same year, carried forward, so
-- that a late report does not make a province's year to date fall. Carry-forward stays within a
-- year and never crosses the 1 July 2025 reform. Months run from the unit's first report of the
-- year to the latest month anyone reported in that year (and era).
with submitted as (
    select distinct submitting_unit_code, month, year_no, {{ is_reformed('month') }} as reformed
    from {{ ref('int_funding_series') }}
    where {{ year_filter('month', tail_years(starts)) }}
),

{{ carry_forward_months(['year_no', 'reformed']) }}

select
    so.month,
    f.year_no,
    {{ is_reformed('so.month') }} as reformed,
    f.submitting_unit_code,
    f.unit_code,
    f.district_code,
    f.province_code,
    f.source_code,
    f.capital_type,
    f.amount_ytd_mvnd,
    f.is_estimate,
    f.months_covered,
    f.month as source_month,
    (f.month < so.month) as is_carried_forward,
    f.submission_id
from sourced as so
inner join {{ ref('int_funding_series') }} as f
    on f.submitting_unit_code = so.submitting_unit_code and f.month = so.source_month
where {{ tail_filter('f.month', sources_from) }}
    and {{ tail_filter('so.month', starts) }}
