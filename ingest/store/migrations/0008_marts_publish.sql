-- Atomic publication of the marts. The pipeline (ingest.pipeline.transform) copies `marts` into
-- a fresh `marts_build`, runs `dbt build` into it (NTM_MARTS_SCHEMA=marts_build; incremental
-- models continue from the copy), and only when the whole build and its tests succeeded swaps
-- the two schemas in one transaction. A failed or killed build leaves `marts` exactly as it was.
CREATE OR REPLACE FUNCTION meta.prepare_marts_build() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n integer := 0;
BEGIN
    DROP SCHEMA IF EXISTS marts_build CASCADE;
    CREATE SCHEMA marts_build;
    FOR t IN
        SELECT c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
        WHERE s.nspname = 'marts' AND c.relkind IN ('r', 'p')
    LOOP
        EXECUTE format('CREATE TABLE marts_build.%I (LIKE marts.%I INCLUDING ALL)', t.relname, t.relname);
        EXECUTE format('INSERT INTO marts_build.%I SELECT * FROM marts.%I', t.relname, t.relname);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION meta.publish_marts_build() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF to_regnamespace('marts_build') IS NULL THEN
        RAISE EXCEPTION 'nothing to publish: schema marts_build does not exist';
    END IF;
    DROP SCHEMA IF EXISTS marts_old CASCADE;
    ALTER SCHEMA marts RENAME TO marts_old;
    ALTER SCHEMA marts_build RENAME TO marts;
    GRANT USAGE, CREATE ON SCHEMA marts TO ntm_transformer;
    GRANT USAGE ON SCHEMA marts TO ntm_bi_reader, ntm_auditor;
    GRANT SELECT ON ALL TABLES IN SCHEMA marts TO ntm_bi_reader, ntm_auditor;
    ALTER DEFAULT PRIVILEGES IN SCHEMA marts GRANT SELECT ON TABLES TO ntm_bi_reader, ntm_auditor;
    DROP SCHEMA marts_old CASCADE;
END
$$;
