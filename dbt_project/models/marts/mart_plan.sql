-- Plan against result (marts.md, mart_plan): per unit (district, province), year, month and
-- indicator, what the plan in force set out to reach by the end of the year (`target`), the same
-- measure at the end of the month (`actual`), its share of the target and whether it is on track.
-- * The plan in force: int_plan_model_source (a correction mid-year replaces the targets from
--   its month on; earlier months keep the plan they had). Units without a plan for the year have
--   no rows: a target is never invented as zero.
-- * actual: communes_ntm, communes_model, model_villages, model_roads as mart_progress counts
--   them; communes_advanced = xã holding advanced or model (ke_hoach: "advanced or model at year
--   end"); ocop_products = mart_ocop.products_rated (3 stars or more, rated or re-rated, not
--   expired); district_ntm = 1 when the district's latest reported district title (up to the
--   month) is NTM at any level, 0 when it is none, null when it never reported one.
-- * on_track: actual has reached the target, or the share of it that the months elapsed call
--   for (target x month number / 12 at the end of the month).
-- * Province rows: the province's own plan where it submits one (from 2025-07); otherwise the
--   sum of its districts' plans in force (target) and of the same districts' actuals (actual),
--   over the districts that planned the indicator (`units_planned`), so the share compares like
--   with like; plan_submission_id is then null.
with plan_rows as (
    select
        src.month,
        src.submitting_unit_code as unit_code,
        case length(src.submitting_unit_code) when 3 then 'district' else 'province' end as unit_level,
        src.province_code,
        k.indicator,
        k.target,
        src.plan_submission_id,
        src.plan_month
    from {{ ref('int_plan_model_source') }} as src
    inner join {{ ref('stg_raw__ke_hoach') }} as k
        on k.submission_id = src.plan_submission_id
        and k.unit_code = src.submitting_unit_code
        and not k.is_registration
    where length(src.submitting_unit_code) in (2, 3)
),

planned_districts as (
    select distinct month, unit_code from plan_rows where unit_level = 'district'
),

-- the district titles as reported, computed once (int_district_title is a view: a correlated
-- subquery would compute it again for every district and month, minutes on a national month)
reported_titles as materialized (
    select t.district_code, t.month, t.district_title
    from {{ ref('int_district_title') }} as t
    where t.district_code in (select unit_code from planned_districts)
),

district_title as (
    select distinct on (p.month, p.unit_code)
        p.month,
        p.unit_code,
        case
            when t.district_code is null then null
            when t.district_title in ('ntm', 'advanced', 'model') then 1
            else 0
        end as district_ntm
    from planned_districts as p
    left join reported_titles as t
        on t.district_code = p.unit_code and t.month <= p.month
    order by p.month, p.unit_code, t.month desc nulls last
),

actuals as (
    select g.month, g.unit_level, g.unit_code, m.indicator, m.actual
    from {{ ref('mart_progress') }} as g
    cross join lateral (
        values
            ('communes_ntm', g.communes_ntm),
            ('communes_advanced', g.communes_advanced + g.communes_model),
            ('communes_model', g.communes_model),
            ('model_villages', g.model_villages),
            ('model_roads', g.model_roads)
    ) as m (indicator, actual)
    where g.unit_level in ('district', 'province')
    union all
    select month, unit_level, unit_code, 'ocop_products', products_rated
    from {{ ref('mart_ocop') }}
    union all
    select month, 'district', unit_code, 'district_ntm', district_ntm
    from district_title
),

own as (
    select
        p.month,
        p.unit_code,
        p.unit_level,
        p.province_code,
        p.indicator,
        p.target,
        a.actual,
        1 as units_planned,
        p.plan_submission_id,
        p.plan_month
    from plan_rows as p
    left join actuals as a
        on a.month = p.month and a.unit_level = p.unit_level and a.unit_code = p.unit_code
        and a.indicator = p.indicator
),

province_sum as (
    select
        d.month,
        d.province_code as unit_code,
        'province' as unit_level,
        d.province_code,
        d.indicator,
        sum(d.target) as target,
        sum(d.actual) as actual,
        count(*) as units_planned,
        null::bigint as plan_submission_id,
        null::date as plan_month
    from own as d
    left join own as o
        on o.unit_level = 'province' and o.unit_code = d.province_code
        and o.month = d.month and o.indicator = d.indicator
    where d.unit_level = 'district' and o.unit_code is null
    group by d.month, d.province_code, d.indicator
),

unioned as (
    select * from own
    union all
    select * from province_sum
)

select
    month::date as month,
    extract(year from month)::integer as year,
    unit_code::text as unit_code,
    unit_level::text as unit_level,
    province_code::text as province_code,
    indicator::text as indicator,
    target::integer as target,
    actual::integer as actual,
    (100.0 * actual / nullif(target, 0))::numeric as pct_of_target,
    case
        when actual is null then null
        else actual >= target or actual >= target * extract(month from month) / 12.0
    end::boolean as on_track,
    units_planned::integer as units_planned,
    plan_submission_id::bigint as plan_submission_id,
    plan_month::date as plan_month
from unioned
