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
    loaded_at,
    is_backfill,
    submitted_on,
    -- what the file name says (`<YYYY-MM>_<unit>_v<N>.xlsx`): used for a file whose unit or period
    -- could not be read; a name month that is not a month (e.g. 2023-13) says nothing
    case when file_period_hint ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'
        then to_date(file_period_hint || '-01', 'YYYY-MM-DD') end as file_period_hint,
    file_unit_hint
from {{ source('audit', 'submission') }}
