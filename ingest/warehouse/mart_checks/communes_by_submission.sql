-- Communes per month and submission: rows of raw.tieu_chi_xa of accepted submissions that name a
-- xã in force on the last day of the period (wards, townships and special zones are kept in raw
-- but never counted) against rows of marts.fct_commune_status.
with raw_side as (
    select s.period as month, s.submitting_unit_code as unit_code, x.submission_id,
           count(distinct x.commune_code) as raw_value
    from raw.tieu_chi_xa as x
    join audit.submission as s using (submission_id)
    join ref.admin_unit as u
      on u.unit_code = x.commune_code and u.unit_level = 'commune' and u.unit_type = 'Xã'
     and u.valid_from <= (s.period + interval '1 month' - interval '1 day')::date
     and (u.valid_to is null or u.valid_to >= (s.period + interval '1 month' - interval '1 day')::date)
    where s.status = 'accepted' and (%(month)s::date is null or s.period = %(month)s::date)
    group by 1, 2, 3
),
mart_side as (
    select month, submission_id, count(*) as mart_value
    from {marts}.fct_commune_status
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
