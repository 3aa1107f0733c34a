{%- set months = plan_rebuild(ocop_months_to_rebuild()) -%}
{{ config(pre_hook="{{ delete_months(planned_months()) }}") }}
-- OCOP products, state at month end (incremental by month), with the catalogue each product's
-- group belongs to, its validity (decision date + 36 months when not given) and who recognised it.
select
    month::date as month,
    product_key::text as product_key,
    product_code::text as product_code,
    product_name::text as product_name,
    commune_code::text as commune_code,
    district_code::text as district_code,
    province_code::text as province_code,
    entity_name::text as entity_name,
    entity_type::text as entity_type,
    product_group::text as product_group,
    catalogue::text as catalogue,
    stars::integer as stars,
    status::text as status,
    effective_status::text as effective_status,
    decision_date::date as decision_date,
    valid_until::date as valid_until,
    recognised_by::text as recognised_by,
    expires_within_6_months::boolean as expires_within_6_months,
    submission_id::bigint as submission_id
from {{ ref('int_ocop_product_month') }} as src
where {{ month_filter('src.month', months) }}
