select
    submission_id,
    province_code,
    submitting_unit_code,
    period,
    version,
    submitted_on,
    criteria_set
from {{ source('raw', 'thong_tin') }}
