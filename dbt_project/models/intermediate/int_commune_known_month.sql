{#- Incremental: a month's rows depend only on that month and earlier ones (carry-forward), so the
    months from the first whose submissions in force changed (compared with the rows it holds that
    are not carried forward) are deleted and rebuilt. A table with fresh statistics: the marts
    above aggregate it several times, and the nested views' row estimates (a window filter) would
    otherwise be off by orders of magnitude. ANALYZE runs after every build, also one that added a
    single month: without it the newest month, at the top of the histogram, is estimated at one
    row, and mart_progress's plan at one year of national history ran for over ten minutes. -#}
{%- set since = plan_rebuild_since(first_month(months_to_rebuild(ref('stg_raw__thong_tin'), built_filter='not is_carried_forward'))) -%}
{%- set reach = carry_forward_reach(since) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_since(planned_since()) }}",
    post_hook=["{{ table_index('month_idx', 'month') }}",
               "{{ month_index('not is_carried_forward') }}",
               "analyze {{ this }}"]
) }}
-- The state of every xã whose status is known for a month (marts.md, "Who is counted"): the row
-- reported by the submission in force that month or, for a submitting unit that did not report
-- that month, carried forward from its latest earlier accepted submission, so that a late report
-- moves no denominator and no title vanishes. Carry-forward never crosses the 1 July 2025 reform
-- (the units changed), and a carried-forward commune must still be a xã in force in the month.
-- Months run from a unit's first accepted submission to the latest month anyone reported in the
-- same era.
with submitted as (
    select distinct
        submitting_unit_code,
        month,
        {{ is_reformed('month') }} as reformed
    from {{ ref('int_latest_submission') }}
),

{{ carry_forward_months(['reformed']) }},

candidates as (
    select
        so.month,
        r.commune_code,
        r.commune_name,
        case when not {{ is_reformed('so.month') }} then u.parent_code end as district_code,
        u.province_code,
        r.submitting_unit_code,
        r.submission_id,
        r.month as source_month,
        r.criteria_set,
        r.criteria_met,
        r.criteria_total,
        r.ntm_title,
        r.title_date,
        r.hardship,
        row_number() over (
            partition by so.month, r.commune_code
            order by (r.month = so.month) desc, r.specificity, r.month desc, r.received_at desc,
                r.submission_id desc
        ) as pick
    from (select * from sourced where {{ since_filter('month', since) }}) as so
    inner join {{ ref('int_commune_reported') }} as r
        on r.submitting_unit_code = so.submitting_unit_code and r.month = so.source_month
        and {{ since_filter('r.month', reach) }}
    inner join {{ ref('stg_ref__admin_unit') }} as u
        on u.unit_code = r.commune_code
        and {{ in_force('u', 'so.month') }}
        and {{ is_xa('u') }}
)

select
    month,
    commune_code,
    commune_name,
    district_code,
    province_code,
    submitting_unit_code,
    submission_id,
    source_month,
    (source_month < month) as is_carried_forward,
    criteria_set,
    criteria_met,
    criteria_total,
    ntm_title,
    title_date,
    hardship
from candidates
where pick = 1
