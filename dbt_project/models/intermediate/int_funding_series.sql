-- Funding figures are cumulative from 1 January. The month's increment is the difference to the
-- previous figure of the same series (unit, source, capital type) within the same year.
-- January's increment is its figure. When months are missing in between, the whole difference
-- is attributed to the month received and flagged (months_covered > 1): a missing month is never
-- taken as 0. The first figure of a year reported after January covers January up to that month.
with reported as (
    select
        l.month,
        f.unit_code,
        l.district_code,
        l.province_code,
        f.source_code,
        f.capital_type,
        f.amount_mvnd as amount_ytd_mvnd,
        f.is_estimate,
        l.submission_id,
        extract(year from l.month)::integer as year_no,
        row_number() over (
            partition by l.month, f.unit_code, f.source_code, f.capital_type
            order by l.specificity, l.received_at desc, l.submission_id desc
        ) as pick
    from {{ ref('int_latest_submission') }} as l
    inner join {{ ref('stg_raw__nguon_von') }} as f on f.submission_id = l.submission_id
),

series as (
    select
        *,
        lag(month) over w as previous_month,
        lag(amount_ytd_mvnd) over w as previous_ytd_mvnd
    from reported
    where pick = 1
    window w as (
        partition by unit_code, source_code, capital_type, year_no
        order by month
    )
)

select
    month,
    year_no,
    unit_code,
    district_code,
    province_code,
    source_code,
    capital_type,
    amount_ytd_mvnd,
    amount_ytd_mvnd - coalesce(previous_ytd_mvnd, 0) as amount_month_mvnd,
    case
        when previous_month is null then extract(month from month)::integer
        else ((extract(year from month) - extract(year from previous_month)) * 12
              + extract(month from month) - extract(month from previous_month))::integer
    end as months_covered,
    is_estimate,
    submission_id
from series
