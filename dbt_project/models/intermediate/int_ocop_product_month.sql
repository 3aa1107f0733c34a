-- OCOP products at month end. The key is the province's product code when given, else a stable
-- hash of commune + normalised name + producer. A product listed twice keeps its latest decision.
with keyed as (
    select
        l.month,
        (l.month + interval '1 month' - interval '1 day')::date as month_end,
        l.province_code,
        l.district_code,
        l.specificity,
        l.received_at,
        o.*,
        l.province_code || ':' || coalesce(
            o.product_code,
            'h' || left(md5(
                o.commune_code || '|'
                || lower(regexp_replace(trim(o.product_name), '\s+', ' ', 'g')) || '|'
                || coalesce(lower(regexp_replace(trim(o.entity_name), '\s+', ' ', 'g')), '')
            ), 16)
        ) as product_key
    from {{ ref('int_latest_submission') }} as l
    inner join {{ ref('stg_raw__ocop') }} as o on o.submission_id = l.submission_id
),

picked as (
    select
        *,
        row_number() over (
            partition by month, product_key
            order by specificity, decision_date desc nulls last, excel_row desc, submission_id desc
        ) as pick
    from keyed
)

select
    month,
    product_key,
    product_code,
    product_name,
    commune_code,
    district_code,
    province_code,
    entity_name,
    entity_type,
    product_group,
    stars,
    status,
    case
        when status = 'expired' then 'expired'
        when status in ('rated', 're_rated') and valid_until < month_end then 'expired'
        else status
    end as effective_status,
    decision_date,
    valid_until,
    (
        status in ('rated', 're_rated')
        and valid_until is not null
        and valid_until >= month_end
        and valid_until <= (month_end + interval '6 months')::date
    ) as expires_within_6_months,
    submission_id
from picked
where pick = 1
