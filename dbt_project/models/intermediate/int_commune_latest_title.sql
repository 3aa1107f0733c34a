-- Each commune's title as of its latest reported month (the input of the title snapshot).
select distinct on (commune_code)
    commune_code,
    month as reported_month,
    district_code,
    province_code,
    ntm_title,
    title_date
from {{ ref('fct_commune_status') }}
order by commune_code, month desc
