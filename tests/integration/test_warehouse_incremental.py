"""History: facts are incremental by month. A version-2 submission for an old month rebuilds that
month (and, for funding, the later months of its year) and changes exactly the affected rows of
the marts; the incremental result equals a full rebuild."""

from __future__ import annotations

import json
import random
import re
from datetime import date

import psycopg

from ingest.store.reference import load_reference_table
from ingest.warehouse.build import build, target_dir
from tests.fixtures.warehouse import commune_codes, months, resubmit, synthetic_month

KEYS = {
    "dim_admin_unit": "unit_code, unit_level, valid_from",
    "dim_criterion": "criteria_set, level, criterion_code",
    "dim_funding_source": "source_code",
    "dim_month": "month",
    "dim_ocop_group": "catalogue, group_code",
    "dim_title_level": "title_code",
    "fct_commune_criteria": "month, commune_code, criterion_code",
    "fct_commune_status": "month, commune_code",
    "fct_funding": "month, unit_code, source_code, capital_type",
    "fct_support": "month, commune_code, supporting_agency",
    "fct_ocop_product": "month, product_key",
    "fct_commune_title_change": "month, commune_code",
    "mart_progress": "month, unit_level, unit_code",
    "mart_funding": "month, unit_level, unit_code",
    "mart_ocop": "month, unit_level, unit_code",
    "mart_submission_coverage": "month, district_code",
}
FACTS = [t for t in KEYS if t.startswith("fct_") and t != "fct_commune_title_change"]   # incremental
Rows = dict[str, dict[tuple, tuple[str, str]]]   # relation -> key -> (row checksum, xmin)


INTERMEDIATE_KEYS = {"intermediate.int_commune_known_month": "month, commune_code"}   # incremental from a month


def snapshot_marts(url: str) -> Rows:
    out: Rows = {}
    with psycopg.connect(url) as conn:
        for relation, key in {**{f"marts.{t}": k for t, k in KEYS.items()}, **INTERMEDIATE_KEYS}.items():
            rows = conn.execute(f"SELECT {key}, md5(t::text), t.xmin::text FROM {relation} AS t").fetchall()
            n = len(key.split(","))
            name = relation.removeprefix("marts.")
            out[name] = {tuple(r[:n]): (r[n], r[n + 1]) for r in rows}
            assert len(out[name]) == len(rows), f"{name}: key not unique"
    return out


def changed(before: Rows, after: Rows, relation: str) -> set[tuple]:
    b, a = before[relation], after[relation]
    return {k for k in b.keys() | a.keys() if b.get(k, (None,))[0] != a.get(k, (None,))[0]}


def rewritten(before: Rows, after: Rows, relation: str) -> set[tuple]:
    b, a = before[relation], after[relation]
    return {k for k in b.keys() & a.keys() if b[k][1] != a[k][1]}


def assert_equals_a_full_rebuild(url: str, incremental: Rows) -> None:
    """Every mart and incremental intermediate table as built incrementally (`incremental`, a
    snapshot) equals a full rebuild of the same submissions."""
    assert build(url, full_refresh=True).success
    rebuilt = snapshot_marts(url)
    for relation in [*KEYS, *INTERMEDIATE_KEYS]:
        assert changed(incremental, rebuilt, relation) == set(), relation


def _commune_figures(url: str, commune: str, may: date, june: date) -> tuple[int, object]:
    """(criteria met in May, June's ns_tw increment minus May's) of one commune."""
    with psycopg.connect(url) as conn:
        met = conn.execute("SELECT criteria_met FROM marts.fct_commune_status WHERE month = %s "
                           "AND commune_code = %s", (may, commune)).fetchone()[0]
        delta = conn.execute(
            "SELECT f.amount_month_mvnd - g.amount_month_mvnd FROM marts.fct_funding f, marts.fct_funding g "
            "WHERE f.month = %s AND g.month = %s AND f.unit_code = %s AND g.unit_code = f.unit_code "
            "AND f.source_code = 'ns_tw' AND g.source_code = 'ns_tw'", (june, may, commune)).fetchone()[0]
    return met, delta


