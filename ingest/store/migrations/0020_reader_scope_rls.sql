-- Each province sees its own (issue 16): row-level security on the marts for province readers.
--
-- A province reader is a login (member of ntm_bi_reader) named in meta.reader_scope with its
-- province. The mapping is keyed on session_user, which a login cannot change (SET ROLE changes
-- current_user only; SET SESSION AUTHORIZATION needs a superuser), and only the schemas' owner
-- writes the table: a province reader cannot widen its own view. A login not in the table (the
-- national reader, auditors, the owner, dbt) sees every row.
--
-- The marts are rebuilt into marts_build and swapped (0008), and neither CREATE TABLE ... LIKE nor
-- dbt's table materialisation keeps policies: the publish step (ingest.warehouse.publish) calls
-- meta.secure_marts('marts_build') in the same transaction as meta.publish_marts_build(), so the
-- marts are never published without them.
CREATE TABLE IF NOT EXISTS meta.reader_scope (
    login         name PRIMARY KEY,
    province_code text NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
    created_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE meta.reader_scope IS
    'Province readers: the login (session_user) and the one province whose rows it sees in the marts.';
REVOKE ALL ON meta.reader_scope FROM PUBLIC;

-- The province of the connected login, or null (sees everything). SECURITY DEFINER: readers never
-- read meta.reader_scope itself.
CREATE OR REPLACE FUNCTION meta.reader_province() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT province_code FROM meta.reader_scope WHERE login = session_user
$$;
REVOKE ALL ON FUNCTION meta.reader_province() FROM PUBLIC;
GRANT USAGE ON SCHEMA meta TO ntm_bi_reader, ntm_auditor;
GRANT EXECUTE ON FUNCTION meta.reader_province() TO ntm_bi_reader, ntm_auditor, ntm_transformer;

-- Enable RLS with the province policy on every table of `schema_name` that has a province_code
-- column (tables without one, such as dim_month, are the same for everyone). Returns how many
-- tables it secured. Idempotent.
CREATE OR REPLACE FUNCTION meta.secure_marts(schema_name text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n integer := 0;
BEGIN
    FOR t IN
        SELECT c.relname FROM pg_class c
        JOIN pg_namespace s ON s.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'province_code' AND NOT a.attisdropped
        WHERE s.nspname = schema_name AND c.relkind IN ('r', 'p')
    LOOP
        EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', schema_name, t.relname);
        EXECUTE format('DROP POLICY IF EXISTS province_reader ON %I.%I', schema_name, t.relname);
        -- (SELECT ...) is evaluated once per query, not per row
        EXECUTE format(
            'CREATE POLICY province_reader ON %I.%I FOR SELECT TO PUBLIC USING ('
            '(SELECT meta.reader_province()) IS NULL OR province_code = (SELECT meta.reader_province()))',
            schema_name, t.relname);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

SELECT meta.secure_marts('marts');
