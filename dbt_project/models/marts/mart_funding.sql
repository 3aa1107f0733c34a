{%- set sources = ['ns_tw', 'ns_tinh', 'ns_huyen', 'ns_xa', 'ns_huyen_xa', 'long_ghep', 'tin_dung', 'doanh_nghiep', 'nhan_dan', 'khac'] -%}
{%- set measures = ['total', 'state_budget'] + sources -%}
{#- Incremental: a month's figures depend on the earlier months of its phase (the previous month's
    year to date, the year-end figures of the phase's earlier years), so the months from the first
    whose submissions in force changed are deleted and rebuilt from the rows they need: their
    year's, and the year ends of the earlier years of their phase (macros/incremental_months.sql,
    months_since_change; macros/ntm_phase.sql, phase_reads). -#}
{%- set since = plan_rebuild_since(months_since_change()) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_since(planned_since()) }}",
    post_hook="{{ table_index('month_idx', 'month, unit_level, unit_code') }}"
) }}
-- Funding mobilised per unit (district, province) and month: year to date and phase to date, in
-- total and by source. Figures are the cumulative ones known for the month (int_funding_known_month:
-- a district that did not report carries its latest figures of the year forward). The month's
-- increment is the difference of the unit's own year-to-date totals, so a source that appears,
-- disappears or switches between ns_huyen + ns_xa and ns_huyen_xa cannot break the sum. Across the
-- 1 July 2025 reform a 2025 province continues its predecessors: its first increment after the
-- reform is the difference from the sum of their June figures, and its phase to date adds their
-- year-end figures. Shares are fractions (0-1). From 2025-07 there are province rows only.
with known as (
    select k.*, s.is_state_budget
    from {{ ref('int_funding_known_month') }} as k
    left join {{ ref('dim_funding_source') }} as s on s.source_code = k.source_code
    where {{ phase_reads('k.month', 'k.year_no', since, ref('int_funding_known_month')) }}
),

rolled as (
    {% call rollup_by_unit('known', keys=['month', 'reformed'], with_commune=false) -%}
        sum(amount_ytd_mvnd) as total_ytd,
        coalesce(sum(amount_ytd_mvnd) filter (where is_state_budget), 0) as state_budget_ytd,
        {%- for s in sources %}
        coalesce(sum(amount_ytd_mvnd) filter (where source_code = '{{ s }}'), 0) as {{ s }}_ytd,
        {%- endfor %}
        bool_or(is_estimate) as has_estimates,
        bool_or(not is_carried_forward and months_covered > 1) as has_gaps,
        bool_or(is_carried_forward) as has_carried_forward
    {%- endcall %}
),

lineage as (
    -- each unit's own rows, and the legacy provinces' rows again under the 2025 province that
    -- continues them (summed over its predecessors), to chain increments and phases across 2025
    select
        month, reformed, unit_level, unit_code, province_code, true as is_own,
        {%- for m in measures %} {{ m }}_ytd,{% endfor %}
        has_estimates, has_gaps, has_carried_forward
    from rolled
    union all
    select
        r.month, true as reformed, 'province' as unit_level, u.successor_code as unit_code,
        u.successor_code as province_code, false as is_own,
        {%- for m in measures %} sum(r.{{ m }}_ytd),{% endfor %}
        null, null, null
    from rolled as r
    inner join {{ ref('stg_ref__admin_unit') }} as u
        on u.unit_code = r.unit_code and u.unit_level = 'province' and {{ in_force('u', 'r.month') }}
    where r.unit_level = 'province' and not r.reformed and u.successor_code is not null
    group by r.month, u.successor_code
),

chained as (
    select
        *,
        extract(year from month)::integer as year_no,
        {{ ntm_phase('month') }} as phase,
        lag(month) over w as previous_month,
        lag(total_ytd) over w as previous_total_ytd
    from lineage
    window w as (partition by unit_level, unit_code, reformed, extract(year from month) order by month)
),

year_ends as (
    select distinct on (unit_level, unit_code, reformed, year_no)
        unit_level, unit_code, reformed, year_no, phase
        {%- for m in measures %}, {{ m }}_ytd{% endfor %}
    from chained
    order by unit_level, unit_code, reformed, year_no, month desc
),

phase_before as (
    -- the year-end figures of the earlier years of the phase
    select
        c.month, c.unit_level, c.unit_code
        {%- for m in measures %}, sum(y.{{ m }}_ytd) as {{ m }}_before{% endfor %}
    from chained as c
    inner join year_ends as y
        on y.unit_level = c.unit_level and y.unit_code = c.unit_code and y.reformed = c.reformed
        and y.phase = c.phase and y.year_no < c.year_no
    where c.is_own
    group by c.month, c.unit_level, c.unit_code
),

disappearing as (
    select disappears_in as month, province_code, district_code
    from {{ ref('int_funding_series') }}
    where disappears_in is not null and {{ since_filter('disappears_in', since) }}
),

disappeared as (
    {% call rollup_by_unit('disappearing', with_commune=false) %}{% endcall %}
)

select
    c.month::date as month,
    c.unit_code::text as unit_code,
    c.unit_level::text as unit_level,
    c.province_code::text as province_code,
    u.successor_code::text as successor_code,
    c.total_ytd::numeric(18, 3) as total_ytd_mvnd,
    (c.total_ytd - coalesce(c.previous_total_ytd, 0))::numeric(18, 3) as total_month_mvnd,
    {%- for s in sources %}
    c.{{ s }}_ytd::numeric(18, 3) as {{ s }}_ytd_mvnd,
    {%- endfor %}
    c.phase::text as phase,
    (c.total_ytd + coalesce(p.total_before, 0))::numeric(18, 3) as total_phase_mvnd,
    {%- for s in sources %}
    (c.{{ s }}_ytd + coalesce(p.{{ s }}_before, 0))::numeric(18, 3) as {{ s }}_phase_mvnd,
    {%- endfor %}
    (c.state_budget_ytd / nullif(c.total_ytd, 0))::numeric as state_budget_share,
    (c.nhan_dan_ytd / nullif(c.total_ytd, 0))::numeric as community_share,
    c.has_estimates::boolean as has_estimates,
    c.has_gaps::boolean as has_gaps,
    c.has_carried_forward::boolean as has_carried_forward,
    (d.month is not null)::boolean as has_disappeared_series
from chained as c
left join phase_before as p on p.month = c.month and p.unit_level = c.unit_level and p.unit_code = c.unit_code
left join disappeared as d on d.month = c.month and d.unit_level = c.unit_level and d.unit_code = c.unit_code
{{ join_unit_in_force('c') }}
where c.is_own and {{ since_filter('c.month', since) }}
