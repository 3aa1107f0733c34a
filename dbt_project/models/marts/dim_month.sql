-- Every month from January 2010 (start of the programme) or the earliest reported month, to
-- the latest reported month or the current month, whichever is later.
with bounds as (
    select
        least(date '2010-01-01', min(period)) as first_month,
        greatest(date_trunc('month', current_date)::date, max(period)) as last_month
    from {{ ref('stg_audit__submission') }}
)

select
    m::date as month,
    extract(year from m)::integer as year,
    extract(quarter from m)::integer as quarter,
    extract(month from m)::integer as month_of_year,
    ('Tháng ' || extract(month from m)::integer || '/' || extract(year from m)::integer)::text as month_label_vi,
    to_char(m, 'YYYY-MM')::text as month_label
from bounds, generate_series(bounds.first_month, bounds.last_month, interval '1 month') as m