def test_version_2_of_an_old_month_changes_exactly_the_affected_rows(fresh_database_url: str) -> None:
    url = fresh_database_url
    load_reference_table(url)
    rng = random.Random(7)
    may = date(2023, 5, 1)
    june = date(2023, 6, 1)
    district_communes = {d: commune_codes(url, d) for d in ("395", "396")}
    first = {}
    with psycopg.connect(url) as conn:
        for period in months(date(2023, 3, 1), 4):
            for d, communes in district_communes.items():
                first[(d, period)] = synthetic_month(conn, "38", d, communes, period, rng)
    assert build(url).success
    before = snapshot_marts(url)

    target = district_communes["395"][3]
    met_before, june_increment_before = _commune_figures(url, target, may, june)
    with psycopg.connect(url) as conn:
        v2 = resubmit(conn, first[("395", may)])
        conn.execute("UPDATE raw.tieu_chi_xa_mark SET is_met = false WHERE submission_id = %s "
                     "AND commune_code = %s AND criterion_code IN ('tc01', 'tc02')", (v2, target))
        conn.execute("UPDATE raw.nguon_von SET amount_mvnd = amount_mvnd + 100 WHERE submission_id = %s "
                     "AND unit_code = %s AND source_code = 'ns_tw'", (v2, target))
    result = build(url)
    assert result.success, [str(f) for f in result.failures]
    after = snapshot_marts(url)

    # facts: every row of (May, 395) carries the new submission id; nothing else changed except
    # June's increment of the corrected funding series
    for fact in FACTS:
        with psycopg.connect(url) as conn:
            key_cols = KEYS[fact]
            expected = {tuple(r) for r in conn.execute(
                f"SELECT {key_cols} FROM marts.{fact} WHERE month = %s AND district_code = '395'", (may,))}
        if fact == "fct_funding":
            expected.add((june, target, "ns_tw", "all"))
        assert changed(before, after, fact) == expected, fact
        assert before[fact].keys() == after[fact].keys(), fact
        assert expected, fact
        with psycopg.connect(url) as conn:
            assert conn.execute(f"SELECT count(*) FROM marts.{fact} WHERE submission_id = %s",
                                (first[("395", may)],)).fetchone()[0] == 0
    # untouched months were not rewritten (incremental by month), June only for funding
    for fact in FACTS:
        months_rewritten = {k[0] for k in rewritten(before, after, fact)}
        assert months_rewritten <= ({may, june} if fact == "fct_funding" else {may}), (fact, months_rewritten)
    assert {(k[0], k[1]) for k in changed(before, after, "mart_progress")} == {
        (may, "commune"), (may, "district"), (may, "province")}
    assert {k[2] for k in changed(before, after, "mart_progress")} == {target, "395", "38"}
    assert changed(before, after, "mart_funding") == {
        (may, "district", "395"), (may, "province", "38"), (june, "district", "395"), (june, "province", "38")}
    assert {k[0] for k in changed(before, after, "fct_commune_title_change")} <= {may}
    # mart_progress is rebuilt from the corrected month on (carry-forward and year to date look
    # back only); the months before it are not rewritten
    assert {k[0] for k in rewritten(before, after, "mart_progress")} == {may, june}
    assert {k[0] for k in rewritten(before, after, "intermediate.int_commune_known_month")} == {may, june}
    assert changed(before, after, "mart_ocop") == set()
    assert changed(before, after, "mart_submission_coverage") == {(may, "395")}
    for dim in ("dim_admin_unit", "dim_criterion", "dim_funding_source", "dim_month"):
        assert changed(before, after, dim) == set()
    met, june_increment = _commune_figures(url, target, may, june)
    assert met == met_before - 2
    assert june_increment == june_increment_before - 200   # May's figure +100: May +100, June -100

    # the incremental result equals a full rebuild
    assert_equals_a_full_rebuild(url, after)


