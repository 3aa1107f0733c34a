{#- Incremental by year tail: every figure of a series depends only on the figures of the same year
    (the increments on the earlier ones, disappears_in on the later ones, the reform's predecessors
    on June of the same year). A changed month rebuilds the rest of its year from the month each
    submitting unit last reported before it (their `disappears_in` may move: reported_reach), and
    reads that whole year; the earlier months and the other years are unchanged. A table with
    fresh statistics: the marts above aggregate it several times, and the nested views' row
    estimates (a window filter) would otherwise be off by orders of magnitude. -#}
{%- set starts = plan_rebuild(reported_reach(year_tails(months_to_rebuild(ref('stg_raw__nguon_von'))))) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_year_tails(planned_months()) }}",
    post_hook=["{{ table_index('year_month_idx', 'year_no, month') }}",
               "{{ month_index() }}",
               "analyze {{ this }}"]
) }}
-- Funding figures are cumulative from 1 January. The month's increment of a series (unit, source,
-- capital type) is the difference to its previous figure within the same year; the first figure
-- of a year is its own increment and covers January up to that month. When months are missing in
-- between, the whole difference goes to the month received and is flagged (months_covered > 1): a
-- missing month is never taken as 0.
-- Across the 1 July 2025 reform a series continues under the 2025 unit that absorbed it (a
-- commune's successor; district- and province-wide figures under the 2025 province): the figure
-- reported after the reform covers the new unit's territory since 1 January, so its first
-- increment is the difference from the sum of its predecessors' June figures, never the whole
-- year (domain.md). `disappears_in` marks a series that its submitting unit stopped reporting: the
-- next month the unit reported within the year, when the series is absent from it.
with reported as (
    select
        l.month,
        l.submitting_unit_code,
        f.unit_code,
        l.district_code,
        l.province_code,
        f.source_code,
        f.capital_type,
        f.amount_mvnd as amount_ytd_mvnd,
        f.is_estimate,
        l.submission_id,
        extract(year from l.month)::integer as year_no,
        {{ is_reformed('l.month') }} as reformed,
        row_number() over (
            partition by l.month, f.unit_code, f.source_code, f.capital_type
            order by l.specificity, l.received_at desc, l.submission_id desc
        ) as pick
    from {{ ref('int_latest_submission') }} as l
    inner join {{ ref('stg_raw__nguon_von') }} as f on f.submission_id = l.submission_id
    where {{ year_filter('l.month', tail_years(starts)) }}
),

picked as (
    -- with the month of the submitting unit's next report in the same year and era (a window over
    -- the later months, not a join: a join's row estimates on these CTEs once made the planner
    -- rescan one side for every row of the other)
    select
        *,
        first_value(month) over (
            partition by submitting_unit_code, year_no, reformed
            order by month
            range between interval '1 day' following and unbounded following
        ) as next_reported_month
    from reported
    where pick = 1
),

predecessors as (
    -- legacy figures of the reform year under the 2025 unit that continues them; they only give
    -- the reformed series their first previous figure, so none are looked up while the years read
    -- hold no month after the reform (every rebuild of the reform year's first half: 1.3 s of a
    -- national year's 3 s went to looking up 107,000 predecessor figures no row used)
    select
        p.month,
        case when length(p.unit_code) = 5 then uc.successor_code else up.successor_code end as unit_code,
        p.source_code,
        p.capital_type,
        p.year_no,
        sum(p.amount_ytd_mvnd) as amount_ytd_mvnd
    from picked as p
    inner join {{ ref('stg_ref__admin_unit') }} as up
        on up.unit_code = p.province_code and up.unit_level = 'province' and {{ in_force('up', 'p.month') }}
    left join {{ ref('stg_ref__admin_unit') }} as uc
        on uc.unit_code = p.unit_code and uc.unit_level = 'commune' and {{ in_force('uc', 'p.month') }}
    where p.year_no = extract(year from date '{{ var("reorganisation_date") }}')
        and not p.reformed
        and exists (select 1 from picked as r where r.reformed)
    group by 1, 2, 3, 4, 5
),

chained as (
    select
        month, submitting_unit_code, unit_code, district_code, province_code, source_code,
        capital_type, year_no, reformed, amount_ytd_mvnd, is_estimate, true as is_own, submission_id,
        next_reported_month
    from picked
    union all
    select
        month, null as submitting_unit_code, unit_code, null as district_code, null as province_code,
        source_code, capital_type, year_no, true as reformed, amount_ytd_mvnd, null as is_estimate,
        false as is_own, null::bigint as submission_id, null::date as next_reported_month
    from predecessors
    where unit_code is not null
),

series as (
    -- the predecessors' rows (reformed partition, before July) precede every own row of their
    -- partition, so `lead` of an own row is always an own row
    select
        *,
        lag(month) over w as previous_month,
        lag(amount_ytd_mvnd) over w as previous_ytd_mvnd,
        lead(month) over w as next_series_month
    from chained
    window w as (
        partition by unit_code, source_code, capital_type, year_no, reformed
        order by month
    )
)

select
    o.month,
    o.year_no,
    o.submitting_unit_code,
    o.unit_code,
    o.district_code,
    o.province_code,
    o.source_code,
    o.capital_type,
    o.amount_ytd_mvnd,
    o.amount_ytd_mvnd - coalesce(o.previous_ytd_mvnd, 0) as amount_month_mvnd,
    case
        when o.previous_month is null then extract(month from o.month)::integer
        else ((extract(year from o.month) - extract(year from o.previous_month)) * 12
              + extract(month from o.month) - extract(month from o.previous_month))::integer
    end as months_covered,
    o.is_estimate,
    case
        when o.next_reported_month is not null
            and (o.next_series_month is null or o.next_series_month > o.next_reported_month)
            then o.next_reported_month
    end as disappears_in,
    o.submission_id
from series as o
where o.is_own
    and {{ tail_filter('o.month', starts) }}
