select
    submission_id,
    unit_code,
    lower(source_code) as source_code,
    lower(capital_type) as capital_type,
    amount_mvnd::numeric(18, 3) as amount_mvnd,
    is_estimate
from {{ source('raw', 'nguon_von') }}
where lower(source_code) <> 'tong'