SERIES_KEY = "month, submitting_unit_code, unit_code, source_code, capital_type"
SERIES = ("int_funding_series", "int_funding_known_month")      # incremental by year tail


# the figures without the submission id, which a resubmission changes on every row
FIGURES = "md5((t.amount_ytd_mvnd, t.months_covered, t.is_estimate)::text)"


def _series(url: str, digest: str = FIGURES) -> Rows:
    """The two funding series tables by key: (`digest` of each row, xmin)."""
    out: Rows = {}
    with psycopg.connect(url) as conn:
        for relation in SERIES:
            rows = conn.execute(f"SELECT {SERIES_KEY}, {digest}, t.xmin::text "
                                f"FROM intermediate.{relation} AS t").fetchall()
            out[relation] = {tuple(r[:5]): (r[5], r[6]) for r in rows}
            assert len(out[relation]) == len(rows), f"{relation}: key not unique"
    return out


def test_funding_series_rebuilds_only_the_years_that_changed(fresh_database_url: str) -> None:
    """int_funding_series and int_funding_known_month are incremental by year tail: a new month
    rewrites part of its own year only, a correction of December 2022 rewrites 2022 only, and the
    result equals a full rebuild."""
    url = fresh_database_url
    load_reference_table(url)
    rng = random.Random(11)
    communes = commune_codes(url, "395")
    sids = {}
    with psycopg.connect(url) as conn:
        for period in months(date(2022, 11, 1), 4):           # Nov 2022 – Feb 2023
            sids[period] = synthetic_month(conn, "38", "395", communes, period, rng)
    assert build(url).success
    first = _series(url)
    progress_before = snapshot_marts(url)
    for relation in SERIES:
        assert {k[0].year for k in first[relation]} == {2022, 2023}, relation

    with psycopg.connect(url) as conn:
        synthetic_month(conn, "38", "395", communes, date(2023, 3, 1), rng)
    assert build(url).success
    second = _series(url)
    progress_after = snapshot_marts(url)      # a new month: mart_progress writes that month only
    assert {k[0] for k in rewritten(progress_before, progress_after, "mart_progress")} == set()
    assert {k[0] for k in rewritten(progress_before, progress_after, "intermediate.int_commune_known_month")} == set()
    assert {k[0] for k in progress_after["mart_progress"].keys() - progress_before["mart_progress"].keys()} == {
        date(2023, 3, 1)}
    # the series from the district's report before March (disappears_in may move), the figures
    # known per month from March: the earlier months and 2022 are not rewritten
    assert {k[0] for k in rewritten(first, second, "int_funding_series")} == {date(2023, 2, 1)}
    assert rewritten(first, second, "int_funding_known_month") == set()
    for relation in SERIES:
        assert not any(k[0].year == 2022 for k in changed(first, second, relation)), relation
        assert {k[0] for k in second[relation].keys() - first[relation].keys()} == {date(2023, 3, 1)}, relation

    december = date(2022, 12, 1)
    with psycopg.connect(url) as conn:
        v2 = resubmit(conn, sids[december])
        conn.execute("UPDATE raw.nguon_von SET amount_mvnd = amount_mvnd + 7 WHERE submission_id = %s "
                     "AND unit_code = %s", (v2, communes[0]))
    assert build(url).success
    third = _series(url)
    for relation in SERIES:
        assert {k[0].year for k in rewritten(second, third, relation)} == {2022}, relation
        assert {k[0] for k in changed(second, third, relation)} == {december}, relation   # the year's last month
        assert {k[2] for k in changed(second, third, relation)} == {communes[0]}, relation

    assert build(url, full_refresh=True).success
    rebuilt = _series(url)
    for relation in SERIES:
        assert changed(third, rebuilt, relation) == set(), relation


def _series_rows(url: str) -> Rows:
    """Every column of the two funding series tables (disappears_in included), with xmin."""
    return _series(url, "md5(t::text)")


