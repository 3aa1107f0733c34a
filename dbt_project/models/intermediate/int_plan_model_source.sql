{#- a small table (units x months) with fresh statistics: mart_progress and mart_plan join it per commune and month -#}
{{ config(materialized='table', post_hook='analyze {{ this }}') }}
-- Per submitting unit and month whose communes are known (reported or carried forward,
-- int_commune_known_month), the two submissions the optional sheets are read from:
-- * plan_submission_id: the plan in force (submission-format.md, ke_hoach): the latest submission
--   in force of the unit, in the same year and not after the month, that carries the year's plan;
--   a later submission without the sheet leaves it unchanged, a later one with it replaces it
--   (a plan corrected mid-year). No plan that year: null (mart_plan has no rows, never zeros).
-- * model_submission_id: the latest submission in force of the unit, not after the month and in
--   the same era (no carry-forward across the 2025 reform), that carries kieu_mau rows: model
--   villages and roads are cumulative and carried forward like the titles (marts.md).
with spine as (
    select distinct submitting_unit_code, month
    from {{ ref('int_commune_known_month') }}
),

plans as (
    select distinct l.submitting_unit_code, l.month, l.submission_id, l.province_code
    from {{ ref('int_latest_submission') }} as l
    inner join {{ ref('stg_raw__ke_hoach') }} as k
        on k.submission_id = l.submission_id and k.year = extract(year from l.month)
),

models as (
    select distinct l.submitting_unit_code, l.month, l.submission_id
    from {{ ref('int_latest_submission') }} as l
    inner join {{ ref('stg_raw__kieu_mau') }} as k on k.submission_id = l.submission_id
)

select
    s.submitting_unit_code,
    s.month,
    p.submission_id as plan_submission_id,
    p.month as plan_month,
    p.province_code,
    m.submission_id as model_submission_id,
    m.month as model_month
from spine as s
left join lateral (
    select pl.submission_id, pl.month, pl.province_code
    from plans as pl
    where pl.submitting_unit_code = s.submitting_unit_code
        and pl.month <= s.month
        and date_trunc('year', pl.month) = date_trunc('year', s.month)
    order by pl.month desc
    limit 1
) as p on true
left join lateral (
    select mo.submission_id, mo.month
    from models as mo
    where mo.submitting_unit_code = s.submitting_unit_code
        and mo.month <= s.month
        and {{ is_reformed('mo.month') }} = {{ is_reformed('s.month') }}
    order by mo.month desc
    limit 1
) as m on true
