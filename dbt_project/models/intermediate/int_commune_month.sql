-- One row per xã and month as reported by the submissions in force that month (when a unit and
-- one of its communes both report a commune, the commune's own report wins).
with ranked as (
    select
        *,
        row_number() over (
            partition by month, commune_code
            order by specificity, received_at desc, submission_id desc
        ) as pick
    from {{ ref('int_commune_reported') }}
)

select
    month,
    commune_code,
    commune_name,
    district_code,
    province_code,
    submission_id,
    criteria_set,
    criteria_met,
    criteria_total,
    ntm_title,
    title_date,
    hardship
from ranked
where pick = 1
