-- NTM progress per unit (commune, district, province) and month. Province and district rows
-- count the communes reported that month by the submissions in force. Codes are those in force
-- in the month: legacy units up to 2025-06, the 2025 units from 2025-07 (no district rows);
-- successor_code links a legacy unit to its 2025 unit so series can be followed across the
-- reorganisation.
with status as (
    select * from {{ ref('fct_commune_status') }}
),

rolled as (
    select
        month,
        case
            when grouping(commune_code) = 0 then 'commune'
            when grouping(district_code) = 0 then 'district'
            else 'province'
        end as unit_level,
        case
            when grouping(commune_code) = 0 then commune_code
            when grouping(district_code) = 0 then district_code
            else province_code
        end as unit_code,
        province_code,
        count(*) as communes_total,
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
        count(distinct district_code) as districts_reporting
    from status
    group by grouping sets (
        (month, province_code, district_code, commune_code),
        (month, province_code, district_code),
        (month, province_code)
    )
),

support_month as (
    select
        month,
        date_trunc('year', month) as year_start,
        case
            when grouping(commune_code) = 0 then 'commune'
            when grouping(district_code) = 0 then 'district'
            else 'province'
        end as unit_level,
        case
            when grouping(commune_code) = 0 then commune_code
            when grouping(district_code) = 0 then district_code
            else province_code
        end as unit_code,
        sum(value_mvnd) as value_mvnd
    from {{ ref('fct_support') }}
    group by grouping sets (
        (month, province_code, district_code, commune_code),
        (month, province_code, district_code),
        (month, province_code)
    )
),

support_ytd as (
    select r.month, r.unit_level, r.unit_code, sum(s.value_mvnd) as support_ytd_mvnd
    from rolled as r
    inner join support_month as s
        on s.unit_level = r.unit_level
        and s.unit_code = r.unit_code
        and s.year_start = date_trunc('year', r.month)
        and s.month <= r.month
    group by r.month, r.unit_level, r.unit_code
),

units as (
    select unit_code, unit_level, max(successor_code) as successor_code
    from {{ ref('dim_admin_unit') }}
    group by unit_code, unit_level
)

select
    r.month::date as month,
    r.unit_code::text as unit_code,
    r.unit_level::text as unit_level,
    r.province_code::text as province_code,
    u.successor_code::text as successor_code,
    r.communes_total::integer as communes_total,
    r.communes_ntm::integer as communes_ntm,
    r.communes_advanced::integer as communes_advanced,
    r.communes_model::integer as communes_model,
    (100.0 * r.communes_ntm / r.communes_total)::numeric as pct_communes_ntm,
    r.avg_criteria_per_commune::numeric as avg_criteria_per_commune,
    r.communes_19::integer as communes_19,
    r.communes_15_18::integer as communes_15_18,
    r.communes_10_14::integer as communes_10_14,
    r.communes_5_9::integer as communes_5_9,
    r.communes_lt5::integer as communes_lt5,
    r.titles_at_risk::integer as titles_at_risk,
    r.communes_hardship::integer as communes_hardship,
    coalesce(y.support_ytd_mvnd, 0)::numeric(18, 3) as support_ytd_mvnd,
    case when r.unit_level = 'province' then r.districts_reporting end::integer as districts_reporting,
    case when r.unit_level = 'province' then (
        select count(*)
        from (
            select distinct on (d.district_code) d.district_title
            from {{ ref('int_district_title') }} as d
            where d.province_code = r.province_code and d.month <= r.month
            order by d.district_code, d.month desc
        ) as latest_title
        where latest_title.district_title in ('ntm', 'advanced', 'model')
    ) end::integer as districts_ntm
from rolled as r
left join units as u on u.unit_code = r.unit_code and u.unit_level = r.unit_level
left join support_ytd as y on y.month = r.month and y.unit_level = r.unit_level and y.unit_code = r.unit_code
where r.unit_code is not null
