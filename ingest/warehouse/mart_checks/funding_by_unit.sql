-- Funding per month, submission and unit: the sum of raw.nguon_von of accepted submissions
-- against the sum of marts.fct_funding.amount_ytd_mvnd. (Total rows are never stored in raw.)
-- Parameter: %(month)s, a date or NULL for every month.
with raw_side as (
    select s.period as month, n.submission_id, n.unit_code, sum(n.amount_mvnd) as raw_value
    from raw.nguon_von as n
    join audit.submission as s using (submission_id)
    where s.status = 'accepted' and n.source_code <> 'tong'
      and (%(month)s::date is null or s.period = %(month)s::date)
    group by 1, 2, 3
),
mart_side as (
    select month, submission_id, unit_code, sum(amount_ytd_mvnd) as mart_value
    from {marts}.fct_funding
    where %(month)s::date is null or month = %(month)s::date
    group by 1, 2, 3
)
select coalesce(r.month, m.month) as month,
       coalesce(r.unit_code, m.unit_code) as unit_code,
       coalesce(r.submission_id, m.submission_id) as submission_id,
       r.raw_value::float8 as raw_value,
       m.mart_value::float8 as mart_value
from raw_side as r
full join mart_side as m
  on m.month = r.month and m.submission_id = r.submission_id and m.unit_code = r.unit_code
