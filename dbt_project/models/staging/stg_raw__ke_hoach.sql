-- The year's plan and the registrations (sheet ke_hoach), as reported.
select
    submission_id,
    excel_row,
    year::integer as year,
    unit_code,
    indicator,
    target::integer as target,
    indicator in ('register_advanced', 'register_model') as is_registration,
    note
from {{ source('raw', 'ke_hoach') }}
