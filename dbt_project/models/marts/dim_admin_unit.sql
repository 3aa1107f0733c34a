-- Administrative units of both lists with their validity and 2025 successor.
select
    unit_code::text as unit_code,
    unit_name::text as unit_name,
    unit_level::text as unit_level,
    unit_type::text as unit_type,
    parent_code::text as parent_code,
    province_code::text as province_code,
    valid_from::date as valid_from,
    valid_to::date as valid_to,
    successor_code::text as successor_code,
    list_name::text as list_name
from {{ ref('stg_ref__admin_unit') }}
