-- The build copy keeps each index's name (issue 13, item 5).
--
-- 0008's prepare_marts_build copied the tables with `LIKE ... INCLUDING ALL`, which recreates
-- every index under a generated name (`fct_funding_month_submission_id_idx`, then `..._idx1`):
-- the incremental facts' post-hook (`create index if not exists <table>_month_idx`) then found no
-- index of its name and added one more, so every build added a copy (8 after 8 builds). Now the
-- copy is made without indexes and each index is recreated under its own name (constraints as
-- constraints), so that the post-hook finds it and creates nothing.
CREATE OR REPLACE FUNCTION meta.prepare_marts_build() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    i record;
    n integer := 0;
BEGIN
    DROP SCHEMA IF EXISTS marts_build CASCADE;
    CREATE SCHEMA marts_build;
    FOR t IN
        SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
        WHERE s.nspname = 'marts' AND c.relkind IN ('r', 'p')
    LOOP
        EXECUTE format('CREATE TABLE marts_build.%I (LIKE marts.%I INCLUDING ALL EXCLUDING INDEXES)',
                       t.relname, t.relname);
        EXECUTE format('INSERT INTO marts_build.%I SELECT * FROM marts.%I', t.relname, t.relname);
        -- constraints backed by an index (primary key, unique, exclusion), under their own names
        FOR i IN
            SELECT con.conname, pg_get_constraintdef(con.oid) AS def
            FROM pg_constraint con
            WHERE con.conrelid = t.oid AND con.contype IN ('p', 'u', 'x')
        LOOP
            EXECUTE format('ALTER TABLE marts_build.%I ADD CONSTRAINT %I %s', t.relname, i.conname, i.def);
        END LOOP;
        -- the other indexes, under their own names
        FOR i IN
            SELECT pg_get_indexdef(x.indexrelid) AS def
            FROM pg_index x
            WHERE x.indrelid = t.oid
                AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid)
        LOOP
            EXECUTE regexp_replace(i.def, ' ON (ONLY )?marts\.', ' ON \1marts_build.');
        END LOOP;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

-- Remove the copies that earlier builds left: per table, of the indexes with the same columns and
-- method (the definition without its name), keep the one named `<table>_month_idx` (else the
-- oldest) and drop the others. Constraint indexes are never touched.
DO $$
DECLARE
    d record;
BEGIN
    FOR d IN
        WITH defs AS (
            SELECT x.indexrelid, ci.relname AS index_name, ct.relname AS table_name,
                   regexp_replace(pg_get_indexdef(x.indexrelid), '^CREATE (UNIQUE )?INDEX \S+ ', '') AS shape
            FROM pg_index x
            JOIN pg_class ci ON ci.oid = x.indexrelid
            JOIN pg_class ct ON ct.oid = x.indrelid
            JOIN pg_namespace s ON s.oid = ct.relnamespace
            WHERE s.nspname = 'marts'
                AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid)
        ),
        ranked AS (
            SELECT index_name, row_number() OVER (
                PARTITION BY table_name, shape
                ORDER BY (index_name = table_name || '_month_idx') DESC, indexrelid) AS rank
            FROM defs
        )
        SELECT index_name FROM ranked WHERE rank > 1
    LOOP
        EXECUTE format('DROP INDEX marts.%I', d.index_name);
    END LOOP;
END
$$;
