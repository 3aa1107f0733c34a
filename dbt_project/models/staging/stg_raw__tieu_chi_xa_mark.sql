select
    submission_id,
    commune_code,
    lower(criterion_code) as criterion_code,
    is_met
from {{ source('raw', 'tieu_chi_xa_mark') }}