def test_funding_series_rebuilds_from_each_units_report_before_the_change(fresh_database_url: str) -> None:
    """A new month rebuilds the funding series from the month each submitting unit last reported
    before it, not the whole year: district 395 reports January to March, 396 January and
    February only; April comes with a series gone from each. The February and March figures that
    now disappear in April say so (disappears_in), January is not rewritten, the carried-forward
    figures are rebuilt from April only; a May from 395 alone carries 396's April forward; and
    everything equals a full rebuild."""
    url = fresh_database_url
    load_reference_table(url)
    rng = random.Random(5)
    communes = {d: commune_codes(url, d) for d in ("395", "396")}
    jan, feb, mar, apr = months(date(2023, 1, 1), 4)
    with psycopg.connect(url) as conn:
        for period in (jan, feb, mar):
            synthetic_month(conn, "38", "395", communes["395"], period, rng)
        for period in (jan, feb):
            synthetic_month(conn, "38", "396", communes["396"], period, rng)
    assert build(url).success
    before = _series_rows(url)

    gone = {"395": (communes["395"][0], "nhan_dan"), "396": (communes["396"][1], "ns_tw")}
    with psycopg.connect(url) as conn:
        for district, (commune, source) in gone.items():
            sid = synthetic_month(conn, "38", district, communes[district], apr, rng)
            assert conn.execute("DELETE FROM raw.nguon_von WHERE submission_id = %s AND unit_code = %s "
                                "AND source_code = %s", (sid, commune, source)).rowcount == 1
    result = build(url)
    assert result.success, [str(f) for f in result.failures]
    after = _series_rows(url)

    series = "int_funding_series"
    assert {k[0] for k in rewritten(before, after, series)} == {feb, mar}     # from 396's February on
    assert {k[0] for k in rewritten(before, after, "int_funding_known_month")} == set()   # April is new
    assert {k[0] for k in changed(before, after, series)} == {feb, mar, apr}
    with psycopg.connect(url) as conn:
        disappears = dict(((r[0], r[1]), r[2]) for r in conn.execute(
            "SELECT submitting_unit_code, month, disappears_in FROM intermediate.int_funding_series "
            "WHERE (unit_code, source_code) IN ((%s, %s), (%s, %s)) AND month < %s",
            (*gone["395"], *gone["396"], apr)))
    assert disappears == {("395", jan): None, ("395", feb): None, ("395", mar): apr,
                          ("396", jan): None, ("396", feb): apr}

    # May from 395 only: 396's April figures are carried forward into May, read from April
    may = date(2023, 5, 1)
    with psycopg.connect(url) as conn:
        synthetic_month(conn, "38", "395", communes["395"], may, rng)
    assert build(url).success
    with psycopg.connect(url) as conn:
        carried = conn.execute("SELECT count(*), min(source_month), bool_and(is_carried_forward) "
                               "FROM intermediate.int_funding_known_month WHERE month = %s "
                               "AND submitting_unit_code = '396'", (may,)).fetchone()
    assert carried[0] > 0 and carried[1:] == (apr, True)
    after = _series_rows(url)

    assert build(url, full_refresh=True).success
    rebuilt = _series_rows(url)
    for relation in SERIES:
        assert changed(after, rebuilt, relation) == set(), relation


def _months_of_395_built(url: str, count: int, seed: int) -> list[str]:
    """The reference list loaded, `count` months of district 395 (province 38) from March 2023
    accepted and built; the district's xã."""
    load_reference_table(url)
    rng = random.Random(seed)
    communes = commune_codes(url, "395")
    with psycopg.connect(url) as conn:
        for period in months(date(2023, 3, 1), count):
            synthetic_month(conn, "38", "395", communes, period, rng)
    assert build(url).success
    return communes


