{#- Incremental: every figure of a month depends only on that month and earlier ones (carry-forward,
    year to date, the latest district title), so the months from the first whose submissions in
    force changed are deleted and rebuilt (macros/incremental_months.sql, months_since_change). -#}
{%- set since = plan_rebuild_since(months_since_change()) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_since(planned_since()) }}",
    post_hook="{{ table_index('month_idx', 'month, unit_level, unit_code') }}"
) }}
-- NTM progress per unit (commune, district, province) and month (marts.md, "Who is counted").
-- Only xã are counted. A unit's communes are those whose status is known for the month: reported
-- that month, or carried forward from the latest earlier accepted submission of a unit that did
-- not report (int_commune_known_month). communes_expected counts the xã in force in the unit on
-- the last day of the month per the reference list, and pct_communes_ntm is over it, so a late
-- report moves no denominator. Codes are those in force in the month: legacy units up to
-- 2025-06, the 2025 units from 2025-07 (no district rows, district columns null);
-- successor_code links a legacy unit to its 2025 unit.
-- Model villages and roads (kieu_mau) come from the latest submission of the xã's unit carrying
-- the sheet, carried forward like the titles (null where the unit never sent it, 0 for a xã
-- absent from a sheet that was sent); registrations come from the plan in force (ke_hoach; null
-- where the unit has no plan for the year): int_commune_plan_model.
with known as (
    select
        k.*,
        {{ criteria_band('k.criteria_met') }} as criteria_band,
        (k.ntm_title <> 'none' and k.criteria_met < k.criteria_total) as title_at_risk,
        pm.model_villages,
        pm.model_roads,
        coalesce(pm.has_plan, false) as has_plan,
        coalesce(pm.registered_advanced, false) as registered_advanced,
        coalesce(pm.registered_model, false) as registered_model
    from {{ ref('int_commune_known_month') }} as k
    left join {{ ref('int_commune_plan_model') }} as pm
        on pm.month = k.month and pm.commune_code = k.commune_code and {{ since_filter('pm.month', since) }}
    where {{ since_filter('k.month', since) }}
),

rolled as (
    {% call rollup_by_unit('known') -%}
        count(*) as communes_total,
        count(*) filter (where is_carried_forward) as communes_carried_forward,
        count(*) filter (where ntm_title in ('ntm', 'advanced', 'model')) as communes_ntm,
        count(*) filter (where ntm_title = 'advanced') as communes_advanced,
        count(*) filter (where ntm_title = 'model') as communes_model,
        avg(criteria_met) as avg_criteria_per_commune,
        count(*) filter (where criteria_band = '19') as communes_19,
        count(*) filter (where criteria_band = '15-18') as communes_15_18,
        count(*) filter (where criteria_band = '10-14') as communes_10_14,
        count(*) filter (where criteria_band = '5-9') as communes_5_9,
        count(*) filter (where criteria_band = '<5') as communes_lt5,
        count(*) filter (where title_at_risk) as titles_at_risk,
        count(*) filter (where hardship in ('kk', 'dbkk')) as communes_hardship,
        sum(model_villages) as model_villages,
        sum(model_roads) as model_roads,
        case when bool_or(has_plan) then count(*) filter (where registered_advanced) end
            as communes_registered_advanced,
        case when bool_or(has_plan) then count(*) filter (where registered_model) end
            as communes_registered_model
    {%- endcall %}
),

xa_in_force as (
    -- every xã in force on the last day of each month, in the provinces that have rows that month
    select
        m.month,
        u.unit_code as commune_code,
        case when not {{ is_reformed('m.month') }} then u.parent_code end as district_code,
        u.province_code
    from (select distinct month, province_code from known) as m
    inner join {{ ref('stg_ref__admin_unit') }} as u
        on u.province_code = m.province_code and {{ is_xa('u') }} and {{ in_force('u', 'm.month') }}
),

expected as (
    {% call rollup_by_unit('xa_in_force') -%}
        count(*) as communes_expected,
        count(distinct district_code) as districts_total
    {%- endcall %}
),

districts_reported as (
    select month, province_code, count(distinct submitting_unit_code) as districts_reported
    from {{ ref('int_latest_submission') }}
    where submitting_level = 'district' and {{ since_filter('month', since) }}
    group by month, province_code
),

district_title_spans as (
    -- each district's latest reported title holds from its month until its next report
    select
        province_code,
        district_code,
        district_title,
        month as from_month,
        lead(month) over (partition by province_code, district_code order by month) as until_month
    from {{ ref('int_district_title') }}
),

