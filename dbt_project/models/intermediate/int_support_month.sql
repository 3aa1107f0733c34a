-- Support to communes in hardship in the month, per commune and supporting agency.
select
    l.month,
    h.commune_code,
    l.district_code,
    l.province_code,
    h.supporting_agency,
    sum(h.value_mvnd)::numeric(18, 3) as value_mvnd,
    string_agg(h.description, '; ' order by h.excel_row) as description,
    min(l.submission_id) as submission_id
from {{ ref('int_latest_submission') }} as l
inner join {{ ref('stg_raw__ho_tro') }} as h on h.submission_id = l.submission_id
group by l.month, h.commune_code, l.district_code, l.province_code, h.supporting_agency
