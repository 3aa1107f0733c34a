-- depends_on: {{ ref('mart_progress') }}
-- The submissions in force for each month as the marts were last built from them (one row per
-- submitting unit and month; int_latest_submission). Auditors read which version of each unit's
-- submission reached the marts. It runs after the marts that are incremental from it (the
-- depends_on above), which read its previous rows to find the months whose submissions in force
-- changed since their last build (macros/incremental_months.sql, months_since_change): a failed
-- mart leaves it unbuilt, so the next build still sees those months as changed. reference_digest
-- is that of the administrative reference list: when it changes, every month is rebuilt.
select
    month::date as month,
    submitting_unit_code::text as submitting_unit_code,
    submitting_level::text as submitting_level,
    district_code::text as district_code,
    province_code::text as province_code,
    submission_id::bigint as submission_id,
    ({{ reference_digest_sql() }})::text as reference_digest
from {{ ref('int_latest_submission') }}
