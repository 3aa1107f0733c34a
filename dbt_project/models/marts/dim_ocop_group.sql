select
    catalogue::text as catalogue,
    decision::text as decision,
    valid_from::date as valid_from,
    group_code::text as group_code,
    name_vi::text as name_vi,
    name_en::text as name_en
from {{ ref('ocop_groups') }}
