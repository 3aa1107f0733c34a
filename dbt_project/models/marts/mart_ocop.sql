-- OCOP products per unit (district, province) and month, state at month end. "Rated" counts
-- products rated or re-rated and still valid at month end; "expired" those marked expired or
-- whose validity ended (due for re-recognition). By-group counts never add the two catalogues:
-- products_g1..g6 count rated products of Decision 148's catalogue, products_1048 (and
-- products_1048_g1..g6) those still held under Decision 1048's.
with products as (
    select * from {{ ref('fct_ocop_product') }}
),

rolled as (
    {% call rollup_by_unit('products', with_commune=false) -%}
        count(*) as products_total,
        count(*) filter (where effective_status in ('rated', 're_rated')) as products_rated,
        count(*) filter (where effective_status in ('rated', 're_rated') and stars = 3) as products_3_star,
        count(*) filter (where effective_status in ('rated', 're_rated') and stars = 4) as products_4_star,
        count(*) filter (where effective_status in ('rated', 're_rated') and stars = 5) as products_5_star,
        count(*) filter (where effective_status = 'preparing') as products_preparing,
        count(*) filter (where expires_within_6_months) as expiring_within_6_months,
        count(*) filter (where effective_status = 'expired') as expired,
        {%- for g in range(1, 7) %}
        count(*) filter (
            where effective_status in ('rated', 're_rated') and catalogue = '148' and product_group = 'g{{ g }}'
        ) as products_g{{ g }},
        {%- endfor %}
        count(*) filter (where effective_status in ('rated', 're_rated') and catalogue = '1048') as products_1048,
        {%- for g in range(1, 7) %}
        count(*) filter (
            where effective_status in ('rated', 're_rated') and catalogue = '1048' and product_group = 'g{{ g }}'
        ) as products_1048_g{{ g }}{{ ',' if not loop.last }}
        {%- endfor %}
    {%- endcall %}
)

select
    r.month::date as month,
    r.unit_code::text as unit_code,
    r.unit_level::text as unit_level,
    r.province_code::text as province_code,
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
    products_g{{ g }}::integer as products_g{{ g }},
    {%- endfor %}
    products_1048::integer as products_1048,
    {%- for g in range(1, 7) %}
    products_1048_g{{ g }}::integer as products_1048_g{{ g }}{{ ',' if not loop.last }}
    {%- endfor %}
from rolled as r
{{ join_unit_in_force('r') }}
