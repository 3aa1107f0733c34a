select
    criteria_set::text as criteria_set,
    level::text as level,
    criterion_no::integer as criterion_no,
    criterion_code::text as criterion_code,
    name_vi::text as name_vi,
    name_en::text as name_en,
    group_no::integer as group_no,
    group_name_vi::text as group_name_vi,
    group_name_en::text as group_name_en
from {{ ref('criteria') }}
