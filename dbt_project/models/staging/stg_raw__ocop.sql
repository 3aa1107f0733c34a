select
    submission_id,
    excel_row,
    nullif(trim(product_code), '') as product_code,
    product_name,
    commune_code,
    entity_name,
    lower(entity_type) as entity_type,
    lower(product_group) as product_group,
    stars,
    lower(status) as status,
    decision_no,
    decision_date,
    valid_until,
    catalogue
from {{ source('raw', 'ocop') }}
