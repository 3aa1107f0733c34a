-- OCOP products per month and submission: distinct products of raw.ocop of accepted submissions
-- (by the province's code, else commune + normalised name + producer) against the rows of
-- marts.fct_ocop_product.
with raw_side as (
    select s.period as month, s.submitting_unit_code as unit_code, o.submission_id,
           count(distinct coalesce(
               o.product_code,
               o.commune_code || '|' || lower(regexp_replace(trim(o.product_name), '\s+', ' ', 'g')) || '|'
               || coalesce(lower(regexp_replace(trim(o.entity_name), '\s+', ' ', 'g')), ''))) as raw_value
    from raw.ocop as o
    join audit.submission as s using (submission_id)
    where s.status = 'accepted' and (%(month)s::date is null or s.period = %(month)s::date)
    group by 1, 2, 3
),
mart_side as (
    select month, submission_id, count(*) as mart_value
    from {marts}.fct_ocop_product
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
