select
    submission_id,
    criterion_no,
    is_met,
    nullif(lower(district_title), '') as district_title,
    title_decision,
    title_date
from {{ source('raw', 'tieu_chi_huyen') }}