def test_a_changed_reference_list_rebuilds_every_month(fresh_database_url: str) -> None:
    """The incremental models hold months built with the administrative list of their build: when
    the list changes (a unit list imported), the next build rebuilds them all and equals a full
    rebuild (communes_expected of the old months moves with the list)."""
    url = fresh_database_url
    communes = _months_of_395_built(url, 3, seed=5)
    before = snapshot_marts(url)
    with psycopg.connect(url) as conn:       # one xã of 395 is a ward from now on in the list
        conn.execute("UPDATE ref.admin_unit SET unit_type = 'Phường' WHERE unit_code = %s", (communes[0],))
    assert build(url).success
    after = snapshot_marts(url)
    march = date(2023, 3, 1)
    expected = {r[0]: r[1] for r in psycopg.connect(url).execute(
        "SELECT month, communes_expected FROM marts.mart_progress WHERE unit_code = '395'").fetchall()}
    assert expected == {m: len(communes) - 1 for m in months(march, 3)}
    assert (march, "district", "395") in changed(before, after, "mart_progress")
    assert {k[0] for k in rewritten(before, after, "fct_commune_status")} == set(months(march, 3))
    assert_equals_a_full_rebuild(url, after)


def test_a_submission_accepted_during_a_build_reaches_the_marts_at_the_next_build(fresh_database_url: str) -> None:
    """A load that commits while a build runs (another month's pipeline, a backfill) is in the
    next build's marts. The marts rebuilt "since the last build" compare the submissions in force
    with the record of the last build (fct_submission_in_force, built last): the record must hold
    what the marts were built from, not what was in force when the record itself ran. Here the
    new month is accepted the moment mart_progress finishes, before the record is written."""
    url = fresh_database_url
    load_reference_table(url)
    rng = random.Random(11)
    communes = {d: commune_codes(url, d) for d in ("395", "396")}
    march, april = date(2023, 3, 1), date(2023, 4, 1)
    with psycopg.connect(url) as conn:
        for d, codes in communes.items():
            synthetic_month(conn, "38", d, codes, march, rng)
    assert build(url).success
    loaded = []

    def load_april_after_mart_progress(line: str) -> None:
        if " mart_progress " in line and not loaded:
            with psycopg.connect(url) as conn:
                loaded.append(synthetic_month(conn, "38", "395", communes["395"], april, rng))

    assert build(url, progress=load_april_after_mart_progress).success
    assert loaded, "the build reported no mart_progress"
    assert build(url).success
    # and April's rows were rebuilt and checked by this build: the models' and the views' tests
    assert _rebuilt(url)["mart_progress"] == _rebuilt(url)[VIEWS_KEY] == "2023-04-01"
    with psycopg.connect(url) as conn:
        reported = conn.execute("SELECT districts_reported FROM marts.mart_progress WHERE month = %s "
                                "AND unit_level = 'province' AND unit_code = '38'", (april,)).fetchone()
    assert reported == (1,)  # 395 reported April, 396 did not (carried forward)
    assert_equals_a_full_rebuild(url, snapshot_marts(url))


def test_a_reference_list_changed_during_a_build_rebuilds_every_month_at_the_next_build(
        fresh_database_url: str) -> None:
    """The same for the administrative list (`ntm reference import-units` while a build runs): the
    record of the build holds the digest of the list the build started with, so a list changed
    after mart_progress ran makes the next build rebuild every month, as a changed list does."""
    url = fresh_database_url
    communes = _months_of_395_built(url, 2, seed=13)
    changed_list = []

    def make_a_ward_after_mart_progress(line: str) -> None:
        if " mart_progress " in line and not changed_list:
            with psycopg.connect(url) as conn:
                changed_list.append(conn.execute("UPDATE ref.admin_unit SET unit_type = 'Phường' "
                                                 "WHERE unit_code = %s", (communes[0],)).rowcount)

    assert build(url, progress=make_a_ward_after_mart_progress).success
    assert changed_list == [1]
    assert build(url).success
    assert _rebuilt(url)["mart_progress"] == "0001-01-01"  # every month (first_changed_month: the list changed)
    expected = dict(psycopg.connect(url).execute(
        "SELECT month, communes_expected FROM marts.mart_progress WHERE unit_code = '395'").fetchall())
    assert expected == {m: len(communes) - 1 for m in months(date(2023, 3, 1), 2)}
    assert_equals_a_full_rebuild(url, snapshot_marts(url))


