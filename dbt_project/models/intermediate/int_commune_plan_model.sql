-- Per xã whose status is known for a month (int_commune_known_month): its model villages and
-- roads (kieu_mau of the latest submission of its unit carrying the sheet, carried forward like
-- the titles: null where the unit never sent the sheet, 0 for a xã absent from a sheet that was
-- sent) and its registrations in the plan in force of its unit for the month's year (ke_hoach).
with registrations as (
    select
        submission_id,
        unit_code as commune_code,
        bool_or(indicator = 'register_advanced') as registered_advanced,
        bool_or(indicator = 'register_model') as registered_model
    from {{ ref('stg_raw__ke_hoach') }}
    where is_registration and target > 0
    group by submission_id, unit_code
)

select
    k.month,
    k.commune_code,
    src.model_submission_id,
    src.plan_submission_id,
    case when src.model_submission_id is not null then coalesce(km.model_villages, 0) end as model_villages,
    case when src.model_submission_id is not null then coalesce(km.model_roads, 0) end as model_roads,
    src.plan_submission_id is not null as has_plan,
    coalesce(reg.registered_advanced, false) as registered_advanced,
    coalesce(reg.registered_model, false) as registered_model
from {{ ref('int_commune_known_month') }} as k
inner join {{ ref('int_plan_model_source') }} as src
    on src.submitting_unit_code = k.submitting_unit_code and src.month = k.month
left join {{ ref('stg_raw__kieu_mau') }} as km
    on km.submission_id = src.model_submission_id and km.commune_code = k.commune_code
left join registrations as reg
    on reg.submission_id = src.plan_submission_id and reg.commune_code = k.commune_code
where src.model_submission_id is not null or src.plan_submission_id is not null
