-- Which units were expected to submit each month and what they did (marts.md, "Timeliness",
-- "Who is expected").
--
-- Months: from the first to the last month that a submission or a pipeline run names (a month a
-- run asked about in which nobody submitted shows every expected unit `missing`).
-- Provinces of the deployment: var `ntm_provinces` (NTM_PROVINCES, passed by ingest.transform):
-- comma-separated codes; `all` = the whole country; empty = the provinces that sent anything.
-- A code means the province of that code in force in the month; from 2025-07 a legacy code also
-- means its 2025 successor, and (for provinces that sent) a 2025 province sending means its
-- legacy predecessors before.
-- Expected units: up to 2025-06 the districts of those provinces that have at least one commune
-- of type xã in force at the end of the month (urban districts of wards only and island districts
-- are not expected); from 2025-07 the province itself. Every join to the reference list is on the
-- code AND the interval in force (codes are reused across the 2025 reform).
-- A file whose unit (or month) could not be read counts for the unit (month) its name names
-- (`<YYYY-MM>_<unit>_v<N>.xlsx`); so does a duplicate (the same bytes as an earlier file, never
-- read again): the unit sent something for the month, even if nothing new. Units that sent accepted files without being known to the
-- reference list for the month (reference data not loaded yet) are listed too.
-- Status: accepted (on time), late (the first accepted version was received after day
-- `submission_deadline_day` of the following month, Vietnam time; for a backfill, declared
-- after it in thong_tin), rejected (only rejected / stale files), pending (received, not
-- decided yet), missing (nothing received).
{% set cutover = var('reorganisation_date') %}
{% set tz = var('submission_timezone') %}
{% set setting = (var('ntm_provinces', '') or '') | string | trim %}
{% set codes = [] %}
{% if setting | lower != 'all' %}
    {% for part in setting.split(',') %}
        {% set code = part | trim %}
        {% if code %}
            {% if not modules.re.fullmatch('[0-9]{1,2}', code) %}
                {{ exceptions.raise_compiler_error("var ntm_provinces must be 'all' or comma-separated province codes, not '" ~ setting ~ "'") }}
            {% endif %}
            {% do codes.append(code if code | length == 2 else '0' ~ code) %}
        {% endif %}
    {% endfor %}
{% endif %}
{% set mode = 'all' if setting | lower == 'all' else ('list' if codes else 'sent') %}
with named_months as (
    -- what a file name or a run may name: months of the programme up to this month (a name is
    -- not checked like a workbook; dim_month covers exactly these and every period read)
    select date '2010-01-01' as first_month, date_trunc('month', current_date)::date as last_month
),

submissions as (
    select
        submission_id,
        coalesce(submitting_unit_code, file_unit_hint) as unit_code,
        submitting_unit_code is not null as unit_read,
        province_code,
        coalesce(
            period,
            (select file_period_hint from named_months as n
             where file_period_hint between n.first_month and n.last_month)
        ) as month,
        version,
        status,
        received_at,
        (received_at at time zone '{{ tz }}')::date as received_on,
        submitted_on,
        is_backfill
    from {{ ref('stg_audit__submission') }}
),

counted as (
    -- the files that count for a unit and month (read from thong_tin, else named by the file name)
    select * from submissions where unit_code is not null and month is not null
),

asked as (
    select month from counted
    union
    select date_trunc('month', r.logical_month)::date
    from {{ ref('stg_audit__pipeline_run') }} as r
    inner join named_months as n
        on date_trunc('month', r.logical_month)::date between n.first_month and n.last_month
),

months as (
    select m::date as month, (m + interval '1 month' - interval '1 day')::date as month_end
    from (select min(month) as first_month, max(month) as last_month from asked) as b,
        generate_series(b.first_month, b.last_month, interval '1 month') as m
),

units as not materialized (
    select unit_code, unit_level, unit_type, parent_code, province_code, valid_from, valid_to, successor_code
    from {{ ref('stg_ref__admin_unit') }}
),

xa_holder as (
    -- the units that hold xã, and over which interval: a xã's district (its parent before July
    -- 2025) and its province; a handful of rows per unit, so that "has a xã in force" is cheap
    select parent_code as unit_code, valid_from, valid_to
    from units
    where unit_level = 'commune' and lower(unit_type) in ('xã', 'xa') and parent_code is not null
    group by 1, 2, 3
    union
    select province_code, valid_from, valid_to
    from units
    where unit_level = 'commune' and lower(unit_type) in ('xã', 'xa')
    group by 1, 2, 3
),

-- legacy provinces as they were on the last day of the legacy list, with their 2025 successor
legacy_province as (
    select u.unit_code, u.successor_code
    from units as u
    where u.unit_level = 'province' and {{ in_force_on('u', "(date '" ~ cutover ~ "' - 1)") }}
),

{% if mode != 'all' %}
-- the province codes wanted, per era (legacy before the cutover, 2025 from it)
named as (
    {% if mode == 'list' %}
    select code, era
    from (values {% for c in codes %}('{{ c }}'){{ ',' if not loop.last }}{% endfor %}) as v (code)
        cross join (values ('legacy'), ('2025')) as e (era)
    {% else %}
    select distinct
        province_code as code,
        case when month < date '{{ cutover }}' then 'legacy' else '2025' end as era
    from counted
    where unit_read and province_code is not null
    {% endif %}
),

