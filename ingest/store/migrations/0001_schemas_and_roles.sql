-- Schemas of the warehouse and the database roles of marts.md.
-- raw, audit, ref: written by the ingest side (ntm_loader).
-- staging, intermediate, marts: written by dbt (ntm_transformer).
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS audit;
CREATE SCHEMA IF NOT EXISTS ref;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS intermediate;
CREATE SCHEMA IF NOT EXISTS marts;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ntm_loader') THEN
        CREATE ROLE ntm_loader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ntm_transformer') THEN
        CREATE ROLE ntm_transformer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ntm_bi_reader') THEN
        CREATE ROLE ntm_bi_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ntm_auditor') THEN
        CREATE ROLE ntm_auditor NOLOGIN;
    END IF;
END
$$;

-- Nobody but the owners creates objects in public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
