"""Each province sees its own (issue 16): row-level security on the published marts.

The marts of provinces 26 and 27 are built through the real pipeline, published twice (April,
then May: each publish swaps in freshly built tables), and read by logins made with the code of
`ntm db create-login`.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from tests.fixtures.rls import PROVINCES

# Districts with xã that the generator writes a file for, per month (the reference list's legacy
# districts of each province that have communes): 9 in Vĩnh Phúc (26), 6 in Bắc Ninh (27); two months.
COVERAGE_ROWS = {"26": 9 * 2, "27": 6 * 2}


# The only published tables without a province: code lists and the calendar, the same for everyone.
SHARED = {"dim_month", "dim_criterion", "dim_funding_source", "dim_ocop_group", "dim_title_level"}


def _mart_tables(conn: psycopg.Connection) -> dict[str, bool]:
    """Every table of the published marts (read from the database, so a new mart cannot be
    missed) → whether it has a province_code column."""
    return dict(conn.execute(
        "SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"
        " AND a.attname = 'province_code' AND NOT a.attisdropped)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'marts' AND c.relkind IN ('r', 'p') ORDER BY 1").fetchall())


def _province_tables(conn: psycopg.Connection) -> list[str]:
    return [t for t, has_province in _mart_tables(conn).items() if has_province]


def _counts(url: str, tables: list[str]) -> dict[str, dict[str | None, int]]:
    out: dict[str, dict[str | None, int]] = {}
    with psycopg.connect(url) as conn:
        for t in tables:
            rows = conn.execute(sql.SQL("SELECT province_code, count(*) FROM marts.{} GROUP BY 1")
                                .format(sql.Identifier(t))).fetchall()
            out[t] = dict(rows)
    return out


@pytest.fixture(scope="module")
def owner_counts(province_marts: str) -> dict[str, dict[str | None, int]]:
    with psycopg.connect(province_marts) as conn:
        tables = _province_tables(conn)
    return _counts(province_marts, tables)


def test_every_mart_with_a_province_has_row_level_security_after_each_publish(province_marts, owner_counts):
    with psycopg.connect(province_marts) as conn:
        flags = dict(conn.execute(
            "SELECT c.relname, c.relrowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'marts' AND c.relname = ANY(%s)", (list(owner_counts),)).fetchall())
        published = conn.execute("SELECT count(*) FROM audit.pipeline_run WHERE dag_id = 'test_rls'").fetchone()[0]
    assert published == 2  # two publishes: the policies were re-applied to freshly built tables
    for mart in ("mart_progress", "mart_funding", "mart_ocop", "mart_submission_coverage", "mart_plan",
                 "fct_commune_status", "fct_funding", "fct_ocop_product", "dim_admin_unit"):
        assert mart in flags, f"{mart} has a province_code"
    assert all(flags.values()), {t: f for t, f in flags.items() if not f}


def test_every_published_table_either_has_the_province_policy_or_is_the_same_for_everyone(province_marts):
    with psycopg.connect(province_marts) as conn:
        tables = _mart_tables(conn)
        policies = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_policies WHERE schemaname = 'marts' AND policyname = 'province_reader'"
            " AND cmd = 'SELECT'")}
    assert {"mart_plan", "mart_progress", "dim_month"} <= set(tables)
    without_province = {t for t, has_province in tables.items() if not has_province}
    assert without_province == SHARED, "a mart without province_code would be readable by every province"
    assert policies == set(tables) - SHARED


@pytest.mark.parametrize("province", PROVINCES)
def test_a_province_reader_counts_only_its_province_in_every_mart(province, province_marts, owner_counts,
                                                                  reader_login):
    seen = _counts(reader_login("bi_reader", province), list(owner_counts))
    for table, by_province in owner_counts.items():
        assert set(seen[table]) <= {province}, f"{table}: other provinces visible: {seen[table]}"
        assert seen[table].get(province, 0) == by_province.get(province, 0), table
    assert seen["mart_submission_coverage"] == {province: COVERAGE_ROWS[province]}
    assert seen["mart_progress"].get(province, 0) > 0 and seen["fct_commune_status"].get(province, 0) > 0
    assert seen["mart_plan"].get(province, 0) > 0, "the fixture's plans (sent with April) reach mart_plan"


def test_the_national_reader_and_the_auditor_see_every_province(province_marts, owner_counts, reader_login):
    for role in ("bi_reader", "auditor"):
        seen = _counts(reader_login(role), list(owner_counts))
        assert seen == owner_counts, role
        assert sum(seen["mart_submission_coverage"].values()) == sum(COVERAGE_ROWS.values())


def test_tables_without_a_province_are_the_same_for_everyone(province_marts, reader_login):
    with psycopg.connect(reader_login("bi_reader", "27")) as conn:
        assert conn.execute("SELECT count(*) FROM marts.dim_month").fetchone()[0] > 0
        assert conn.execute("SELECT count(*) FROM marts.dim_funding_source").fetchone()[0] > 0


@pytest.mark.parametrize("statement", [
    "SELECT count(*) FROM raw.thong_tin",
    "SELECT count(*) FROM audit.submission",
    "SELECT count(*) FROM audit.finding",
    "SELECT count(*) FROM meta.reader_scope",
    "SELECT count(*) FROM ref.admin_unit",
])
def test_a_province_reader_cannot_read_raw_audit_or_the_scope_table(statement, province_marts, reader_login):
    with psycopg.connect(reader_login("bi_reader", "27")) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


@pytest.mark.parametrize("statement", [
    "INSERT INTO marts.mart_progress (month, unit_code, unit_level) VALUES ('2023-05-01', '99', 'province')",
    "UPDATE marts.mart_progress SET communes_total = 0",
    "DELETE FROM marts.mart_submission_coverage",
    "CREATE TABLE marts.mine (x int)",
    "INSERT INTO meta.reader_scope (login, province_code) VALUES (session_user, '26')",
    "DELETE FROM meta.reader_scope",
    "UPDATE meta.reader_scope SET province_code = '26'",
    "ALTER TABLE marts.mart_progress DISABLE ROW LEVEL SECURITY",
    "INSERT INTO raw.thong_tin DEFAULT VALUES",
])
def test_a_province_reader_cannot_write_or_widen_its_view(statement, province_marts, reader_login):
    with psycopg.connect(reader_login("bi_reader", "27")) as conn, pytest.raises(
            (psycopg.errors.InsufficientPrivilege, psycopg.errors.NotNullViolation)) as err:
        conn.execute(statement)
    assert isinstance(err.value, psycopg.errors.InsufficientPrivilege), err.value


def test_set_role_to_the_national_reader_does_not_widen_a_province_view(province_marts, owner_counts,
                                                                         reader_login):
    with psycopg.connect(reader_login("bi_reader", "27"), autocommit=True) as conn:
        conn.execute("SET ROLE ntm_bi_reader")
        conn.execute("SELECT set_config('meta.province', '', false)")  # no setting decides anything
        rows = dict(conn.execute("SELECT province_code, count(*) FROM marts.mart_submission_coverage GROUP BY 1")
                    .fetchall())
    assert rows == {"27": COVERAGE_ROWS["27"]}
