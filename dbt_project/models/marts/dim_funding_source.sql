select
    source_code::text as source_code,
    name_vi::text as name_vi,
    name_en::text as name_en,
    is_state_budget::boolean as is_state_budget,
    sort_order::integer as sort_order
from {{ ref('funding_sources') }}
