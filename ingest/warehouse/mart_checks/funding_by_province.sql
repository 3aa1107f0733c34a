-- Funding per month and province: raw.nguon_von of accepted submissions against the province
-- rows of marts.mart_funding (total_ytd_mvnd). Province rows that carry a silent district's
-- figures forward (has_carried_forward) hold more than that month's raw rows by design and are
-- left out; the per-unit check (funding_by_unit) covers every figure.
with raw_side as (
    select s.period as month, s.province_code as unit_code, sum(n.amount_mvnd) as raw_value
    from raw.nguon_von as n
    join audit.submission as s using (submission_id)
    where s.status = 'accepted' and n.source_code <> 'tong'
      and (%(month)s::date is null or s.period = %(month)s::date)
    group by 1, 2
),
mart_side as (
    select month, unit_code, total_ytd_mvnd as mart_value
    from {marts}.mart_funding
    where unit_level = 'province' and not has_carried_forward
      and (%(month)s::date is null or month = %(month)s::date)
)
select coalesce(r.month, m.month) as month,
       coalesce(r.unit_code, m.unit_code) as unit_code,
       null::bigint as submission_id,
       r.raw_value::float8 as raw_value,
       m.mart_value::float8 as mart_value
from raw_side as r
full join mart_side as m on m.month = r.month and m.unit_code = r.unit_code
where m.unit_code is not null
   or not exists (select 1 from {marts}.mart_funding as c
                  where c.unit_level = 'province' and c.has_carried_forward
                    and c.month = r.month and c.unit_code = r.unit_code)
