-- Support to communes in hardship in the month, per commune and supporting agency. When a unit
-- and one of its communes both report support to that commune (from 2025-07 a province and its
-- commune may both submit), only the most specific report counts: support is never counted twice.
with reported as (
    select
        l.month,
        h.commune_code,
        l.district_code,
        l.province_code,
        h.supporting_agency,
        h.value_mvnd,
        h.description,
        h.excel_row,
        l.submission_id,
        l.specificity,
        min(l.specificity) over (partition by l.month, h.commune_code) as best_specificity
    from {{ ref('int_latest_submission') }} as l
    inner join {{ ref('stg_raw__ho_tro') }} as h on h.submission_id = l.submission_id
)

select
    month,
    commune_code,
    district_code,
    province_code,
    supporting_agency,
    sum(value_mvnd)::numeric(18, 3) as value_mvnd,
    string_agg(description, '; ' order by excel_row) as description,
    min(submission_id) as submission_id
from reported
where specificity = best_specificity
group by month, commune_code, district_code, province_code, supporting_agency
