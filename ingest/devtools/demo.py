"""`ntm demo`: set everything up and run the monthly pipeline end to end on sample data.

Generates a province's submissions for a few months into the configured inbox (NTM_INBOX, where
`ntm run` and the Airflow DAGs look) and makes each month
look like a real one: most districts send on time, one sends late (after the 5th of the following
month), one sends nothing, one sends a file that is not a workbook (named for it, so coverage
shows it `rejected`, not `missing`); in the first month a district also sends a hand-made
correction (version 2) after the deadline, which does not make it late. Receipt days are
simulated (the demo passes the day each file "arrived"; the real pipeline records now()). The
deployment serves the demo's province only (NTM_PROVINCES). Runs the monthly pipeline for each
month (the same function the Airflow DAG calls), then prints figures read back from the marts.
Re-running is safe: files already received are recognised by their hash and not loaded twice.
The submissions carry the year's plan with their first month and model villages every month: the
summary shows plan against result (mart_plan) and the model villages, roads and registrations.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg
from psycopg.rows import dict_row
from rich.console import Console
from rich.table import Table

from ingest.config import environment, load_settings
from ingest.store import localdb

VN = timezone(timedelta(hours=7))
ON_TIME_DAYS = (2, 3, 4)  # days of the following month on which districts' files arrive
LATE_DAY, CORRECTION_DAY = 12, 20


@dataclass
class MonthPlan:
    """What each expected submitting unit does in one month of the demo."""

    month: date
    on_time: list[str] = field(default_factory=list)
    late: str | None = None
    missing: str | None = None
    rejected: str | None = None            # sends a file that is not a workbook, named for it
    corrected: str | None = None           # sends a version 2 on CORRECTION_DAY

    def sends(self, unit: str) -> bool:
        return unit in self.on_time or unit in (self.late, self.rejected)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def plan_months(units: dict[date, list[str]]) -> list[MonthPlan]:
    """Rotate the roles so that a district missing or rejected in a month reported the month
    before (its figures carry forward): with units U0..U5, month 0 has U0 late, U1 missing, U2
    rejected; month 1 U3, U4, U5; and so on. The first month's first on-time district sends a
    correction. A month with fewer than 4 units (a province after July 2025) is all on time."""
    plans = []
    for i, (month, us) in enumerate(sorted(units.items())):
        n = len(us)
        if n < 4:
            plans.append(MonthPlan(month, list(us)))
            continue
        late, missing, rejected = (us[(3 * i + k) % n] for k in range(3))
        on_time = [u for u in us if u not in (late, missing, rejected)]
        plans.append(MonthPlan(month, on_time, late, missing, rejected, on_time[0] if i == 0 else None))
    return plans


def receipt_time(plans: list[MonthPlan]):
    """The simulated time each file arrived, from the period and unit its name states."""
    from ingest.pipeline import name_hints

    by_month = {p.month.strftime("%Y-%m"): p for p in plans}

    def when(path: str) -> datetime | None:
        period, unit = name_hints(Path(path).name)
        plan = by_month.get(period or "")
        if plan is None or unit is None:
            return None
        nxt = _next_month(plan.month)
        if unit == plan.late:
            day = LATE_DAY
        elif unit == plan.corrected and "_v2" in Path(path).name:
            day = CORRECTION_DAY
        else:
            day = ON_TIME_DAYS[int(unit) % len(ON_TIME_DAYS)]
        return datetime(nxt.year, nxt.month, day, 9, 30, tzinfo=VN)

    return when


def expected_units(province: str, month: date) -> list[str]:
    """The submitting units of the province that have a xã in the month (those coverage expects)."""
    from ingest.devtools.generate import submitting_units
    from ingest.store.reference import load_admin_units

    admin = load_admin_units()
    return sorted(u.code for u in submitting_units(admin, province, month)
                  if any((c.unit_type or "").lower() == "xã" for c in admin.communes_of(u.code, month)))


def _prepare_inbox(inbox: Path, province: str, plans: list[MonthPlan], console: Console, messy_dir: Path) -> None:
    from ingest.devtools.generate import DEMO_SEED, generate
    from ingest.pipeline import name_hints

    months = [p.month for p in plans]
    marker = inbox / f".prepared-{province}-{months[0]:%Y%m}-{months[-1]:%Y%m}"
    if marker.exists():
        return
    console.print(f"generating sample submissions for province {province}, "
                  f"{months[0]:%Y-%m}..{months[-1]:%Y-%m} …")
    for month in months:
        shutil.rmtree(inbox / f"{month:%Y-%m}", ignore_errors=True)
    paths = generate(province, months, inbox, seed=DEMO_SEED, messy=False)
    by_month = {p.month.strftime("%Y-%m"): p for p in plans}
    kept = unreadable = 0
    for path in paths:
        period, unit = name_hints(path.name)
        plan = by_month[period]
        if not plan.sends(unit):
            path.unlink()          # sends nothing (or has no xã: not part of the programme)
        elif unit == plan.rejected:
            path.write_text(f"{path.name}: this is not a workbook\n", encoding="utf-8")
            unreadable += 1
        else:
            kept += 1
    first = plans[0]
    corrections = 0
    if first.corrected:
        messy = generate(province, months[:1], messy_dir, seed=DEMO_SEED, messy=True, version=2)
        for path in messy:
            if name_hints(path.name)[1] == first.corrected:
                shutil.copy(path, inbox / f"{first.month:%Y-%m}" / path.name.replace("_v2", "_v2_messy"))
                corrections += 1
    console.print(f"  {kept} workbooks, {unreadable} unreadable files, {corrections} hand-made version 2 in {inbox}")
    for p in plans:
        if p.late is None:
            console.print(f"  {p.month:%Y-%m}: on time {', '.join(p.on_time)}")
            continue
        console.print(f"  {p.month:%Y-%m}: on time {', '.join(p.on_time)} (days {ON_TIME_DAYS[0]}-"
                      f"{ON_TIME_DAYS[-1]}); late {p.late} (day {LATE_DAY}); missing {p.missing}; "
                      f"not a workbook {p.rejected}"
                      + (f"; {p.corrected} corrects with version 2 on day {CORRECTION_DAY}" if p.corrected else ""))
    marker.touch()


def _summary(url: str, month: date, console: Console) -> None:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        rows = conn.execute(
            """SELECT to_jsonb(p) AS p, u.unit_name, round(p.pct_communes_ntm, 1) AS pct,
                      round(p.avg_criteria_per_commune, 2) AS avg_criteria
               FROM marts.mart_progress p
               LEFT JOIN marts.dim_admin_unit u ON u.unit_code = p.unit_code AND u.unit_level = p.unit_level
                    AND p.month BETWEEN u.valid_from AND coalesce(u.valid_to, 'infinity')
               WHERE p.month = %s AND p.unit_level IN ('district', 'province')
               ORDER BY p.unit_level DESC, p.unit_code""",
            (month,),
        ).fetchall()
        funding = conn.execute(
            """SELECT unit_code, total_ytd_mvnd, ns_tw_ytd_mvnd, nhan_dan_ytd_mvnd,
                      round(100 * community_share, 1) AS community_pct
               FROM marts.mart_funding WHERE month = %s AND unit_level = 'province'""",
            (month,),
        ).fetchall()
        ocop = conn.execute(
            """SELECT unit_code, products_rated, products_3_star, products_4_star, products_5_star,
                      products_preparing
               FROM marts.mart_ocop WHERE month = %s AND unit_level = 'province'""",
            (month,),
        ).fetchall()
    # Only xã take part: the warehouse counts xã only; the denominator is the xã in force
    # (communes_expected) where the mart has it, else the xã with figures.
    def xa(p: dict) -> int:
        return p["communes_expected"] if p.get("communes_expected") is not None else p["communes_total"]

    head = next((r for r in rows if r["p"]["unit_level"] == "province"), None)
    title = f"Xã meeting the NTM standard, {month:%m/%Y}"
    if head is not None:
        title += f" — {head['unit_name'] or head['p']['unit_code']}: {xa(head['p'])} xã"
    table = Table(title=title)
    with_known = any("communes_expected" in r["p"] for r in rows)
    columns = ["unit", "name", "xã"] + (["with figures"] if with_known else []) + [
        "NTM", "advanced", "model", "% NTM", "avg criteria", "at risk"]
    for col in columns:
        table.add_column(col)
    for r in rows:
        p = r["p"]
        known = [str(p["communes_total"])] if with_known else []
        table.add_row(p["unit_code"], r["unit_name"] or "", str(xa(p)), *known, str(p["communes_ntm"]),
                      str(p["communes_advanced"]), str(p["communes_model"]), str(r["pct"]),
                      str(r["avg_criteria"]), str(p["titles_at_risk"]))
    console.print(table)
    if head is not None:
        h = head["p"]
        console.print(f"{h['communes_ntm']}/{xa(h)} xã meet the NTM standard ({head['pct']}%); on average a xã "
                      f"meets {head['avg_criteria']} criteria")
    for f in funding:
        console.print(f"Funding mobilised in province {f['unit_code']} to the end of {month:%m/%Y}: "
                      f"{f['total_ytd_mvnd']:,.0f} million VND (central budget {f['ns_tw_ytd_mvnd']:,.0f}, "
                      f"community {f['nhan_dan_ytd_mvnd']:,.0f} = {f['community_pct']}%)")
    for o in ocop:
        console.print(f"OCOP products in province {o['unit_code']}: {o['products_rated']} rated "
                      f"({o['products_3_star']}★3, {o['products_4_star']}★4, {o['products_5_star']}★5), "
                      f"{o['products_preparing']} preparing")


def _plan_summary(url: str, month: date, console: Console) -> None:
    """Plan against result (mart_plan) for the province and its districts, and the model villages,
    roads and registrations of the province (mart_progress)."""
    from ingest.contract import PLAN_TARGETS

    with psycopg.connect(url, row_factory=dict_row) as conn:
        plan = conn.execute(
            """SELECT unit_level, unit_code, indicator, target, actual, round(pct_of_target, 1) AS pct, on_track,
                      units_planned
               FROM marts.mart_plan WHERE month = %s ORDER BY unit_level DESC, unit_code, indicator""",
            (month,)).fetchall()
        models = conn.execute(
            """SELECT unit_code, model_villages, model_roads, communes_registered_advanced,
                      communes_registered_model
               FROM marts.mart_progress WHERE month = %s AND unit_level = 'province'""", (month,)).fetchall()
    for m in models:
        console.print(f"Province {m['unit_code']}: {m['model_villages']} model villages, {m['model_roads']} model "
                      f"roads; {m['communes_registered_model']} xã building toward model, "
                      f"{m['communes_registered_advanced']} toward advanced (plans in force)")
    if not plan:
        console.print(f"No plan in force for {month:%m/%Y}.")
        return
    order = list(PLAN_TARGETS)
    table = Table(title=f"Plan against result, {month:%m/%Y} (province: the districts with a plan, summed)")
    for col in ("unit", "indicator", "target", "actual", "% of target", "on track", "districts"):
        table.add_column(col)
    for r in sorted(plan, key=lambda r: (r["unit_level"] != "province", r["unit_code"], order.index(r["indicator"]))):
        mark = "—" if r["on_track"] is None else ("yes" if r["on_track"] else "BEHIND")
        table.add_row(r["unit_code"], PLAN_TARGETS[r["indicator"]], str(r["target"]),
                      "—" if r["actual"] is None else str(r["actual"]), "—" if r["pct"] is None else str(r["pct"]),
                      mark, str(r["units_planned"]) if r["unit_level"] == "province" else "")
    console.print(table)
    behind = [r for r in plan if r["unit_level"] == "district" and r["on_track"] is False]
    planned = {r["unit_code"] for r in plan if r["unit_level"] == "district"}
    console.print(f"{len(planned)} districts with a plan for {month:%Y}; {len(behind)} targets behind schedule")


def _coverage_overview(url: str, months: list[date], console: Console) -> None:
    """One coverage line per month, as `ntm status` counts it."""
    from ingest.serve.coverage import coverage, coverage_line, summarise

    for month in months:
        console.print(f"coverage {month:%Y-%m}: {coverage_line(summarise(coverage(url, month)))}", markup=False)


def run_demo(database_url: str | None, months: list[date], province: str) -> int:
    from ingest.pipeline import run_month
    from ingest.serve.run_summary import print_run_summary
    from ingest.store.db import migrate_all

    console = Console(highlight=False, soft_wrap=True)  # paths and commands stay whole lines (copy-paste)
    settings = load_settings()
    url = localdb.resolve_url(settings, database_url)
    console.print(f"database: {localdb.masked(url)}")
    applied = migrate_all(url)
    console.print("schemas: " + (", ".join(applied) if applied else "up to date"))
    # one inbox: the configured one (NTM_INBOX), where `ntm run` and the Airflow DAGs look
    inbox = Path(settings.inbox.removeprefix("file://"))
    if "://" in settings.inbox and not settings.inbox.startswith("file://"):
        raise ValueError(f"the demo writes its files into a local inbox, not {settings.inbox}: unset NTM_INBOX")
    plans = plan_months({m: expected_units(province, m) for m in months})
    _prepare_inbox(inbox, province, plans, console, settings.state_dir / "demo" / "messy")
    arrived = receipt_time(plans)
    # the deployment serves the demo's province: coverage expects its districts with xã only
    with environment({"NTM_PROVINCES": province}):
        console.print(f"deployment: NTM_PROVINCES={province}")
        for month in months:
            console.rule(f"monthly run {month:%Y-%m}")
            summary = run_month(month, str(inbox), url, dag_id="demo", build_docs=(month == months[-1]),
                                received_at=arrived)
            print_run_summary(console, summary)
    console.rule("what the marts say")
    _summary(url, months[-1], console)
    _plan_summary(url, months[-1], console)
    _coverage_overview(url, months, console)
    console.rule("where to look")
    console.print(f"database URL (psql; the full one: `.venv/bin/ntm db url`): {localdb.masked(url)}")
    console.print("BI: `make bi` starts Apache Superset with the dashboards on these marts; a login for "
                  "any SQL client: `.venv/bin/ntm db create-login NAME --role bi_reader [--province CODE]`")
    console.print(f"Data Docs (validation results): {settings.data_docs_dir / 'index.html'}")
    console.print(f"dbt docs: `make docs`, then {settings.dbt_target_dir / 'index.html'}")
    console.print(f"archive of every received file: {settings.archive_url}")
    console.print(f"inbox (where `ntm run` and Airflow look): {inbox}/<YYYY-MM>/; more months that continue "
                  f"these: `.venv/bin/ntm generate --province {province} --months "
                  f"{_next_month(months[-1]):%Y-%m}`; a correction: add `--version 2`")
    console.print(f"Airflow on the same inbox: `NTM_PROVINCES={province} make airflow`, then trigger "
                  f"ntm_monthly with {{\"month\": \"{months[-1]:%Y-%m}\"}}")
    console.print(f"coverage: `.venv/bin/ntm status --month {months[-1]:%Y-%m}`; "
                  f"findings: `.venv/bin/ntm audit --month {months[-1]:%Y-%m}`")
    return 0
