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
),

-- The latest earlier plan or model month is found by a running max over the unit's months (linear
-- in history), not by a lookup per spine row (int_plan_model_source was the slowest model of an
-- incremental build at ten national years: 50 s).
plan_marks as (
    select submitting_unit_code, month, true as is_spine, null::date as plan_month from spine
    union all
    select submitting_unit_code, month, false as is_spine, month as plan_month from plans
),

plan_latest as (
    select
        submitting_unit_code,
        month,
        is_spine,
        -- the default frame takes the peers too: a plan of the month itself is in force that month
        max(plan_month) over (
            partition by submitting_unit_code, date_trunc('year', month) order by month
        ) as plan_month
    from plan_marks
),

model_marks as (
    select submitting_unit_code, month, true as is_spine, null::date as model_month from spine
    union all
    select submitting_unit_code, month, false as is_spine, month as model_month from models
),

model_latest as (
    select
        submitting_unit_code,
        month,
        is_spine,
        max(model_month) over (
            partition by submitting_unit_code, {{ is_reformed('month') }} order by month
        ) as model_month
    from model_marks
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
inner join plan_latest as pln
    on pln.submitting_unit_code = s.submitting_unit_code and pln.month = s.month and pln.is_spine
inner join model_latest as mdl
    on mdl.submitting_unit_code = s.submitting_unit_code and mdl.month = s.month and mdl.is_spine
left join plans as p on p.submitting_unit_code = s.submitting_unit_code and p.month = pln.plan_month
left join models as m on m.submitting_unit_code = s.submitting_unit_code and m.month = mdl.model_month
