select
    title_code::text as title_code,
    title_rank::integer as title_rank,
    name_vi::text as name_vi,
    name_en::text as name_en
from {{ ref('title_levels') }}
