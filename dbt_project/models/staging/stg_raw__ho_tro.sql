select
    submission_id,
    excel_row,
    commune_code,
    supporting_agency,
    description,
    value_mvnd::numeric(18, 3) as value_mvnd
from {{ source('raw', 'ho_tro') }}
