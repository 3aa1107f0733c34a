"""What the bulletin states, read from the marts (marts.md) and nothing else: one query per section,
so that every figure on the page is one query on the public relations. A relation or column that
the contract announces but this database does not have yet (`mart_plan`, the model villages and
roads of `mart_progress`) gives an empty section ("chưa có số liệu"), never an error."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ingest.store.statements import previous_month

Row = dict[str, Any]

# A unit's name as in force in the month (the official list; submissions never rename a unit).
_NAMED = """LEFT JOIN marts.dim_admin_unit {a} ON {a}.unit_code = {col} AND {a}.unit_level = {level}
            AND %(month)s BETWEEN {a}.valid_from AND coalesce({a}.valid_to, 'infinity')"""


class ReportError(LookupError):
    """Nothing to report for that unit and month; the message says what to do."""


@dataclass
class BulletinData:
    month: date
    unit_code: str
    unit_level: str                      # province / district
    unit_name: str
    province_name: str | None
    head: Row                            # mart_progress, this month
    prev: Row | None                     # mart_progress, the month before
    start: Row | None                    # mart_progress, December of the previous year (else January)
    ocop: Row | None                     # mart_ocop, this month
    ocop_prev: Row | None
    ocop_start: Row | None
    funding: Row | None                  # mart_funding, this month
    trend: list[Row] = field(default_factory=list)
    children: list[Row] = field(default_factory=list)
    criteria: list[Row] = field(default_factory=list)
    at_risk: list[Row] = field(default_factory=list)
    plan: list[Row] | None = None        # None: mart_plan does not exist in this database
    support: list[Row] = field(default_factory=list)
    expiring: list[Row] = field(default_factory=list)
    coverage: list[Row] = field(default_factory=list)
    has_models: bool = False             # mart_progress carries model_villages / model_roads


def _relation_exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL AS ok", (name,)).fetchone()["ok"]


def _progress(conn: psycopg.Connection, month: date, unit: str, level: str) -> Row | None:
    return conn.execute("SELECT * FROM marts.mart_progress WHERE month = %s AND unit_code = %s AND unit_level = %s",
                        (month, unit, level)).fetchone()


def _ocop(conn: psycopg.Connection, month: date, unit: str, level: str) -> Row | None:
    return conn.execute("SELECT * FROM marts.mart_ocop WHERE month = %s AND unit_code = %s AND unit_level = %s",
                        (month, unit, level)).fetchone()


def _start_month(conn: psycopg.Connection, month: date, unit: str, level: str) -> date | None:
    """The month the year's change is counted from: December of the previous year when the unit has
    figures for it, else the first month of this year with figures (None when that is this month)."""
    first = conn.execute(
        """SELECT max(month) FILTER (WHERE month = make_date(%(y)s - 1, 12, 1)) AS december,
                  min(month) FILTER (WHERE month >= make_date(%(y)s, 1, 1)) AS first_of_year
           FROM marts.mart_progress WHERE unit_code = %(u)s AND unit_level = %(l)s AND month <= %(m)s""",
        {"y": month.year, "u": unit, "l": level, "m": month}).fetchone()
    chosen = first["december"] or first["first_of_year"]
    return chosen if chosen and chosen != month else None


def _children(conn: psycopg.Connection, month: date, unit: str, level: str) -> list[Row]:
    """A province's districts; a district's xã, and a province's xã from July 2025, when districts
    no longer exist (rows with `criteria_met`)."""
    if level == "province":
        districts = conn.execute(
            f"""SELECT p.unit_code, p.unit_level, u.unit_name, p.communes_expected, p.communes_total,
                       p.communes_ntm, p.pct_communes_ntm, p.avg_criteria_per_commune, p.titles_at_risk
                FROM marts.mart_progress p {_NAMED.format(a='u', col='p.unit_code', level='p.unit_level')}
                WHERE p.month = %(month)s AND p.province_code = %(unit)s AND p.unit_level = 'district'
                ORDER BY p.pct_communes_ntm DESC NULLS LAST, p.avg_criteria_per_commune DESC, p.unit_code""",
            {"month": month, "unit": unit}).fetchall()
        if districts:
            return districts
    return conn.execute(
        f"""SELECT s.commune_code AS unit_code, coalesce(u.unit_name, s.commune_name) AS unit_name,
                   s.criteria_met, s.criteria_total, s.ntm_title, s.title_date, s.hardship, s.title_at_risk
            FROM marts.fct_commune_status s {_NAMED.format(a='u', col='s.commune_code', level="'commune'")}
            WHERE s.month = %(month)s AND s.{_scope(level)} = %(unit)s
            ORDER BY s.criteria_met DESC, s.commune_code""",
        {"month": month, "unit": unit}).fetchall()


def _scope(level: str) -> str:
    return "province_code" if level == "province" else "district_code"


def _criteria(conn: psycopg.Connection, month: date, unit: str, level: str) -> list[Row]:
    """Share of the reporting xã that meet each criterion, lowest first."""
    return conn.execute(
        f"""SELECT c.criteria_set, c.criterion_code, d.criterion_no, d.name_vi,
                   count(*) FILTER (WHERE c.is_met) AS communes_met, count(*) AS communes,
                   count(*) FILTER (WHERE c.is_met)::numeric / count(*) AS share_met
            FROM marts.fct_commune_criteria c
            LEFT JOIN marts.dim_criterion d ON d.criteria_set = c.criteria_set AND d.level = 'commune'
                 AND d.criterion_code = c.criterion_code
            WHERE c.month = %s AND c.{_scope(level)} = %s
            GROUP BY c.criteria_set, c.criterion_code, d.criterion_no, d.name_vi
            ORDER BY share_met, d.criterion_no, c.criterion_code""",
        (month, unit)).fetchall()


def _at_risk(conn: psycopg.Connection, month: date, unit: str, level: str) -> list[Row]:
    """Titled xã that no longer meet every criterion, with the criteria not met."""
    return conn.execute(
        f"""SELECT s.commune_code, coalesce(u.unit_name, s.commune_name) AS commune_name,
                   s.district_code, dn.unit_name AS district_name, s.ntm_title, s.title_date,
                   s.criteria_met, s.criteria_total,
                   array_agg(coalesce(d.name_vi, c.criterion_code) ORDER BY d.criterion_no, c.criterion_code)
                       FILTER (WHERE NOT c.is_met) AS criteria_lost,
                   array_agg(d.criterion_no ORDER BY d.criterion_no) FILTER (WHERE NOT c.is_met) AS numbers_lost
            FROM marts.fct_commune_status s
            {_NAMED.format(a='u', col='s.commune_code', level="'commune'")}
            {_NAMED.format(a='dn', col='s.district_code', level="'district'")}
            LEFT JOIN marts.fct_commune_criteria c ON c.month = s.month AND c.commune_code = s.commune_code
            LEFT JOIN marts.dim_criterion d ON d.criteria_set = c.criteria_set AND d.level = 'commune'
                 AND d.criterion_code = c.criterion_code
            WHERE s.month = %(month)s AND s.{_scope(level)} = %(unit)s AND s.title_at_risk
            GROUP BY s.commune_code, u.unit_name, s.commune_name, s.district_code, dn.unit_name, s.ntm_title,
                     s.title_date, s.criteria_met, s.criteria_total
            ORDER BY s.criteria_met, s.district_code, s.commune_code""",
        {"month": month, "unit": unit}).fetchall()


def _plan(conn: psycopg.Connection, month: date, unit: str) -> list[Row] | None:
    if not _relation_exists(conn, "marts.mart_plan"):
        return None
    return conn.execute(
        """SELECT * FROM marts.mart_plan WHERE month = %s AND unit_code = %s ORDER BY indicator""",
        (month, unit)).fetchall()


def _support(conn: psycopg.Connection, month: date, unit: str, level: str) -> list[Row]:
    return conn.execute(
        f"""SELECT s.commune_code, coalesce(u.unit_name, cs.commune_name, s.commune_code) AS commune_name,
                   s.supporting_agency, s.value_mvnd, s.description
            FROM marts.fct_support s
            {_NAMED.format(a='u', col='s.commune_code', level="'commune'")}
            LEFT JOIN marts.fct_commune_status cs ON cs.month = s.month AND cs.commune_code = s.commune_code
            WHERE s.month = %(month)s AND s.{_scope(level)} = %(unit)s
            ORDER BY s.value_mvnd DESC, s.commune_code, s.supporting_agency""",
        {"month": month, "unit": unit}).fetchall()


def _expiring(conn: psycopg.Connection, month: date, unit: str, level: str) -> list[Row]:
    return conn.execute(
        f"""SELECT p.product_key, p.product_name, p.stars, p.product_group, p.catalogue, p.valid_until,
                   coalesce(u.unit_name, p.commune_code) AS commune_name
            FROM marts.fct_ocop_product p
            {_NAMED.format(a='u', col='p.commune_code', level="'commune'")}
            WHERE p.month = %(month)s AND p.{_scope(level)} = %(unit)s AND p.expires_within_6_months
            ORDER BY p.valid_until, p.product_name""",
        {"month": month, "unit": unit}).fetchall()


def _coverage(conn: psycopg.Connection, month: date, unit: str, level: str) -> list[Row]:
    """Every expected submitting unit of the month under this unit, with its status."""
    return conn.execute(
        f"""SELECT c.district_code, coalesce(u.unit_name, c.district_code) AS unit_name, c.status,
                   c.latest_version, c.version_in_force, c.received_at, c.submitted_on, c.is_backfill
            FROM marts.mart_submission_coverage c
            LEFT JOIN marts.dim_admin_unit u ON u.unit_code = c.district_code
                 AND u.unit_level IN ('district', 'province')
                 AND %(month)s BETWEEN u.valid_from AND coalesce(u.valid_to, 'infinity')
            WHERE c.month = %(month)s AND c.{_scope(level)} = %(unit)s
            ORDER BY c.district_code""",
        {"month": month, "unit": unit}).fetchall()


def fetch(url: str, month: date, unit: str) -> BulletinData:
    """Everything the bulletin of `unit` (a province or district code) for `month` states."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        found = conn.execute(
            f"""SELECT p.unit_level, u.unit_name, pv.unit_name AS province_name
                FROM marts.mart_progress p {_NAMED.format(a='u', col='p.unit_code', level='p.unit_level')}
                {_NAMED.format(a='pv', col='p.province_code', level="'province'")}
                WHERE p.month = %(month)s AND p.unit_code = %(unit)s AND p.unit_level IN ('province', 'district')
                ORDER BY p.unit_level = 'province' DESC LIMIT 1""",
            {"month": month, "unit": unit}).fetchone()
        if found is None:
            raise ReportError(f"no figures for unit {unit} in {month:%Y-%m}: check the code and that the month "
                              "was loaded (`ntm status --month`), then `ntm transform`")
        level = found["unit_level"]
        start = _start_month(conn, month, unit, level)
        head = _progress(conn, month, unit, level)
        assert head is not None
        return BulletinData(
            month=month, unit_code=unit, unit_level=level, unit_name=found["unit_name"] or unit,
            province_name=found["province_name"] if level == "district" else None,
            head=head,
            prev=_progress(conn, previous_month(month), unit, level),
            start=_progress(conn, start, unit, level) if start else None,
            ocop=_ocop(conn, month, unit, level),
            ocop_prev=_ocop(conn, previous_month(month), unit, level),
            ocop_start=_ocop(conn, start, unit, level) if start else None,
            funding=conn.execute("SELECT * FROM marts.mart_funding WHERE month = %s AND unit_code = %s "
                                 "AND unit_level = %s", (month, unit, level)).fetchone(),
            trend=conn.execute(
                """SELECT month, communes_expected, communes_total, communes_ntm, pct_communes_ntm,
                          avg_criteria_per_commune
                   FROM marts.mart_progress WHERE unit_code = %s AND unit_level = %s
                     AND month BETWEEN make_date(%s, 1, 1) AND %s ORDER BY month""",
                (unit, level, month.year, month)).fetchall(),
            children=_children(conn, month, unit, level),
            criteria=_criteria(conn, month, unit, level),
            at_risk=_at_risk(conn, month, unit, level),
            plan=_plan(conn, month, unit),
            support=_support(conn, month, unit, level),
            expiring=_expiring(conn, month, unit, level),
            coverage=_coverage(conn, month, unit, level),
            has_models="model_villages" in head,
        )