wanted as (
    select code, era from named
    union
    -- a legacy province's 2025 successor
    select l.successor_code, '2025' from named as n
    inner join legacy_province as l on l.unit_code = n.code
    where n.era = 'legacy' and l.successor_code is not null
    {% if mode == 'sent' %}
    union
    -- a 2025 province that sent: its legacy predecessors before the cutover
    select l.unit_code, 'legacy' from named as n
    inner join legacy_province as l on l.successor_code = n.code
    where n.era = '2025'
    {% endif %}
),
{% endif %}

deployment as (
    -- the deployment's provinces in force at the end of each month
    select m.month, m.month_end, p.unit_code as province_code
    from months as m
    inner join units as p on p.unit_level = 'province' and {{ in_force_on('p', 'm.month_end') }}
    {% if mode != 'all' %}
    inner join wanted as w
        on w.code = p.unit_code
        and w.era = case when m.month < date '{{ cutover }}' then 'legacy' else '2025' end
    {% endif %}
),

expected_legacy as (
    select d.month, d.province_code, u.unit_code
    from deployment as d
    inner join units as u
        on u.unit_level = 'district' and u.province_code = d.province_code and {{ in_force_on('u', 'd.month_end') }}
    where d.month < date '{{ cutover }}'
        and exists (
            select 1 from xa_holder as x
            where x.unit_code = u.unit_code and {{ in_force_on('x', 'd.month_end') }}
        )
),

expected_2025 as (
    select d.month, d.province_code, d.province_code as unit_code
    from deployment as d
    where d.month >= date '{{ cutover }}'
        and exists (
            select 1 from xa_holder as x
            where x.unit_code = d.province_code and {{ in_force_on('x', 'd.month_end') }}
        )
),

unknown_senders as (
    -- accepted files from a unit the reference list does not know in that month
    select distinct s.month, s.province_code, s.unit_code
    from counted as s
    inner join months as m on m.month = s.month
    where s.unit_read and s.status in ('accepted', 'superseded') and length(s.unit_code) in (2, 3)
        and not exists (
            select 1 from units as u
            where u.unit_code = s.unit_code and u.unit_level in ('district', 'province')
                and {{ in_force_on('u', 'm.month_end') }}
        )
),

expected as (
    select * from expected_legacy
    union
    select * from expected_2025
    union
    select * from unknown_senders
),

per_unit as (
    select
        month,
        unit_code,
        max(version) as latest_version,
        max(version) filter (where status = 'accepted') as version_in_force,
        bool_or(status = 'accepted') as has_accepted,
        bool_or(status = 'received') as has_pending,
        max(received_at) as last_received_at
    from counted
    group by month, unit_code
),

first_loaded as (
    -- the first accepted version (accepted, or accepted then superseded): timeliness is about it
    select distinct on (month, unit_code)
        month, unit_code, received_at, received_on, submitted_on, is_backfill
    from counted
    where status in ('accepted', 'superseded')
    order by month, unit_code, received_at, submission_id
),

in_force as (
    select month, unit_code, submitted_on
    from counted
    where status = 'accepted'
),

latest_file as (
    -- the latest file whose content was read (else the latest file)
    select distinct on (month, unit_code) month, unit_code, submitted_on, is_backfill
    from counted
    order by month, unit_code, unit_read desc, received_at desc, submission_id desc
),

judged as (
    select
        p.*,
        f.received_at as first_loaded_at,
        -- live files by the day they arrived; history from a backfill by the day declared
        -- (a backfilled file that declared no date is not judged late)
        case when f.is_backfill then f.submitted_on else f.received_on end as judged_on,
        case when p.version_in_force is not null then v.submitted_on else l.submitted_on end as submitted_on,
        coalesce(f.is_backfill, l.is_backfill) as is_backfill
    from per_unit as p
    left join first_loaded as f on f.month = p.month and f.unit_code = p.unit_code
    left join in_force as v on v.month = p.month and v.unit_code = p.unit_code
    left join latest_file as l on l.month = p.month and l.unit_code = p.unit_code
)

select
    e.month::date as month,
    e.province_code::text as province_code,
    e.unit_code::text as district_code,
    (j.unit_code is not null)::boolean as submitted,
    j.latest_version::integer as latest_version,
    j.version_in_force::integer as version_in_force,
    (case
        when j.unit_code is null then 'missing'
        when j.has_accepted and j.judged_on > {{ coverage_deadline('e.month') }} then 'late'
        when j.has_accepted then 'accepted'
        when j.has_pending then 'pending'
        else 'rejected'
    end)::text as status,
    coalesce(j.first_loaded_at, j.last_received_at)::timestamptz as received_at,
    j.submitted_on::date as submitted_on,
    coalesce(j.is_backfill, false)::boolean as is_backfill,
    {{ coverage_deadline('e.month') }} as deadline
from expected as e
left join judged as j on j.month = e.month and j.unit_code = e.unit_code
