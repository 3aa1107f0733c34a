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
    window w as (partition by commune_code, reformed order by month)
),

last_legacy as (
    select distinct on (commune_code) commune_code, month, title_rank
    from status
    where not reformed
    order by commune_code, month desc
),

predecessors as (
    select
        u.successor_code as commune_code,
        max(l.title_rank) as previous_rank,
        max(l.month) as previous_month,
        string_agg(l.commune_code, ',' order by l.commune_code) as predecessor_codes
    from last_legacy as l
    inner join {{ ref('stg_ref__admin_unit') }} as u
        on u.unit_code = l.commune_code and u.unit_level = 'commune' and {{ in_force('u', 'l.month') }}
    where u.successor_code is not null
    group by u.successor_code
),

compared as (
    select
        w.month, w.commune_code, w.district_code, w.province_code, w.ntm_title, w.title_rank,
        w.title_date, w.submission_id,
        coalesce(w.previous_month, p.previous_month) as previous_month,
        coalesce(w.previous_rank, p.previous_rank) as previous_rank,
        case when w.previous_rank is null then p.predecessor_codes end as predecessor_codes
    from within_list as w
    left join predecessors as p
        on w.reformed and w.report_no = 1 and p.commune_code = w.commune_code
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
