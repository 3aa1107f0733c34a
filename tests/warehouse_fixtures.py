"""Helpers that write audit.submission and raw.* rows directly (COPY), as the loader would, so the
warehouse can be tested without going through the reader and Great Expectations.

`add_submission` follows the loader's rule: a new accepted version marks the previous accepted
version of the same (unit, period) as superseded.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import psycopg
from psycopg.rows import dict_row

CRITERIA = [f"tc{i:02d}" for i in range(1, 20)]
VN = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class Commune:
    code: str
    met: int = 19                   # criteria met: the first `met` criteria are marked met
    title: str = "none"             # none / ntm / advanced / model
    title_date: date | None = None
    hardship: str | None = None     # None / kk / dbkk
    name: str | None = None


@dataclass(frozen=True)
class Funding:
    unit_code: str
    source_code: str
    amount: float
    capital_type: str = "all"
    is_estimate: bool = False


@dataclass(frozen=True)
class Product:
    name: str
    commune_code: str
    status: str = "rated"           # preparing / rated / re_rated / expired
    stars: int | None = 3
    group: str = "g1"
    decision_date: date | None = None
    valid_until: date | None = None
    entity_type: str = "htx"
    code: str | None = None
    catalogue: str | None = None    # '148' / '1048' as the reader gives it; None: the warehouse's date rule


@dataclass(frozen=True)
class Support:
    commune_code: str
    agency: str
    value: float
    description: str | None = None


def received(period: date, day: int = 3) -> datetime:
    """A reception time on `day` of the month after `period` (Vietnam time, 10:00)."""
    nxt = date(period.year + period.month // 12, period.month % 12 + 1, 1)
    return datetime(nxt.year, nxt.month, day, 10, 0, tzinfo=VN)


def add_submission(conn: psycopg.Connection, unit_code: str, province_code: str, period: date,
                   version: int = 1, status: str = "accepted", received_at: datetime | None = None,
                   criteria_set: str = "2021-2025") -> int:
    """Insert one received file (and its thong_tin row when it reached raw). Returns its id."""
    received_at = received_at or received(period)
    name = f"{period:%Y-%m}_{unit_code}_v{version}.xlsx"
    sha = hashlib.sha256(f"{name}|{received_at.isoformat()}|{status}".encode()).hexdigest()
    sid = conn.execute(
        """INSERT INTO audit.submission (file_name, sha256, bytes, file_format, submitting_unit_code,
               province_code, period, version, received_at, status, archive_path, loaded_at)
           VALUES (%s, %s, 1000, 'xlsx', %s, %s, %s, %s, %s, 'received', %s, NULL)
           RETURNING submission_id""",
        (name, sha, unit_code, province_code, period, version, received_at, f"archive/{sha}"),
    ).fetchone()[0]
    if status in ("accepted", "superseded"):
        conn.execute(
            """INSERT INTO raw.thong_tin (submission_id, province_code, submitting_unit_code, period,
                   version, submitted_on, prepared_by, criteria_set)
               VALUES (%s, %s, %s, %s, %s, %s, 'test', %s)""",
            (sid, province_code, unit_code, period, version, received_at.date(), criteria_set),
        )
    if status == "accepted":
        conn.execute(
            """UPDATE audit.submission SET status = 'superseded', superseded_by = %s
               WHERE submitting_unit_code = %s AND period = %s AND status = 'accepted'""",
            (sid, unit_code, period),
        )
    conn.execute("UPDATE audit.submission SET status = %s, loaded_at = CASE WHEN %s THEN now() END "
                 "WHERE submission_id = %s", (status, status == "accepted", sid))
    return sid


def add_communes(conn: psycopg.Connection, sid: int, communes: Iterable[Commune]) -> None:
    with conn.cursor() as cur:
        rows = list(communes)
        with cur.copy("COPY raw.tieu_chi_xa (submission_id, excel_row, commune_code, commune_name, "
                      "criteria_met_reported, ntm_title, title_date, hardship) FROM STDIN") as copy:
            for i, c in enumerate(rows):
                copy.write_row((sid, i + 5, c.code, c.name or f"Xã {c.code}", c.met, c.title,
                                c.title_date, c.hardship))
        with cur.copy("COPY raw.tieu_chi_xa_mark (submission_id, excel_row, commune_code, "
                      "criterion_code, is_met) FROM STDIN") as copy:
            for i, c in enumerate(rows):
                for n, crit in enumerate(CRITERIA):
                    copy.write_row((sid, i + 5, c.code, crit, n < c.met))


def add_funding(conn: psycopg.Connection, sid: int, rows: Iterable[Funding]) -> None:
    with conn.cursor().copy("COPY raw.nguon_von (submission_id, excel_row, unit_code, source_code, "
                            "capital_type, amount_mvnd, is_estimate) FROM STDIN") as copy:
        for i, f in enumerate(rows):
            copy.write_row((sid, i + 5, f.unit_code, f.source_code, f.capital_type, f.amount, f.is_estimate))


def add_ocop(conn: psycopg.Connection, sid: int, rows: Iterable[Product]) -> None:
    with conn.cursor().copy("COPY raw.ocop (submission_id, excel_row, product_code, product_name, "
                            "commune_code, entity_name, entity_type, product_group, stars, status, "
                            "decision_date, valid_until, catalogue) FROM STDIN") as copy:
        for i, p in enumerate(rows):
            copy.write_row((sid, i + 5, p.code, p.name, p.commune_code, f"HTX {p.name}", p.entity_type,
                            p.group, p.stars, p.status, p.decision_date, p.valid_until, p.catalogue))


def add_support(conn: psycopg.Connection, sid: int, rows: Iterable[Support]) -> None:
    with conn.cursor().copy("COPY raw.ho_tro (submission_id, excel_row, commune_code, supporting_agency, "
                            "description, value_mvnd) FROM STDIN") as copy:
        for i, s in enumerate(rows):
            copy.write_row((sid, i + 5, s.commune_code, s.agency, s.description, s.value))


def add_district_criteria(conn: psycopg.Connection, sid: int, met: int, title: str | None) -> None:
    with conn.cursor().copy("COPY raw.tieu_chi_huyen (submission_id, excel_row, criterion_no, is_met, "
                            "district_title) FROM STDIN") as copy:
        for n in range(1, 10):
            copy.write_row((sid, n + 4, n, n <= met, title))


def commune_codes(url: str, district_code: str) -> list[str]:
    """The legacy xã of a district, from ref.admin_unit (load it first). Only xã take part in NTM:
    wards and townships are left out (`ward_codes` gives those)."""
    return _legacy_communes(url, district_code, xa=True)


def ward_codes(url: str, district_code: str) -> list[str]:
    """The legacy wards and townships of a district (units that take no part in NTM)."""
    return _legacy_communes(url, district_code, xa=False)


def _legacy_communes(url: str, district_code: str, xa: bool) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT unit_code FROM ref.admin_unit WHERE unit_level = 'commune' AND list_name = 'legacy' "
            "AND (unit_type = 'Xã') = %s AND parent_code = %s ORDER BY unit_code", (xa, district_code)).fetchall()
    return [r[0] for r in rows]


def query_rows(url: str, sql: str, *params) -> list[dict]:
    """The rows of a query, as dicts (for assertions on the marts)."""
    with psycopg.connect(url) as conn:
        return conn.cursor(row_factory=dict_row).execute(sql, params).fetchall()


def query_one(url: str, sql: str, *params) -> dict:
    """The one row of a query, as a dict; fails when there is not exactly one."""
    rows = query_rows(url, sql, *params)
    assert len(rows) == 1, rows
    return rows[0]


def district_codes(url: str, province_code: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT unit_code FROM ref.admin_unit WHERE unit_level = 'district' AND list_name = 'legacy' "
            "AND province_code = %s ORDER BY unit_code", (province_code,)).fetchall()
    return [r[0] for r in rows]


def months(first: date, count: int) -> list[date]:
    out = []
    y, m = first.year, first.month
    for _ in range(count):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


SOURCES = ("ns_tw", "ns_tinh", "ns_huyen", "ns_xa", "nhan_dan", "doanh_nghiep")


def synthetic_month(conn: psycopg.Connection, province_code: str, district: str, communes: Sequence[str],
                    period: date, rng: random.Random, version: int = 1) -> int:
    """One realistic accepted district submission: every commune with marks, cumulative funding per
    commune and source, a few OCOP products and some support. Progress grows with time."""
    sid = add_submission(conn, district, province_code, period, version=version)
    progress = (period.year - 2020) * 12 + period.month
    rows = []
    for code in communes:
        base = int(hashlib.md5(code.encode()).hexdigest(), 16) % 12 + 6
        met = min(19, base + progress // 6 + rng.randint(0, 1))
        title = "none" if met < 19 else ("advanced" if base > 15 else "ntm")
        rows.append(Commune(code, met, title, date(2020, 12, 1) if title != "none" else None,
                            "kk" if base < 8 else None))
    add_communes(conn, sid, rows)
    add_funding(conn, sid, [
        Funding(code, src, round(period.month * (10 + int(hashlib.md5((code + src).encode()).hexdigest(), 16) % 40) + rng.random(), 3))
        for code in communes for src in SOURCES
    ])
    add_ocop(conn, sid, [
        Product(f"Sản phẩm {code}", code, "rated", 3 + int(code) % 3, f"g{int(code) % 6 + 1}",
                date(2021, 6, 1), date(2024, 6, 1))
        for code in communes[: max(1, len(communes) // 4)]
    ])
    add_support(conn, sid, [Support(c.code, "Sở Nông nghiệp", 5.0) for c in rows if c.hardship])
    if period.month == 12:
        add_district_criteria(conn, sid, 9 if progress > 40 else 7, "ntm" if progress > 40 else None)
    return sid


def province_history(url: str, province_code: str, periods: Sequence[date], seed: int = 1) -> int:
    """Accepted submissions of every district of a province for each period. Returns the count."""
    rng = random.Random(seed)
    districts = district_codes(url, province_code)
    communes = {d: commune_codes(url, d) for d in districts}
    n = 0
    with psycopg.connect(url) as conn:
        for period in periods:
            for d in districts:
                if communes[d]:
                    synthetic_month(conn, province_code, d, communes[d], period, rng)
                    n += 1
    return n


RAW_TABLES = ("tieu_chi_xa", "tieu_chi_xa_mark", "tieu_chi_huyen", "nguon_von", "ocop", "ho_tro")


def resubmit(conn: psycopg.Connection, sid: int, received_at: datetime | None = None) -> int:
    """A new accepted version with the same content as submission `sid` (to be edited by the test):
    the previous version becomes superseded, as the loader does."""
    unit, province, period, version, criteria_set = conn.execute(
        "SELECT t.submitting_unit_code, t.province_code, t.period, t.version, t.criteria_set "
        "FROM raw.thong_tin t WHERE t.submission_id = %s", (sid,)).fetchone()
    new = add_submission(conn, unit, province, period, version + 1, "accepted",
                         received_at or received(period, 20), criteria_set)
    for table in RAW_TABLES:
        cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' "
            "AND table_name = %s AND column_name <> 'submission_id' ORDER BY ordinal_position", (table,))]
        listed = ", ".join(cols)
        conn.execute(f"INSERT INTO raw.{table} (submission_id, {listed}) "
                     f"SELECT %s, {listed} FROM raw.{table} WHERE submission_id = %s", (new, sid))
    return new
