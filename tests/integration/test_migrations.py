import psycopg
import pytest

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



def test_raw_rows_must_belong_to_a_submission_and_such_a_submission_stays(fresh_database_url):
    """Migration 0023: the foreign keys from raw to audit.submission became one set-based check per
    statement. A statement with rows of an unknown submission is refused whole, with the key's own
    error (the loader tells a faulty file by it), on every raw table, on insert and on update; a
    submission with raw rows cannot be deleted or renumbered; one without can still be deleted."""
    import random
    from datetime import date

    from ingest.store.reference import load_reference_table
    from ingest.store.statements import RAW_COLUMNS
    from tests.fixtures.warehouse import add_submission, commune_codes, synthetic_month

    url = fresh_database_url
    load_reference_table(url)
    with psycopg.connect(url) as conn:
        kept = synthetic_month(conn, "38", "395", commune_codes(url, "395")[:3], date(2023, 12, 1), random.Random(1))
        conn.execute("INSERT INTO raw.kieu_mau (submission_id, excel_row, commune_code) VALUES (%s, 5, 'x')", (kept,))
        conn.execute("INSERT INTO raw.ho_tro (submission_id, excel_row, commune_code, supporting_agency, value_mvnd) "
                     "VALUES (%s, 5, 'x', 'Sở Nông nghiệp', 5)", (kept,))
        conn.execute("INSERT INTO raw.ke_hoach (submission_id, excel_row, year, unit_code, indicator, target) "
                     "VALUES (%s, 5, 2023, '395', 'ntm', 1)", (kept,))
        bare = add_submission(conn, "396", "38", date(2023, 12, 1), status="rejected")
    unknown = bare + 1000
    for table, columns in RAW_COLUMNS.items():
        others = ", ".join(columns)
        with psycopg.connect(url) as conn:
            before = conn.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]
            assert before > 0, table
            with pytest.raises(psycopg.errors.ForeignKeyViolation, match=f"raw.{table}: submission_id {unknown}"):
                # the known submission's rows again (a version 2) and the same under an unknown id
                conn.execute(f"INSERT INTO raw.{table} (submission_id, {others}) "
                             f"SELECT %s, {others} FROM raw.{table} WHERE submission_id = %s "
                             f"UNION ALL SELECT %s, {others} FROM raw.{table} WHERE submission_id = %s",
                             (bare, kept, unknown, kept))
        with psycopg.connect(url) as conn:
            assert conn.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0] == before, table
            with pytest.raises(psycopg.errors.ForeignKeyViolation, match=f"raw.{table}: submission_id {unknown}"):
                conn.execute(f"UPDATE raw.{table} SET submission_id = %s", (unknown,))
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE raw.ocop SET stars = stars WHERE submission_id = %s", (kept,))  # the key unchanged
    with psycopg.connect(url) as conn, pytest.raises(psycopg.errors.ForeignKeyViolation, match="raw.thong_tin"):
        conn.execute("DELETE FROM audit.submission WHERE submission_id = %s", (kept,))
    with psycopg.connect(url) as conn, pytest.raises(psycopg.errors.ForeignKeyViolation, match="renumbered"):
        conn.execute("UPDATE audit.submission SET submission_id = %s WHERE submission_id = %s", (unknown, kept))
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE audit.submission SET submission_id = submission_id, file_name = 'x' "
                     "WHERE submission_id = %s", (kept,))
        conn.execute("DELETE FROM audit.submission WHERE submission_id = %s", (bare,))
        assert [r[0] for r in conn.execute("SELECT submission_id FROM audit.submission")] == [kept]
