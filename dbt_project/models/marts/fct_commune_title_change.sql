-- When a commune gained or lost a title, month by month: one row per commune and month whose
-- title differs from the commune's previous reported month. A commune's first report (and the
-- first report under a new 2025 code) is not a change.
with ranked as (
    select
        s.*,
        t.title_rank,
        lag(s.ntm_title) over w as previous_title,
        lag(t.title_rank) over w as previous_rank,
        lag(s.month) over w as previous_month
    from {{ ref('fct_commune_status') }} as s
    inner join {{ ref('dim_title_level') }} as t on t.title_code = s.ntm_title
    window w as (partition by s.commune_code order by s.month)
)

select
    month::date as month,
    commune_code::text as commune_code,
    district_code::text as district_code,
    province_code::text as province_code,
    previous_month::date as previous_month,
    previous_title::text as previous_title,
    ntm_title::text as ntm_title,
    (case
        when previous_rank = 0 then 'gained'
        when title_rank = 0 then 'lost'
        when title_rank > previous_rank then 'upgraded'
        else 'downgraded'
    end)::text as change,
    title_date::date as title_date,
    submission_id::bigint as submission_id
from ranked
where previous_title is not null and previous_title <> ntm_title
