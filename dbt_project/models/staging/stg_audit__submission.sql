select
    submission_id,
    file_name,
    submitting_unit_code,
    province_code,
    period,
    version,
    received_at,
    status,
    superseded_by,
    loaded_at
from {{ source('audit', 'submission') }}
