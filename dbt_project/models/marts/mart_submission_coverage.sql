-- Which units were expected to submit each month and what they did.
-- Expected: for every province that has sent anything (any status), every month from the first
-- reported month (over all submissions) to the latest; up to 2025-06 the legacy districts of
-- that province in force in the month (ref.admin_unit), from 2025-07 the province itself (its
-- 2025 successor when it sent under a legacy code). Units that submitted without being expected
-- (e.g. reference data not loaded yet) are listed too. Status: accepted, late (accepted, but the
-- first loaded version arrived after day `submission_deadline_day` of the following month,
-- Vietnam time), rejected (only rejected / stale / duplicate files), pending (received, not
-- decided yet), missing (nothing received).
{% set cutover = var('reorganisation_date') %}
with submissions as (
    select
        *,
        (received_at at time zone '{{ var("submission_timezone") }}')::date as received_on
    from {{ ref('stg_audit__submission') }}
    where period is not null and submitting_unit_code is not null
),

months as (
    select m::date as month
    from (select min(period) as first_month, max(period) as last_month from submissions) as b,
        generate_series(b.first_month, b.last_month, interval '1 month') as m
),

provinces as (
    select distinct province_code from submissions where province_code is not null
),

units as (
    select unit_code, unit_level, parent_code, province_code, valid_from, valid_to, successor_code
    from {{ ref('stg_ref__admin_unit') }}
),

expected_legacy as (
    select m.month, u.province_code, u.unit_code
    from months as m
    inner join units as u
        on u.unit_level = 'district'
        and u.valid_from <= m.month
        and (u.valid_to is null or u.valid_to >= m.month)
    inner join provinces as p on p.province_code = u.province_code
    where m.month < date '{{ cutover }}'
        -- island districts without communes have nothing to report
        and exists (
            select 1 from units as c
            where c.unit_level = 'commune' and c.parent_code = u.unit_code
                and c.valid_from <= m.month and (c.valid_to is null or c.valid_to >= m.month)
        )
),

province_now as (
    -- a province that sent anything, under its 2025 code (itself when unchanged or unknown)
    select distinct coalesce(
        (select max(u.successor_code) from units as u
         where u.unit_code = p.province_code and u.unit_level = 'province' and u.successor_code is not null),
        p.province_code
    ) as province_code
    from provinces as p
),

expected_2025 as (
    select m.month, p.province_code, p.province_code as unit_code
    from months as m
    cross join province_now as p
    where m.month >= date '{{ cutover }}'
),

expected as (
    select * from expected_legacy
    union
    select * from expected_2025
    union
    select period, province_code, submitting_unit_code
    from submissions
    where length(submitting_unit_code) in (2, 3)
),

per_unit as (
    select
        s.period as month,
        s.submitting_unit_code as unit_code,
        max(s.version) as latest_version,
        bool_or(s.status = 'accepted') as has_accepted,
        bool_or(s.status = 'received') as has_pending,
        min(s.received_on) filter (where s.status in ('accepted', 'superseded')) as first_loaded_on,
        min(s.received_at) filter (where s.status in ('accepted', 'superseded')) as first_loaded_at,
        max(s.received_at) as last_received_at
    from submissions as s
    group by s.period, s.submitting_unit_code
)

select
    e.month::date as month,
    e.province_code::text as province_code,
    e.unit_code::text as district_code,
    (p.unit_code is not null)::boolean as submitted,
    p.latest_version::integer as latest_version,
    (case
        when p.unit_code is null then 'missing'
        when p.has_accepted and p.first_loaded_on
            > (e.month + interval '1 month' + ({{ var('submission_deadline_day') }} - 1) * interval '1 day')::date
            then 'late'
        when p.has_accepted then 'accepted'
        when p.has_pending then 'pending'
        else 'rejected'
    end)::text as status,
    coalesce(p.first_loaded_at, p.last_received_at)::timestamptz as received_at,
    (e.month + interval '1 month' + ({{ var('submission_deadline_day') }} - 1) * interval '1 day')::date as deadline
from expected as e
left join per_unit as p on p.month = e.month and p.unit_code = e.unit_code
