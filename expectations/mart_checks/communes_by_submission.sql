-- Communes per month and submission: rows of raw.tieu_chi_xa of accepted submissions against
-- rows of marts.fct_commune_status.
with raw_side as (
    select s.period as month, s.submitting_unit_code as unit_code, x.submission_id,
           count(distinct x.commune_code) as raw_value
    from raw.tieu_chi_xa as x
    join audit.submission as s using (submission_id)
    where s.status = 'accepted' and (%(month)s::date is null or s.period = %(month)s::date)
    group by 1, 2, 3
),
mart_side as (
    select month, submission_id, count(*) as mart_value
    from marts.fct_commune_status
    where %(month)s::date is null or month = %(month)s::date
    group by 1, 2
)
select coalesce(r.month, m.month) as month,
       r.unit_code,
       coalesce(r.submission_id, m.submission_id) as submission_id,
       r.raw_value::float8 as raw_value,
       m.mart_value::float8 as mart_value
from raw_side as r
full join mart_side as m on m.month = r.month and m.submission_id = r.submission_id
