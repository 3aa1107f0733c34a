-- Privileges of the roles (marts.md, "Roles"). Tables dbt creates later in marts get
-- SELECT through the default privileges below and through dbt's own `grants` config.
GRANT USAGE ON SCHEMA raw, audit, ref TO ntm_loader;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA raw, audit, ref TO ntm_loader;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA audit TO ntm_loader;

GRANT USAGE ON SCHEMA raw, ref, audit TO ntm_transformer;
GRANT SELECT ON ALL TABLES IN SCHEMA raw, ref, audit TO ntm_transformer;
GRANT USAGE, CREATE ON SCHEMA staging, intermediate, marts TO ntm_transformer;

GRANT USAGE ON SCHEMA marts TO ntm_bi_reader, ntm_auditor;
GRANT USAGE ON SCHEMA audit TO ntm_auditor;
GRANT SELECT ON ALL TABLES IN SCHEMA audit TO ntm_auditor;

ALTER DEFAULT PRIVILEGES IN SCHEMA marts GRANT SELECT ON TABLES TO ntm_bi_reader, ntm_auditor;
ALTER DEFAULT PRIVILEGES IN SCHEMA audit GRANT SELECT ON TABLES TO ntm_auditor;
