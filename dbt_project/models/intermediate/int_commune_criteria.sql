-- One mark per commune, criterion and month, from the commune row chosen in int_commune_month.
select
    c.month,
    c.commune_code,
    c.district_code,
    c.province_code,
    c.criteria_set,
    m.criterion_code,
    m.is_met,
    c.submission_id
from {{ ref('int_commune_month') }} as c
inner join {{ ref('stg_raw__tieu_chi_xa_mark') }} as m
    on m.submission_id = c.submission_id and m.commune_code = c.commune_code
