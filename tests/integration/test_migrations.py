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


def test_contract_dtypes_match_the_raw_and_validated_tables(fresh_database_url):
    """The loader writes CSV by the contract's dtypes (FRAME_COLUMNS): every column must exist in
    raw and validated with a type that reads that text ("extra" is jsonb, "Int64" an integer type)."""
    from ingest.contract import FRAME_COLUMNS

    expected = {"extra": {"jsonb"}, "Int64": {"integer", "bigint"}, "bool": {"boolean"}, "date": {"date"},
                "float": {"numeric"}, "str": {"text"}}
    with psycopg.connect(fresh_database_url) as conn:
        rows = conn.execute("SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
                            "WHERE table_schema IN ('raw', 'validated')").fetchall()
    types = {(s, t, c): d for s, t, c, d in rows}
    wrong = [(schema, table, column, dtype, types.get((schema, table, column)))
             for schema in ("raw", "validated") for table, columns in FRAME_COLUMNS.items()
             for column, dtype in columns.items() if types.get((schema, table, column)) not in expected[dtype]]
    assert wrong == []
    # and nothing beyond the contract but the submission key
    extra_columns = {(s, t, c) for s, t, c in types if c != "submission_id" and t in FRAME_COLUMNS
                     and c not in FRAME_COLUMNS[t]}
    assert extra_columns == set()
