select
    submission_id,
    commune_code,
    commune_name,
    criteria_met_reported,
    lower(ntm_title) as ntm_title,
    title_decision,
    title_date,
    nullif(lower(hardship), '') as hardship
from {{ source('raw', 'tieu_chi_xa') }}
