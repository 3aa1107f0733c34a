-- Least privilege in practice (issue 14): every `ntm` command first checks whether migrations are
-- pending, with a read the loader may do, and migrates only then. ntm_loader (and the
-- transformer, which runs `ntm transform`) read the list of applied migrations; they never write it.
GRANT USAGE ON SCHEMA meta TO ntm_loader, ntm_transformer;
GRANT SELECT ON meta.schema_migration TO ntm_loader, ntm_transformer;
