-- OCOP products at month end (domain.md, OCOP).
--
-- The key keeps a product's identity across the 1 July 2025 reform: the 2025 province (a legacy
-- province's successor) + the province's product code when given, else + a hash of the 2025
-- commune (a legacy commune's successor), normalised name and producer. Units are looked up by
-- code AND the list in force at month end (a code alone never names a unit across the reform).
-- A product listed twice keeps its latest decision.
--
-- catalogue: as the reader gave it (a group named by a name of one catalogue fixes it), else the
-- catalogue in force on the decision date: 1048 before var ocop_catalogue_148_from (2023-02-24),
-- 148 from then, while preparing, or without a decision date (ingest/rules.py holds the same).
-- valid_until: as given, else decision_date + var ocop_validity_months (36).
-- recognised_by: central for 5 stars, province for 4, and for 3 stars the district when decided
-- before var reorganisation_date (2025-07-01), the province from then; null while preparing.
with submitted as (
    select
        l.month,
        (l.month + interval '1 month' - interval '1 day')::date as month_end,
        l.province_code,
        l.district_code,
        l.specificity,
        l.received_at,
        o.*
    from {{ ref('int_latest_submission') }} as l
    inner join {{ ref('stg_raw__ocop') }} as o on o.submission_id = l.submission_id
),

keyed as (
    select
        s.*,
        coalesce(p.successor_code, s.province_code) || ':' || coalesce(
            s.product_code,
            'h' || left(md5(
                coalesce(c.successor_code, s.commune_code) || '|'
                || lower(regexp_replace(trim(s.product_name), '\s+', ' ', 'g')) || '|'
                || coalesce(lower(regexp_replace(trim(s.entity_name), '\s+', ' ', 'g')), '')
            ), 16)
        ) as product_key
    from submitted as s
    left join {{ ref('stg_ref__admin_unit') }} as p
        on p.unit_code = s.province_code and p.unit_level = 'province' and {{ in_force('p', 's.month') }}
    left join {{ ref('stg_ref__admin_unit') }} as c
        on c.unit_code = s.commune_code and c.unit_level = 'commune' and {{ in_force('c', 's.month') }}
),

picked as (
    select
        *,
        row_number() over (
            partition by month, product_key
            order by specificity, decision_date desc nulls last, excel_row desc, submission_id desc
        ) as pick
    from keyed
),

ruled as (
    select
        *,
        coalesce(
            catalogue,
            case
                when status = 'preparing'
                    or decision_date is null
                    or decision_date >= '{{ var("ocop_catalogue_148_from") }}'::date
                    then '148'
                else '1048'
            end
        ) as catalogue_held,
        coalesce(
            valid_until,
            (decision_date + interval '{{ var("ocop_validity_months") }} months')::date
        ) as valid_until_held
    from picked
    where pick = 1
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
    catalogue_held as catalogue,
    stars,
    status,
    case
        when status = 'expired' then 'expired'
        when status in ('rated', 're_rated') and valid_until_held < month_end then 'expired'
        else status
    end as effective_status,
    decision_date,
    valid_until_held as valid_until,
    case
        when status = 'preparing' or stars is null then null
        when stars = 5 then 'central'
        when stars = 4 then 'province'
        when coalesce(decision_date, month_end) < '{{ var("reorganisation_date") }}'::date then 'district'
        else 'province'
    end as recognised_by,
    (
        status in ('rated', 're_rated')
        and valid_until_held is not null
        and valid_until_held >= month_end
        and valid_until_held <= (month_end + interval '6 months')::date
    ) as expires_within_6_months,
    submission_id
from ruled
