-- Every raw row belongs to a submission in audit.submission: checked once per statement instead
-- of row by row (issue 15, item 1).
--
-- A foreign key is checked by PostgreSQL one row at a time (an index probe and a row lock on the
-- submission for each row written). The loader moves a national month into raw with one
-- INSERT ... SELECT per table, ~270,000 rows for ~635 submissions, and the keys cost ~1.2 s of
-- its 2.1 s (measured: 146,186 marks 0.98 s with the key, 0.21 s without; 101,552 funding rows
-- 0.56 / 0.17 s). The same guarantee, one set-based check of the rows each statement wrote (its
-- transition table) against audit.submission, costs a few milliseconds.
--
-- What the keys also did on the other side, refuse to delete or renumber a submission that has
-- raw rows, a row trigger on audit.submission does (nothing deletes submissions: the audit trail
-- is kept whole). The error is the key's own (SQLSTATE 23503, foreign_key_violation), so callers
-- that told a faulty file by it (ingest.pipeline.submissions, _ONE_FILES_FAULT) still do.

CREATE OR REPLACE FUNCTION raw.check_rows_have_submission() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    SELECT n.submission_id INTO missing
    FROM new_rows AS n
    WHERE NOT EXISTS (SELECT 1 FROM audit.submission AS s WHERE s.submission_id = n.submission_id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation',
            MESSAGE = format('%I.%I: submission_id %s is not in audit.submission', TG_TABLE_SCHEMA,
                             TG_TABLE_NAME, missing),
            HINT = 'raw rows are written only for a received submission (the loader moves them from validated)';
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION audit.keep_submissions_with_raw_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    t text;
    found_rows boolean;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.submission_id = OLD.submission_id THEN
        RETURN NEW;
    END IF;
    FOREACH t IN ARRAY ARRAY['thong_tin', 'tieu_chi_xa', 'tieu_chi_xa_mark', 'tieu_chi_huyen', 'nguon_von',
                             'ocop', 'ho_tro', 'kieu_mau', 'ke_hoach'] LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM raw.%I WHERE submission_id = $1)', t)
            INTO found_rows USING OLD.submission_id;
        IF found_rows THEN
            RAISE EXCEPTION USING
                ERRCODE = 'foreign_key_violation',
                MESSAGE = format('submission %s has rows in raw.%I: it cannot be deleted or renumbered',
                                 OLD.submission_id, t);
        END IF;
    END LOOP;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['thong_tin', 'tieu_chi_xa', 'tieu_chi_xa_mark', 'tieu_chi_huyen', 'nguon_von',
                             'ocop', 'ho_tro', 'kieu_mau', 'ke_hoach'] LOOP
        EXECUTE format('ALTER TABLE raw.%I DROP CONSTRAINT IF EXISTS %I', t, t || '_submission_id_fkey');
        EXECUTE format('DROP TRIGGER IF EXISTS rows_have_submission_on_insert ON raw.%I', t);
        EXECUTE format('CREATE TRIGGER rows_have_submission_on_insert AFTER INSERT ON raw.%I '
                       'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION raw.check_rows_have_submission()', t);
        EXECUTE format('DROP TRIGGER IF EXISTS rows_have_submission_on_update ON raw.%I', t);
        EXECUTE format('CREATE TRIGGER rows_have_submission_on_update AFTER UPDATE ON raw.%I '
                       'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION raw.check_rows_have_submission()', t);
    END LOOP;
END
$$;

DROP TRIGGER IF EXISTS keep_submissions_with_raw_rows ON audit.submission;
CREATE TRIGGER keep_submissions_with_raw_rows BEFORE DELETE OR UPDATE OF submission_id ON audit.submission
    FOR EACH ROW EXECUTE FUNCTION audit.keep_submissions_with_raw_rows();
