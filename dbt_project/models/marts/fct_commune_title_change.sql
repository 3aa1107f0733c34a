{#- Incremental: a month's changes depend on that month's status and the commune's report before
    it, so the months from the first whose submissions in force changed are deleted and rebuilt
    (macros/incremental_months.sql, months_since_change). The report before the first rebuilt
    month is looked up per commune (fct_commune_status is indexed on commune and month), not by
    reading every month of history again. -#}
{%- set since = plan_rebuild_since(months_since_change()) -%}
{%- set windowed = is_incremental() and since is not none -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_since(planned_since()) }}",
    post_hook="{{ table_index('month_idx', 'month, commune_code') }}"
) }}
-- When a commune gained or lost a title, month by month: one row per commune and month whose
-- title differs from the commune's previous reported month. A commune's first report is not a
-- change. Codes are compared only within one list (a code reused after the 1 July 2025 reform
-- names another unit): a 2025 commune's first report is compared with the last legacy reports of
-- the communes merged into it (their highest title), so its history follows it across the reform.
with status as (
    select s.*, t.title_rank, {{ is_reformed('s.month') }} as reformed
    from {{ ref('fct_commune_status') }} as s
    inner join {{ ref('dim_title_level') }} as t on t.title_code = s.ntm_title
),

within_list as (
    select
        *,
        lag(ntm_title) over w as previous_title,
        lag(title_rank) over w as previous_rank,
        lag(month) over w as previous_month,
        row_number() over w as report_no
    from status
    where {{ since_filter('month', since) }}
    window w as (partition by commune_code, reformed order by month)
),

earlier as (
    -- in an incremental build: each commune's last report before the rebuilt months, in its list
    {%- if windowed %}
    select w.commune_code, w.reformed, e.month, e.title_rank
    from within_list as w
    cross join lateral (
        select p.month, t.title_rank
        from {{ ref('fct_commune_status') }} as p
        inner join {{ ref('dim_title_level') }} as t on t.title_code = p.ntm_title
        where p.commune_code = w.commune_code and p.month < date '{{ since }}'
            and {{ is_reformed('p.month') }} = w.reformed
        order by p.month desc
        limit 1
    ) as e
    where w.report_no = 1
    {%- else %}
    select null::text as commune_code, null::boolean as reformed, null::date as month, null::integer as title_rank
    where false
    {%- endif %}
),

listed as (
    select
        w.month, w.commune_code, w.district_code, w.province_code, w.ntm_title, w.title_rank,
        w.title_date, w.submission_id, w.reformed,
        coalesce(w.previous_rank, e.title_rank) as previous_rank,
        coalesce(w.previous_month, e.month) as previous_month
    from within_list as w
    left join earlier as e on w.report_no = 1 and e.commune_code = w.commune_code and e.reformed = w.reformed
),

predecessors as (
    -- for a 2025 commune's first report: the last legacy report of each legacy commune merged
    -- into it (the unit in force that month names its successor)
    select
        u.successor_code as commune_code,
        max(l.title_rank) as previous_rank,
        max(l.month) as previous_month,
        string_agg(u.unit_code, ',' order by u.unit_code) as predecessor_codes
    from {{ ref('stg_ref__admin_unit') }} as u
    cross join lateral (
        select p.month, t.title_rank
        from {{ ref('fct_commune_status') }} as p
        inner join {{ ref('dim_title_level') }} as t on t.title_code = p.ntm_title
        where p.commune_code = u.unit_code and not {{ is_reformed('p.month') }}
        order by p.month desc
        limit 1
    ) as l
    where u.unit_level = 'commune' and u.successor_code is not null and {{ in_force('u', 'l.month') }}
        and u.successor_code in (
            select commune_code from listed where reformed and previous_rank is null
        )
    group by u.successor_code
),

compared as (
    select
        w.month, w.commune_code, w.district_code, w.province_code, w.ntm_title, w.title_rank,
        w.title_date, w.submission_id,
        coalesce(w.previous_month, p.previous_month) as previous_month,
        coalesce(w.previous_rank, p.previous_rank) as previous_rank,
        case when w.previous_rank is null then p.predecessor_codes end as predecessor_codes
    from listed as w
    left join predecessors as p
        on w.reformed and w.previous_rank is null and p.commune_code = w.commune_code
)

select
    c.month::date as month,
    c.commune_code::text as commune_code,
    c.district_code::text as district_code,
    c.province_code::text as province_code,
    c.previous_month::date as previous_month,
    t.title_code::text as previous_title,
    c.ntm_title::text as ntm_title,
    (case
        when c.previous_rank = 0 then 'gained'
        when c.title_rank = 0 then 'lost'
        when c.title_rank > c.previous_rank then 'upgraded'
        else 'downgraded'
    end)::text as change,
    c.predecessor_codes::text as predecessor_codes,
    c.title_date::date as title_date,
    c.submission_id::bigint as submission_id
from compared as c
inner join {{ ref('dim_title_level') }} as t on t.title_rank = c.previous_rank
where c.previous_rank is not null and c.previous_rank <> c.title_rank
