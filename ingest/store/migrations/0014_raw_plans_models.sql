-- The optional sheets kieu_mau (model villages and roads) and ke_hoach (the year's plan and the
-- registrations of xã for a title), submission-format.md. Counts are numeric: Great Expectations
-- rejects fractions and negatives before the load (counts_whole, count_negative); staging casts them.
CREATE TABLE raw.kieu_mau (
    submission_id             bigint         NOT NULL REFERENCES audit.submission (submission_id),
    excel_row                 integer        NOT NULL,
    commune_code              text           NOT NULL,
    commune_name              text,
    model_villages            numeric(12, 0),
    model_villages_registered numeric(12, 0),
    model_roads               numeric(12, 0),
    model_roads_km            numeric(12, 3),
    extra                     jsonb
);
CREATE INDEX kieu_mau_submission_idx ON raw.kieu_mau (submission_id);
COMMENT ON TABLE raw.kieu_mau IS
    'Sheet kieu_mau: per xã, model villages (cumulative), villages registered this year, model roads (cumulative) and their length (km)';

CREATE TABLE raw.ke_hoach (
    submission_id bigint         NOT NULL REFERENCES audit.submission (submission_id),
    excel_row     integer        NOT NULL,
    year          integer        NOT NULL,
    unit_code     text           NOT NULL,
    indicator     text           NOT NULL,
    target        numeric(12, 0) NOT NULL,
    note          text,
    extra         jsonb
);
CREATE INDEX ke_hoach_submission_idx ON raw.ke_hoach (submission_id);
COMMENT ON TABLE raw.ke_hoach IS
    'Sheet ke_hoach: the year''s plan (one row per indicator of the submitting unit) and registrations (one row per xã, target 1)';

GRANT SELECT, INSERT, UPDATE, DELETE ON raw.kieu_mau, raw.ke_hoach TO ntm_loader;
GRANT SELECT ON raw.kieu_mau, raw.ke_hoach TO ntm_transformer;
