-- The audit trail (marts.md, "Audit"). One row per received file, per validation, per failed
-- check occurrence, per pipeline run.
CREATE TABLE audit.submission (
    submission_id        bigserial PRIMARY KEY,
    file_name            text        NOT NULL,
    sha256               char(64)    NOT NULL,
    bytes                bigint      NOT NULL,
    file_format          text        NOT NULL,          -- xlsx / csv_dir / zip / unknown
    submitting_unit_code text,
    province_code        text,
    period               date,                          -- first day of the reporting month
    version              integer,
    received_at          timestamptz NOT NULL DEFAULT now(),
    status               text        NOT NULL DEFAULT 'received'
        CHECK (status IN ('received', 'accepted', 'rejected', 'superseded', 'duplicate', 'stale')),
    status_reason        text,
    superseded_by        bigint REFERENCES audit.submission (submission_id),
    duplicate_of         bigint REFERENCES audit.submission (submission_id),
    archive_path         text        NOT NULL,
    loaded_at            timestamptz,
    pipeline_run_id      bigint
);
CREATE INDEX submission_key_idx ON audit.submission (submitting_unit_code, period);
CREATE INDEX submission_sha_idx ON audit.submission (sha256);
-- At most one accepted version per (unit, period): the warehouse reflects exactly one.
CREATE UNIQUE INDEX submission_one_accepted_idx
    ON audit.submission (submitting_unit_code, period) WHERE status = 'accepted';

CREATE TABLE audit.validation_run (
    run_id          bigserial PRIMARY KEY,
    submission_id   bigint REFERENCES audit.submission (submission_id),  -- null for mart checks
    suite           text        NOT NULL,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL,
    success         boolean     NOT NULL,
    evaluated       integer     NOT NULL,
    failed          integer     NOT NULL,
    gx_result       jsonb,
    data_docs_url   text,
    period          date,                                                -- for mart checks
    pipeline_run_id bigint
);
CREATE INDEX validation_run_submission_idx ON audit.validation_run (submission_id);

CREATE TABLE audit.finding (
    finding_id    bigserial PRIMARY KEY,
    run_id        bigint REFERENCES audit.validation_run (run_id),   -- null for reader findings
    submission_id bigint REFERENCES audit.submission (submission_id),
    severity      text NOT NULL CHECK (severity IN ('error', 'warning')),
    check_name    text NOT NULL,
    sheet         text,
    excel_row     integer,
    column_name   text,
    value         text,
    message_vi    text NOT NULL,
    message_en    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX finding_submission_idx ON audit.finding (submission_id);

CREATE TABLE audit.pipeline_run (
    run_id              bigserial PRIMARY KEY,
    dag_id              text        NOT NULL,     -- Airflow dag_id, or 'cli'
    airflow_run_id      text,
    logical_month       date,
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz,
    state               text        NOT NULL DEFAULT 'running'
        CHECK (state IN ('running', 'success', 'failed')),
    submissions_accepted integer NOT NULL DEFAULT 0,
    submissions_rejected integer NOT NULL DEFAULT 0,
    detail              jsonb
);
