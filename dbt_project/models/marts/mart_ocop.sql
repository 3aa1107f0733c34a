-- OCOP products per unit (district, province) and month, state at month end. "Rated" counts
-- products rated or re-rated and still valid at month end; "expired" those marked expired or
-- whose validity ended (due for re-recognition).
with products as (
    select * from {{ ref('fct_ocop_product') }}
),

rolled as (
    select
        month,
        case when grouping(district_code) = 0 then 'district' else 'province' end as unit_level,
        case when grouping(district_code) = 0 then district_code else province_code end as unit_code,
        province_code,
        count(*) as products_total,
        count(*) filter (where effective_status in ('rated', 're_rated')) as products_rated,
        count(*) filter (where effective_status in ('rated', 're_rated') and stars = 3) as products_3_star,
        count(*) filter (where effective_status in ('rated', 're_rated') and stars = 4) as products_4_star,
        count(*) filter (where effective_status in ('rated', 're_rated') and stars = 5) as products_5_star,
        count(*) filter (where effective_status = 'preparing') as products_preparing,
        count(*) filter (where expires_within_6_months) as expiring_within_6_months,
        count(*) filter (where effective_status = 'expired') as expired,
        {%- for g in range(1, 7) %}
        count(*) filter (where effective_status in ('rated', 're_rated') and product_group = 'g{{ g }}') as products_g{{ g }}{{ ',' if not loop.last }}
        {%- endfor %}
    from products
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
    products_total::integer as products_total,
    products_rated::integer as products_rated,
    products_3_star::integer as products_3_star,
    products_4_star::integer as products_4_star,
    products_5_star::integer as products_5_star,
    products_preparing::integer as products_preparing,
    expiring_within_6_months::integer as expiring_within_6_months,
    expired::integer as expired,
    {%- for g in range(1, 7) %}
    products_g{{ g }}::integer as products_g{{ g }}{{ ',' if not loop.last }}
    {%- endfor %}
from rolled as r
left join units as u using (unit_code, unit_level)
where unit_code is not null
