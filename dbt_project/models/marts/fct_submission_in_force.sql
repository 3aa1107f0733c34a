-- depends_on: {{ ref('mart_progress') }}
-- depends_on: {{ ref('fct_commune_title_change') }}
-- depends_on: {{ ref('mart_funding') }}
-- depends_on: {{ ref('int_commune_known_month') }}
-- depends_on: {{ ref('int_funding_series') }}
-- depends_on: {{ ref('int_funding_known_month') }}
-- depends_on: {{ ref('fct_commune_criteria') }}
-- depends_on: {{ ref('fct_commune_status') }}
-- depends_on: {{ ref('fct_funding') }}
-- depends_on: {{ ref('fct_ocop_product') }}
-- depends_on: {{ ref('fct_support') }}
-- The submissions in force for each month as the marts were last built from them (one row per
-- submitting unit and month; int_latest_submission). Auditors read which version of each unit's
-- submission reached the marts. It runs after every incremental model (the depends_on above): they
-- all read its reference_digest (reference_changed), and a table that another thread is swapping
-- looks absent to dbt, which made a model rebuild every month. mart_progress also reads its
-- previous rows to find the months whose submissions in force changed since its last build
-- (macros/incremental_months.sql, months_since_change): a failed model leaves it unbuilt, so the
-- next build still sees those months as changed. reference_digest is that of the administrative
-- reference list the build started from (int_latest_submission): when it changes, every month is
-- rebuilt.
select
    month::date as month,
    submitting_unit_code::text as submitting_unit_code,
    submitting_level::text as submitting_level,
    district_code::text as district_code,
    province_code::text as province_code,
    submission_id::bigint as submission_id,
    reference_digest::text as reference_digest
from {{ ref('int_latest_submission') }}
