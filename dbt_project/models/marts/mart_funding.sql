{%- set sources = ['ns_tw', 'ns_tinh', 'ns_huyen', 'ns_xa', 'ns_huyen_xa', 'long_ghep', 'tin_dung', 'doanh_nghiep', 'nhan_dan', 'khac'] -%}
-- Funding mobilised per unit (district, province) and month, year to date, by source.
-- Shares are fractions (0-1) of the total. From 2025-07 there are province rows only.
with funding as (
    select f.*, s.is_state_budget
    from {{ ref('fct_funding') }} as f
    left join {{ ref('dim_funding_source') }} as s on s.source_code = f.source_code
),

rolled as (
    select
        month,
        case when grouping(district_code) = 0 then 'district' else 'province' end as unit_level,
        case when grouping(district_code) = 0 then district_code else province_code end as unit_code,
        province_code,
        sum(amount_ytd_mvnd) as total_ytd_mvnd,
        sum(amount_month_mvnd) as total_month_mvnd,
        {%- for s in sources %}
        coalesce(sum(amount_ytd_mvnd) filter (where source_code = '{{ s }}'), 0) as {{ s }}_ytd_mvnd,
        {%- endfor %}
        coalesce(sum(amount_ytd_mvnd) filter (where is_state_budget), 0) as state_budget_ytd_mvnd,
        bool_or(is_estimate) as has_estimates,
        bool_or(increment_spans_gap) as has_gaps
    from funding
    group by grouping sets ((month, province_code, district_code), (month, province_code))
),

units as (
    select unit_code, unit_level, max(successor_code) as successor_code
    from {{ ref('dim_admin_unit') }}
    group by unit_code, unit_level
)

select
    month::date as month,
    unit_code::text as unit_code,
    unit_level::text as unit_level,
    province_code::text as province_code,
    u.successor_code::text as successor_code,
    total_ytd_mvnd::numeric(18, 3) as total_ytd_mvnd,
    total_month_mvnd::numeric(18, 3) as total_month_mvnd,
    {%- for s in sources %}
    {{ s }}_ytd_mvnd::numeric(18, 3) as {{ s }}_ytd_mvnd,
    {%- endfor %}
    (state_budget_ytd_mvnd / nullif(total_ytd_mvnd, 0))::numeric as state_budget_share,
    (nhan_dan_ytd_mvnd / nullif(total_ytd_mvnd, 0))::numeric as community_share,
    has_estimates::boolean as has_estimates,
    has_gaps::boolean as has_gaps
from rolled as r
left join units as u using (unit_code, unit_level)
where unit_code is not null