INCREMENTAL = ["fct_commune_criteria", "fct_commune_status", "fct_funding", "fct_ocop_product", "fct_support",
               "mart_progress", "fct_commune_title_change", "mart_funding",
               "int_commune_known_month", "int_funding_series", "int_funding_known_month"]
# incremental by year tail: the series from the district's report before the new month
FROM_REPORT_BEFORE = {"int_funding_series"}


def _assert_decided_once(manifest: dict) -> None:
    """Each incremental model decides what to rebuild once, where its SQL is compiled (plan_rebuild),
    and its pre-hook deletes what that decision stored (planned_*), never a decision taken again:
    a submission loaded, or the build record swapped, in between made the two disagree and the
    pre-hook delete months the model did not rebuild (all of fct_commune_criteria, on 2026-12-07).
    The build record, whose digest they all read, is built after every one of them."""
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    deciding = sorted(name for name, n in models.items() if "plan_rebuild" in n["raw_code"])
    assert deciding == sorted(INCREMENTAL)
    for name in deciding:
        hooks = " ".join(h["sql"] for h in models[name]["config"]["pre-hook"])
        assert "planned_" in hooks, name
        assert not any(again in hooks for again in ("to_rebuild(", "since_change(", "ocop_months")), name
    record = set(models["fct_submission_in_force"]["depends_on"]["nodes"])
    assert {f"model.ntm.{m}" for m in deciding} <= record


VIEWS_KEY = "(views: inputs changed)"  # the on-run-start record of the first month whose inputs changed


def _rebuilt(url: str) -> dict[str, str]:
    """What each incremental model recorded as rebuilt by the latest dbt invocation, and the first
    month whose inputs changed (VIEWS_KEY), from meta.dbt_rebuilt."""
    with psycopg.connect(url) as conn:
        return dict(conn.execute(
            """SELECT model, rebuilt_from::text FROM meta.dbt_rebuilt WHERE invocation_id =
                   (SELECT invocation_id FROM meta.dbt_rebuilt ORDER BY recorded_at DESC LIMIT 1)""").fetchall())


def _view_test_window() -> str:
    """The condition the latest invocation's key test of the view int_commune_month ran with (from
    the SQL dbt ran: target/run), '' when it read every row."""
    ran = (target_dir() / "run" / "ntm" / "models" / "intermediate" / "_intermediate.yml"
           / "primary_key_int_commune_month_month__commune_code.sql").read_text(encoding="utf-8")
    found = re.search(r'"int_commune_month" where (.+?)\) dbt_subquery', ran)
    return found.group(1) if found else ""


