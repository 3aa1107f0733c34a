-- Rows of validated submissions waiting for the loader (issue 15, item 1): the validate step
-- COPYs each validated submission's normalised rows here, one COPY per table for its whole batch
-- and in the same transaction that marks the submissions validated; the load step moves them
-- into `raw` with one INSERT ... SELECT per table under the loader's lock and deletes them here.
-- The loader thus never reads a file again and needs no worker's local disk: validate and load
-- may run on different workers. (Not dbt's `staging` schema, which holds the stg_ views.)
--
-- The tables are `raw`'s columns without their keys: a row that would break a key of `raw` is
-- refused by the loader's INSERT, as it was by its COPY. A later migration that adds a column to
-- a raw table adds it here too.
CREATE SCHEMA IF NOT EXISTS validated;
COMMENT ON SCHEMA validated IS
    'Normalised rows of validated submissions, written by the validate step, moved into raw by the loader';

CREATE TABLE validated.thong_tin        (LIKE raw.thong_tin INCLUDING COMMENTS);
CREATE TABLE validated.tieu_chi_xa      (LIKE raw.tieu_chi_xa INCLUDING COMMENTS);
CREATE TABLE validated.tieu_chi_xa_mark (LIKE raw.tieu_chi_xa_mark INCLUDING COMMENTS);
CREATE TABLE validated.tieu_chi_huyen   (LIKE raw.tieu_chi_huyen INCLUDING COMMENTS);
CREATE TABLE validated.nguon_von        (LIKE raw.nguon_von INCLUDING COMMENTS);
CREATE TABLE validated.ocop             (LIKE raw.ocop INCLUDING COMMENTS);
CREATE TABLE validated.ho_tro           (LIKE raw.ho_tro INCLUDING COMMENTS);
CREATE TABLE validated.kieu_mau         (LIKE raw.kieu_mau INCLUDING COMMENTS);
CREATE TABLE validated.ke_hoach         (LIKE raw.ke_hoach INCLUDING COMMENTS);

CREATE INDEX ON validated.thong_tin (submission_id);
CREATE INDEX ON validated.tieu_chi_xa (submission_id);
CREATE INDEX ON validated.tieu_chi_xa_mark (submission_id);
CREATE INDEX ON validated.tieu_chi_huyen (submission_id);
CREATE INDEX ON validated.nguon_von (submission_id);
CREATE INDEX ON validated.ocop (submission_id);
CREATE INDEX ON validated.ho_tro (submission_id);
CREATE INDEX ON validated.kieu_mau (submission_id);
CREATE INDEX ON validated.ke_hoach (submission_id);

GRANT USAGE ON SCHEMA validated TO ntm_loader;
GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA validated TO ntm_loader;

-- Submissions validated before this migration and not loaded yet have no rows here: they are
-- validated again (read from the archive once more) by the next run.
UPDATE audit.submission SET validated_at = NULL WHERE status = 'received' AND validated_at IS NOT NULL;
