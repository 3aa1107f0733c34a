-- Each commune's title as of its latest reported month (the input of the title snapshot).
-- A table: its key test and the snapshot each read it, and as a view each computed it again from
-- every month of fct_commune_status (1.6 s each at ten national years).
{{ config(materialized='table') }}
select distinct on (commune_code)
    commune_code,
    month as reported_month,
    district_code,
    province_code,
    ntm_title,
    title_date
from {{ ref('fct_commune_status') }}
order by commune_code, month desc
