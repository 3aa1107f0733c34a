"""dbt indexes are created once (issue 13, item 5): each incremental fact keeps exactly one
`(month, submission_id)` index, named `<table>_month_idx`, however many times the marts are built,
copied into `marts_build` and published; the migration removes the copies earlier builds left."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import psycopg

from ingest.store.db import migrate
from ingest.warehouse.publish import build_checked
from tests.fixtures.warehouse import commune_codes, months, synthetic_month

FACTS = ("fct_commune_criteria", "fct_commune_status", "fct_funding", "fct_ocop_product", "fct_support")
MIGRATION = Path(__file__).parents[2] / "ingest/store/migrations/0016_marts_build_keeps_index_names.sql"


def month_indexes(url: str) -> dict[str, list[str]]:
    """Per incremental fact of `marts`, the names of its indexes on (month, submission_id)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'marts' "
            "AND indexdef LIKE '%%(month, submission_id)' ORDER BY 1, 2").fetchall()
    out: dict[str, list[str]] = {t: [] for t in FACTS}
    for table, index in rows:
        out.setdefault(table, []).append(index)
    return out


def test_two_builds_leave_one_named_index_per_fact(url: str) -> None:
    rng = random.Random(3)
    with psycopg.connect(url) as conn:
        for period in months(date(2023, 3, 1), 2):
            synthetic_month(conn, "27", "256", commune_codes(url, "256"), period, rng)
    monthly: list[str] = []
    for _ in range(2):
        published = build_checked(url, [date(2023, 3, 1)], build_docs=False, progress=monthly.append)
        assert published.success, [str(f) for f in published.failures]
    expected = {t: [f"{t}_month_idx"] for t in FACTS}
    assert month_indexes(url) == expected
    # a third build (copy into marts_build, post-hook, swap) still adds nothing; this one runs dbt's
    # unit tests as `ntm transform` does, which a monthly build leaves out
    asked: list[str] = []
    assert build_checked(url, [date(2023, 3, 1)], build_docs=False, unit_tests=True, progress=asked.append).success
    assert month_indexes(url) == expected
    assert any("unit_test" in line for line in asked)
    assert any("fct_funding" in line for line in monthly)
    assert not any("unit_test" in line for line in monthly)
    with psycopg.connect(url) as conn:        # the incremental mart_progress: one index as well
        assert conn.execute("SELECT array_agg(indexname) FROM pg_indexes WHERE schemaname = 'marts' "
                            "AND tablename = 'mart_progress'").fetchone()[0] == ["mart_progress_month_idx"]


def test_the_migration_drops_the_copies_earlier_builds_left(url: str) -> None:
    rng = random.Random(4)
    with psycopg.connect(url) as conn:
        synthetic_month(conn, "27", "256", commune_codes(url, "256"), date(2023, 3, 1), rng)
    assert build_checked(url, [date(2023, 3, 1)], build_docs=False).success
    with psycopg.connect(url, autocommit=True) as conn:
        # what 0008's copy made of the index: the same columns under generated names
        conn.execute("CREATE INDEX ON marts.fct_funding (month, submission_id)")
        conn.execute("CREATE INDEX ON marts.fct_funding (month, submission_id)")
        conn.execute("CREATE INDEX other_idx ON marts.fct_funding (unit_code)")
        assert len(month_indexes(url)["fct_funding"]) == 3
        conn.execute("DELETE FROM meta.schema_migration WHERE name LIKE '0016%%'")
    migrate(url)
    assert month_indexes(url)["fct_funding"] == ["fct_funding_month_idx"]
    with psycopg.connect(url) as conn:   # an index of another shape is kept
        assert conn.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'marts' "
                            "AND indexname = 'other_idx'").fetchone()[0] == 1
    assert MIGRATION.is_file()


def _indexes(url: str) -> set[tuple[str, str, str]]:
    """(schema, table, index) of every index dbt's models declare, in marts and intermediate."""
    with psycopg.connect(url) as conn:
        return set(conn.execute(
            "SELECT schemaname, tablename, indexname FROM pg_indexes WHERE schemaname IN ('marts', 'intermediate') "
            "AND indexname NOT LIKE '%%pkey'").fetchall())


def test_a_full_refresh_keeps_every_index(url: str) -> None:
    """A full refresh swaps each table for a new one while the table it replaces still holds the
    index names (dbt drops it after the post-hooks): `create index if not exists` then created
    nothing, the new tables had no index, and the next incremental build read every fact row once
    per built month (a two-year national build ran for more than 15 minutes)."""
    from ingest.warehouse.build import build

    rng = random.Random(5)
    with psycopg.connect(url) as conn:
        for period in months(date(2023, 3, 1), 2):
            synthetic_month(conn, "27", "258", commune_codes(url, "258"), period, rng)
    assert build(url).success
    built = _indexes(url)
    assert {("marts", f, f"{f}_month_idx") for f in FACTS} <= built
    assert ("intermediate", "int_funding_series", "int_funding_series_month_idx") in built
    assert ("intermediate", "int_funding_known_month", "int_funding_known_month_built_idx") in built
    assert build(url, full_refresh=True).success
    assert _indexes(url) == built

    # a table that lost its index (fully refreshed by the earlier code) is read in one pass, not
    # once per built month, and its next build gives the index back
    with psycopg.connect(url) as conn:
        conn.execute("DROP INDEX marts.fct_commune_criteria_month_idx")
        synthetic_month(conn, "27", "258", commune_codes(url, "258"), date(2023, 5, 1), rng)
    result = build(url)
    assert result.success, [str(f) for f in result.failures]
    assert _indexes(url) == built
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(DISTINCT month) FROM marts.fct_commune_criteria").fetchone()[0] == 3
