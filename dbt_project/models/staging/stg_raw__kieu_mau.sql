-- Model villages and roads per xã as reported (sheet kieu_mau): cumulative counts, an empty
-- count is none (the row exists because the xã has some model village or road).
select
    submission_id,
    excel_row,
    commune_code,
    coalesce(model_villages, 0)::integer as model_villages,
    coalesce(model_villages_registered, 0)::integer as model_villages_registered,
    coalesce(model_roads, 0)::integer as model_roads,
    model_roads_km::numeric(12, 3) as model_roads_km
from {{ source('raw', 'kieu_mau') }}
