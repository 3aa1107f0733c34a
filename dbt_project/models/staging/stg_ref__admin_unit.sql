select
    unit_code,
    unit_name,
    unit_level,
    unit_type,
    parent_code,
    province_code,
    valid_from,
    valid_to,
    successor_code,
    list_name
from {{ source('ref', 'admin_unit') }}
