"""`ntm demo`: set everything up and run the monthly pipeline end to end on sample data.

Generates a province's submissions for a few months into the demo inbox, adds one bad file and
one late correction (version 2) to show what happens to them, runs the monthly pipeline for each
month (the same function the Airflow DAG calls), then prints figures read back from the marts.
Re-running is safe: files already received are recognised by their hash and not loaded twice.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import psycopg
from psycopg.rows import dict_row
from rich.console import Console
from rich.table import Table

from ingest import localdb
from ingest.config import load_settings


def _prepare_inbox(inbox: Path, province: str, months: list[date], console: Console) -> None:
    from ingest.generate import generate

    marker = inbox / f".generated-{province}-{months[0]:%Y%m}-{months[-1]:%Y%m}"
    if marker.exists():
        return
    console.print(f"generating sample submissions for province {province}, "
                  f"{months[0]:%Y-%m}..{months[-1]:%Y-%m} …")
    paths = generate(province, months, inbox, seed=2023, messy=False)
    # A hand-made file that is not a workbook: archived, rejected, reported.
    last = inbox / f"{months[-1]:%Y-%m}"
    (last / f"{months[-1]:%Y-%m}_bad_v1.xlsx").write_text("this is not a workbook\n", encoding="utf-8")
    # A correction of the first district's first month, hand-made looking, as version 2.
    messy_dir = inbox.parent / "messy"
    messy = generate(province, months[:1], messy_dir, seed=2023, messy=True, version=2)
    if messy:
        shutil.copy(messy[0], inbox / f"{months[0]:%Y-%m}" / messy[0].name.replace("_v2", "_v2_messy"))
    console.print(f"  {len(paths)} workbooks + 1 bad file + 1 hand-made version 2 in {inbox}")
    marker.touch()


def _summary(url: str, month: date, console: Console) -> None:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        rows = conn.execute(
            """SELECT p.unit_code, u.unit_name, p.communes_total, p.communes_ntm, p.communes_advanced,
                      p.communes_model, round(p.pct_communes_ntm, 1) AS pct,
                      round(p.avg_criteria_per_commune, 2) AS avg_criteria, p.titles_at_risk
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
    table = Table(title=f"Communes meeting the NTM standard, {month:%m/%Y}")
    for col in ("unit", "name", "communes", "NTM", "advanced", "model", "% NTM", "avg criteria", "at risk"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["unit_code"], r["unit_name"] or "", str(r["communes_total"]), str(r["communes_ntm"]),
                      str(r["communes_advanced"]), str(r["communes_model"]), str(r["pct"]),
                      str(r["avg_criteria"]), str(r["titles_at_risk"]))
    console.print(table)
    for f in funding:
        console.print(f"Funding mobilised in province {f['unit_code']} to the end of {month:%m/%Y}: "
                      f"{f['total_ytd_mvnd']:,.0f} million VND (central budget {f['ns_tw_ytd_mvnd']:,.0f}, "
                      f"community {f['nhan_dan_ytd_mvnd']:,.0f} = {f['community_pct']}%)")
    for o in ocop:
        console.print(f"OCOP products in province {o['unit_code']}: {o['products_rated']} rated "
                      f"({o['products_3_star']}★3, {o['products_4_star']}★4, {o['products_5_star']}★5), "
                      f"{o['products_preparing']} preparing")


def run_demo(database_url: str | None, months: list[date], province: str) -> int:
    from ingest.cli import _print_run_summary, migrate_all
    from ingest.pipeline import run_month

    console = Console(highlight=False)
    settings = load_settings()
    url = localdb.resolve_url(settings, database_url)
    console.print(f"database: {url}")
    applied = migrate_all(url)
    console.print("schemas: " + (", ".join(applied) if applied else "up to date"))
    inbox = settings.state_dir / "demo" / "inbox"
    _prepare_inbox(inbox, province, months, console)
    for month in months:
        console.rule(f"monthly run {month:%Y-%m}")
        summary = run_month(month, str(inbox), url, dag_id="demo", build_docs=(month == months[-1]))
        _print_run_summary(console, summary)
    console.rule("what the marts say")
    _summary(url, months[-1], console)
    console.rule("where to look")
    console.print(f"database URL (psql, BI tools): {url}")
    console.print(f"Data Docs (validation results): {settings.data_docs_dir / 'index.html'}")
    console.print(f"dbt docs: `make docs`, then {settings.dbt_project_dir / 'target' / 'index.html'}")
    console.print(f"archive of every received file: {settings.archive_dir}")
    console.print("coverage: `.venv/bin/ntm status`; findings: `.venv/bin/ntm audit --month "
                  f"{months[-1]:%Y-%m}`")
    return 0
