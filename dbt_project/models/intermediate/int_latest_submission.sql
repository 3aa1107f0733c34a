-- The submission in force for each (submitting unit, month): the latest version among accepted
-- ones. The loader keeps one `accepted` per key, but this model does not rely on it.
-- A table, built once at the start of each build: every model of the build reads the same
-- submissions in force, and fct_submission_in_force records exactly those. As a view, a load that
-- committed while the build ran was in the record but not in the marts built before it, and the
-- marts rebuilt "since the last build" (mart_progress, mart_funding, fct_commune_title_change)
-- never caught up: the next build saw no change.
-- Its post-hook also records, for the views' data tests, the first month whose submissions in
-- force changed since the last build (macros/test_window.sql, record_changed_inputs).
{{ config(materialized='table', post_hook=['analyze {{ this }}', '{{ record_changed_inputs(this) }}']) }}
with accepted as (
    select
        s.submission_id,
        s.submitting_unit_code,
        s.period,
        s.version,
        s.received_at,
        coalesce(t.province_code, s.province_code) as province_code,
        -- the set in force for the period when the file leaves it empty (domain.md): 2016-2020
        -- up to February 2022, 2021-2025 from March 2022 (Decision 318 of 8 March 2022)
        coalesce(
            nullif(t.criteria_set, ''),
            case when s.period < date '2022-03-01' then '2016-2020' else '2021-2025' end
        ) as criteria_set,
        row_number() over (
            partition by s.submitting_unit_code, s.period
            order by s.version desc, s.received_at desc, s.submission_id desc
        ) as version_rank
    from {{ ref('stg_audit__submission') }} as s
    inner join {{ ref('stg_raw__thong_tin') }} as t on t.submission_id = s.submission_id
    where s.status = 'accepted'
)

select
    submission_id,
    submitting_unit_code,
    period as month,
    version,
    received_at,
    province_code,
    criteria_set,
    case length(submitting_unit_code)
        when 2 then 'province'
        when 3 then 'district'
        else 'commune'
    end as submitting_level,
    -- districts exist until 2025-06; later submissions come from a province or a commune
    case when length(submitting_unit_code) = 3 then submitting_unit_code end as district_code,
    -- when a unit and one of its communes both report a commune, the commune's own report wins
    case length(submitting_unit_code) when 5 then 0 when 3 then 1 else 2 end as specificity,
    -- the administrative reference list this build starts from (the same on every row; recorded by
    -- fct_submission_in_force): a list changed during the build is a change for the next one
    ({{ reference_digest_sql() }})::text as reference_digest
from accepted
where version_rank = 1
