-- The `reference` schema holds dbt's seeds (criteria sets, funding sources, OCOP groups, title
-- levels); the marts' dimensions are built from them. dbt (ntm_transformer) writes it; readers
-- use the dims in `marts`, not this schema.
CREATE SCHEMA IF NOT EXISTS reference;
GRANT USAGE, CREATE ON SCHEMA reference TO ntm_transformer;