def test_data_tests_of_an_incremental_build_check_the_months_it_rebuilt(fresh_database_url: str) -> None:
    """A first build or full refresh checks every month; an incremental build the months from the
    first one each model rebuilt (for the funding series, the units' reports before it), where a
    bad row fails the build, and the views from the first month whose submissions changed; a build
    that changed nothing checks no old month, and `dbt test` alone checks all."""
    from ingest.warehouse.build import _invoke

    url = fresh_database_url
    load_reference_table(url)
    rng = random.Random(5)
    communes = commune_codes(url, "395")
    with psycopg.connect(url) as conn:
        for period in months(date(2023, 3, 1), 2):
            synthetic_month(conn, "38", "395", communes, period, rng)
    assert build(url).success
    assert _rebuilt(url) == dict.fromkeys([*INCREMENTAL, VIEWS_KEY], "-infinity")
    assert _view_test_window() == ""
    _assert_decided_once(json.loads((target_dir() / "manifest.json").read_text(encoding="utf-8")))

    with psycopg.connect(url) as conn:   # May's report lists no support: fct_support has nothing to rebuild
        may = synthetic_month(conn, "38", "395", communes, date(2023, 5, 1), rng)
        assert conn.execute("DELETE FROM raw.ho_tro WHERE submission_id = %s", (may,)).rowcount
    result = build(url)
    assert result.success, [str(f) for f in result.failures]
    assert _rebuilt(url) == {m: "2023-04-01" if m in FROM_REPORT_BEFORE else
                             "infinity" if m == "fct_support" else "2023-05-01" for m in [*INCREMENTAL, VIEWS_KEY]}
    # the views' tests check the months from the first whose submissions in force changed
    assert _view_test_window() == "month >= date '2023-05-01'"

    # a duplicate planted in March, which no build rewrites: an incremental build that changes
    # nothing checks no month; `dbt test` on its own (no record of a rebuild) checks them all
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO marts.fct_commune_criteria SELECT * FROM marts.fct_commune_criteria "
                     "WHERE month = '2023-03-01' LIMIT 1")
    assert build(url).success
    assert _rebuilt(url) == dict.fromkeys([*INCREMENTAL, VIEWS_KEY], "infinity")
    assert _view_test_window() == "false"
    res, _ = _invoke(url, ["test", "--select", "fct_commune_criteria int_commune_month"], None)
    failed = sorted(r.node.name for r in res.result.results if str(r.status) == "fail")
    assert failed == ["equal_rowcount_fct_commune_criteria_ref_int_commune_criteria___fct_commune_criteria",
                      "unique_combination_fct_commune_criteria_month__commune_code__criterion_code"]
    assert _view_test_window() == ""  # `dbt test` records nothing: the views are checked whole
    with psycopg.connect(url) as conn:
        conn.execute("DELETE FROM marts.fct_commune_criteria WHERE ctid = (SELECT max(ctid) FROM "
                     "marts.fct_commune_criteria WHERE month = '2023-03-01')")

    # a bad value in the month an incremental build rebuilds fails that build
    with psycopg.connect(url) as conn:
        june = synthetic_month(conn, "38", "395", communes, date(2023, 6, 1), rng)
        conn.execute("UPDATE raw.ho_tro SET value_mvnd = -5 WHERE submission_id = %s", (june,))
    result = build(url)
    assert not result.success
    assert [f.node for f in result.failures] == ["accepted_range_fct_support_value_mvnd__0"], result.failures


def test_history_built_month_by_month_equals_a_full_rebuild(fresh_database_url: str) -> None:
    """The headline-figure scenarios (tests/fixtures/figures.py: a silent district, series and title
    histories across the 1 July 2025 reform, funding that switches sources, phases) reach the
    warehouse in three parts, each built incrementally on the one before: up to January 2024, up to
    June 2025, then the rest. Every mart equals a full rebuild of the same submissions; in
    particular a 2025 commune's first title is compared with its predecessors' last legacy titles
    when only the months from July 2025 are rebuilt."""
    from tests.fixtures.figures import YEN_TRUNG, write_scenarios

    url = fresh_database_url
    write_scenarios(url)
    with psycopg.connect(url) as conn:
        held = dict(conn.execute("SELECT submission_id, period FROM audit.submission WHERE status = 'accepted' "
                                 "AND period >= '2024-02-01'").fetchall())
        conn.execute("UPDATE audit.submission SET status = 'received' WHERE submission_id = ANY(%s)", (list(held),))
    assert {p for p in held.values() if p >= date(2025, 7, 1)} and {p for p in held.values() if p < date(2025, 7, 1)}
    assert build(url).success
    for cutoff in (date(2025, 7, 1), date(9999, 1, 1)):
        with psycopg.connect(url) as conn:
            conn.execute("UPDATE audit.submission SET status = 'accepted' WHERE submission_id = ANY(%s)",
                         ([sid for sid, period in held.items() if period < cutoff],))
        result = build(url)
        assert result.success, [str(f) for f in result.failures]
    assert _rebuilt(url)["fct_commune_title_change"] == "2025-07-01"
    incremental = snapshot_marts(url)
    assert (date(2025, 7, 1), YEN_TRUNG) in incremental["fct_commune_title_change"]   # upgraded, from its predecessors

    assert_equals_a_full_rebuild(url, incremental)
