import psycopg

from ingest.store import db


def test_migrations_create_schemas_and_are_idempotent(fresh_database_url):
    assert db.migrate(fresh_database_url) == []  # already applied by the fixture
    with psycopg.connect(fresh_database_url) as conn:
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace")}
        applied = conn.execute("SELECT count(*) FROM meta.schema_migration").fetchone()[0]
    assert {"raw", "audit", "ref", "staging", "intermediate", "marts"} <= schemas
    assert applied >= 5


def test_editing_an_applied_migration_is_refused(fresh_database_url):
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("UPDATE meta.schema_migration SET checksum = 'x' WHERE name = '0003_raw.sql'")
    try:
        db.migrate(fresh_database_url)
    except RuntimeError as exc:
        assert "0003_raw.sql" in str(exc)
    else:
        raise AssertionError("a changed migration must be refused")
