-- The raw layer: the normalised rows of accepted submissions, one table per sheet, each row
-- tagged with its submission and the Excel row it came from. Columns that a submission carried
-- but the contract does not know are kept in `extra`. Loaded with COPY, one transaction per
-- submission; rows of superseded versions stay (dbt keeps only the latest accepted version).
CREATE TABLE raw.thong_tin (
    submission_id        bigint PRIMARY KEY REFERENCES audit.submission (submission_id),
    province_code        text    NOT NULL,
    submitting_unit_code text    NOT NULL,
    period               date    NOT NULL,
    version              integer NOT NULL,
    submitted_on         date,
    prepared_by          text,
    criteria_set         text    NOT NULL,
    extra                jsonb
);

-- tieu_chi_xa, commune attributes: one row per commune.
CREATE TABLE raw.tieu_chi_xa (
    submission_id         bigint  NOT NULL REFERENCES audit.submission (submission_id),
    excel_row             integer NOT NULL,
    commune_code          text    NOT NULL,
    commune_name          text,
    criteria_met_reported integer,
    ntm_title             text    NOT NULL,    -- none / ntm / advanced / model
    title_decision        text,
    title_date            date,
    hardship              text,                -- null / kk / dbkk
    extra                 jsonb,
    PRIMARY KEY (submission_id, commune_code)
);

-- tieu_chi_xa, wide to long: one row per commune and criterion.
CREATE TABLE raw.tieu_chi_xa_mark (
    submission_id  bigint  NOT NULL REFERENCES audit.submission (submission_id),
    excel_row      integer NOT NULL,
    commune_code   text    NOT NULL,
    criterion_code text    NOT NULL,            -- tc01 .. tc19
    is_met         boolean NOT NULL,
    PRIMARY KEY (submission_id, commune_code, criterion_code)
);

CREATE TABLE raw.tieu_chi_huyen (
    submission_id  bigint  NOT NULL REFERENCES audit.submission (submission_id),
    excel_row      integer NOT NULL,
    criterion_no   integer NOT NULL,            -- 1 .. 9
    is_met         boolean NOT NULL,
    district_title text,                        -- null / ntm / advanced / model
    title_decision text,
    title_date     date,
    extra          jsonb,
    PRIMARY KEY (submission_id, criterion_no)
);

-- Total rows (source `tong`) are checked against the sum of sources and not stored.
CREATE TABLE raw.nguon_von (
    submission_id bigint         NOT NULL REFERENCES audit.submission (submission_id),
    excel_row     integer        NOT NULL,
    unit_code     text           NOT NULL,
    source_code   text           NOT NULL,
    capital_type  text           NOT NULL,      -- dtpt / sn / all (not split)
    amount_mvnd   numeric(18, 3) NOT NULL,
    is_estimate   boolean        NOT NULL,
    extra         jsonb,
    PRIMARY KEY (submission_id, unit_code, source_code, capital_type)
);

CREATE TABLE raw.ocop (
    submission_id  bigint  NOT NULL REFERENCES audit.submission (submission_id),
    excel_row      integer NOT NULL,
    product_code   text,
    product_name   text    NOT NULL,
    commune_code   text    NOT NULL,
    entity_name    text,
    entity_type    text,                        -- htx / dn / tht / ho
    product_group  text    NOT NULL,            -- g1 .. g6
    stars          integer,
    status         text    NOT NULL,            -- preparing / rated / re_rated / expired
    decision_no    text,
    decision_date  date,
    valid_until    date,
    extra          jsonb
);
CREATE INDEX ocop_submission_idx ON raw.ocop (submission_id);

CREATE TABLE raw.ho_tro (
    submission_id     bigint         NOT NULL REFERENCES audit.submission (submission_id),
    excel_row         integer        NOT NULL,
    commune_code      text           NOT NULL,
    supporting_agency text           NOT NULL,
    description       text,
    value_mvnd        numeric(18, 3) NOT NULL,
    extra             jsonb
);
CREATE INDEX ho_tro_submission_idx ON raw.ho_tro (submission_id);