districts_ntm as (
    -- per province and month: districts whose latest reported title up to the month is NTM at any level
    select p.month, p.province_code, count(*) as districts_ntm
    from (select distinct month, province_code from rolled where unit_level = 'province') as p
    inner join district_title_spans as t
        on t.province_code = p.province_code
        and t.from_month <= p.month
        and (t.until_month is null or t.until_month > p.month)
    where t.district_title in ('ntm', 'advanced', 'model')
    group by p.month, p.province_code
),

support_units as (
    -- each month's support under the units of its own month; January-June 2025 also under the
    -- 2025 successors of its commune and province, so that a 2025 year to date after June adds
    -- the months reported under the legacy units (domain.md, "Administrative units")
    select
        s.month,
        {{ is_reformed('s.month') }} as reformed_units,
        s.commune_code,
        s.district_code,
        s.province_code,
        s.value_mvnd
    from {{ ref('fct_support') }} as s
    union all
    select
        s.month,
        true as reformed_units,
        uc.successor_code as commune_code,
        null as district_code,
        up.successor_code as province_code,
        s.value_mvnd
    from {{ ref('fct_support') }} as s
    inner join {{ ref('stg_ref__admin_unit') }} as up
        on up.unit_code = s.province_code and up.unit_level = 'province' and {{ in_force('up', 's.month') }}
    left join {{ ref('stg_ref__admin_unit') }} as uc
        on uc.unit_code = s.commune_code and uc.unit_level = 'commune' and {{ in_force('uc', 's.month') }}
    where s.month >= date_trunc('year', date '{{ var("reorganisation_date") }}')
        and not {{ is_reformed('s.month') }}
        and up.successor_code is not null
),

support_month as (
    {% call rollup_by_unit('support_units', keys=['month', 'reformed_units']) -%}
        sum(value_mvnd) as value_mvnd
    {%- endcall %}
),

support_ytd as (
    select r.month, r.unit_level, r.unit_code, sum(s.value_mvnd) as support_ytd_mvnd
    from rolled as r
    inner join support_month as s
        on s.unit_level = r.unit_level
        and s.unit_code = r.unit_code
        and s.reformed_units = {{ is_reformed('r.month') }}
        and date_trunc('year', s.month) = date_trunc('year', r.month)
        and s.month <= r.month
    group by r.month, r.unit_level, r.unit_code
)

select
    r.month::date as month,
    r.unit_code::text as unit_code,
    r.unit_level::text as unit_level,
    r.province_code::text as province_code,
    u.successor_code::text as successor_code,
    e.communes_expected::integer as communes_expected,
    r.communes_total::integer as communes_total,
    r.communes_carried_forward::integer as communes_carried_forward,
    r.communes_ntm::integer as communes_ntm,
    r.communes_advanced::integer as communes_advanced,
    r.communes_model::integer as communes_model,
    (100.0 * r.communes_ntm / nullif(e.communes_expected, 0))::numeric as pct_communes_ntm,
    r.avg_criteria_per_commune::numeric as avg_criteria_per_commune,
    r.communes_19::integer as communes_19,
    r.communes_15_18::integer as communes_15_18,
    r.communes_10_14::integer as communes_10_14,
    r.communes_5_9::integer as communes_5_9,
    r.communes_lt5::integer as communes_lt5,
    r.titles_at_risk::integer as titles_at_risk,
    r.communes_hardship::integer as communes_hardship,
    coalesce(y.support_ytd_mvnd, 0)::numeric(18, 3) as support_ytd_mvnd,
    case when r.unit_level = 'province' and not {{ is_reformed('r.month') }}
        then e.districts_total end::integer as districts_total,
    case when r.unit_level = 'province' and not {{ is_reformed('r.month') }}
        then coalesce(d.districts_reported, 0) end::integer as districts_reported,
    case when r.unit_level = 'province' and not {{ is_reformed('r.month') }}
        then coalesce(d.districts_reported, 0) end::integer as districts_reporting,
    case when r.unit_level = 'province' and not {{ is_reformed('r.month') }}
        then coalesce(dn.districts_ntm, 0) end::integer as districts_ntm,
    r.model_villages::integer as model_villages,
    r.model_roads::integer as model_roads,
    r.communes_registered_advanced::integer as communes_registered_advanced,
    r.communes_registered_model::integer as communes_registered_model
from rolled as r
left join expected as e on e.month = r.month and e.unit_level = r.unit_level and e.unit_code = r.unit_code
{{ join_unit_in_force('r') }}
left join support_ytd as y on y.month = r.month and y.unit_level = r.unit_level and y.unit_code = r.unit_code
left join districts_reported as d
    on r.unit_level = 'province' and d.month = r.month and d.province_code = r.province_code
left join districts_ntm as dn
    on r.unit_level = 'province' and dn.month = r.month and dn.province_code = r.province_code
