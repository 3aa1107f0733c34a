"""The reference schema: `ref.admin_unit` (every unit interval, derived) and
`ref.admin_unit_import` (imported official lists, kept as imported with their file and line).

`ref.admin_unit` is always derived from the package lists plus the imported rows
(ingest.intake.unit_list.derive), so that reloading the package lists (`load_reference_table`,
run by `ntm db migrate`) keeps the imports. `load_admin_units(url)` gives the units a database
knows: the package's plus its imports.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.intake.admin_units import (
    IMPORTED,
    LEGACY,
    LEGACY_VALID_FROM,
    LEVELS,
    LIST_2025,
    SNAPSHOT_DATE,
    AdminUnits,
    Unit,
    apply_starts,
    fold,
    package_units,
)
from ingest.intake.unit_list import MAX_IMPORT_BYTES, ImportedUnit, UnitListError, derive, parse_unit_list

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

_DB_CACHE: dict[tuple[Any, ...], tuple[tuple[Any, ...], AdminUnits]] = {}
_DB_CACHE_SIZE = 8


def load_admin_units(source: str | psycopg.Connection | None = None) -> AdminUnits:
    """The administrative units in force by day.

    Without `source`: the package's two lists, read once per process. With a database URL or an
    open connection: the same plus the units imported into that database (`ntm reference
    import-units`) and the validity starts they set, cached per database and rebuilt when the
    imports change (a cheap query tells). A database without imports gives the package's
    object itself. On a connection the queries run in their own (sub)transaction, leaving the
    connection's transaction state as it was."""
    base = package_units()
    if source is None:
        return base
    if isinstance(source, str):
        import psycopg

        with psycopg.connect(source, autocommit=True) as conn:
            return _with_db_imports(base, conn)
    return _with_db_imports(base, source)


def _clear_cache() -> None:
    package_units.cache_clear()
    _DB_CACHE.clear()


load_admin_units.cache_clear = _clear_cache  # type: ignore[attr-defined]


def _db_key(conn: psycopg.Connection) -> tuple[Any, ...]:
    return (conn.info.host, conn.info.port, conn.info.dbname)


def _with_db_imports(base: AdminUnits, conn: psycopg.Connection) -> AdminUnits:
    with conn.transaction():
        if conn.execute("SELECT to_regclass('ref.admin_unit_import') IS NULL").fetchone()[0]:
            return base
        state = tuple(conn.execute(
            "SELECT count(*), max(imported_at) FROM ref.admin_unit_import").fetchone())
        if state[0] == 0:
            return base
        key = _db_key(conn)
        cached = _DB_CACHE.get(key)
        if cached is not None and cached[0] == state:
            return cached[1]
        rows = conn.execute(
            "SELECT unit_code, unit_name, unit_level, parent_code, province_code, unit_type, valid_from,"
            " valid_to, list_name FROM ref.admin_unit"
            " WHERE list_name = %s OR (list_name = %s AND valid_from <> %s)",
            (IMPORTED, LEGACY, LEGACY_VALID_FROM)).fetchall()
    starts = {(r[0], r[2]): r[6] for r in rows if r[8] == LEGACY}
    imported = [Unit(*r) for r in rows if r[8] == IMPORTED]
    admin = base.with_units(apply_starts(base.all_units(), starts) + imported)
    if len(_DB_CACHE) >= _DB_CACHE_SIZE:
        _DB_CACHE.clear()
    _DB_CACHE[key] = (state, admin)
    return admin


_COLUMNS = ("unit_code", "unit_name", "unit_level", "unit_type", "parent_code", "province_code",
            "valid_from", "valid_to", "successor_code", "list_name")


def reference_rows(admin: AdminUnits) -> list[tuple]:
    """The rows of `ref.admin_unit`, in `_COLUMNS` order: every interval of `admin`."""
    order = {LEGACY: 0, LIST_2025: 1, IMPORTED: 2}
    units = sorted(admin.all_units(), key=lambda u: order[u.list_name])  # stable: package order within
    return [(u.code, u.name, u.level, u.unit_type, u.parent_code, u.province_code, u.valid_from, u.valid_to,
             admin.successor(u.code) if u.list_name == LEGACY else None, u.list_name) for u in units]


def load_reference_table(url: str) -> int:
    """Rewrite `ref.admin_unit` from the package's lists with the imports of
    `ref.admin_unit_import` applied, with COPY, in one transaction (idempotent: running it again
    gives the same rows; imports are never lost). Returns the number of rows. An imported row
    that no longer fits (e.g. after a package upgrade changed the snapshot) is left out of
    `ref.admin_unit` with a warning in the log; it stays in `ref.admin_unit_import`."""
    import psycopg

    base = package_units()
    with psycopg.connect(url) as conn, conn.transaction():
        conn.execute("LOCK TABLE ref.admin_unit IN EXCLUSIVE MODE")
        imports = _read_imports(conn)
        derived = derive(base, imports)
        for problem in derived.problems:
            log.warning("imported administrative unit left out: %s", problem)
        _write_reference(conn, derived.admin)
    _DB_CACHE.clear()
    return len(derived.admin.all_units())


def _write_reference(conn: psycopg.Connection, admin: AdminUnits) -> None:
    from psycopg import sql

    conn.execute("DELETE FROM ref.admin_unit")
    with conn.cursor().copy(f"COPY ref.admin_unit ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
        for row in reference_rows(admin):
            copy.write_row(row)
    conn.execute(sql.SQL("COMMENT ON TABLE ref.admin_unit IS {}").format(sql.Literal(reference_version())))


# Bump when the way ref.admin_unit is derived changes: `ntm db migrate` then rebuilds it.
_RULES_VERSION = 2


def reference_version() -> str:
    """What `ref.admin_unit` was built from (kept as the table's comment): the package's version
    and the derivation rules' version."""
    from importlib.metadata import version

    return f"built from vietnamadminunits {version('vietnamadminunits')}, rules {_RULES_VERSION}"


def ensure_reference_table(url: str) -> int | None:
    """Load `ref.admin_unit` when it is empty or was built from another package version or
    other rules (imports are re-applied, never lost). Returns the number of rows loaded, or
    None when it was up to date. Run by `ntm db migrate`."""
    import psycopg

    with psycopg.connect(url) as conn:
        filled, built_from = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM ref.admin_unit),"
            " obj_description('ref.admin_unit'::regclass, 'pg_class')").fetchone()
    if filled and built_from == reference_version():
        return None
    return load_reference_table(url)


def _read_imports(conn: psycopg.Connection) -> list[ImportedUnit]:
    if conn.execute("SELECT to_regclass('ref.admin_unit_import') IS NULL").fetchone()[0]:
        return []
    rows = conn.execute(
        "SELECT unit_code, unit_level, unit_name, unit_type, parent_code, valid_from, valid_to, source_file,"
        " source_line FROM ref.admin_unit_import ORDER BY unit_code, unit_level, valid_from").fetchall()
    return [ImportedUnit(*r) for r in rows]


@dataclass
class ImportSummary:
    file: str
    rows: int
    imported: dict[str, int]  # rows of the file per level
    historical: dict[str, int]  # of which units of their own (ended before the snapshot) per level
    starts_set: dict[str, int]  # snapshot units whose validity start this file set, per level
    starts_set_total: int  # snapshot units with a validity start set, all imports together
    imported_total: int  # rows in ref.admin_unit_import after the import
    unchanged: bool  # the file was imported before, identically
    differs_from_snapshot: list[dict[str, Any]]  # continuing rows whose name or type differ
    ignored_columns: list[str]
    replaced: bool
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _per_level(items: Iterable[str]) -> dict[str, int]:
    counts = Counter(items)
    return {level: counts[level] for level in LEVELS if counts[level]}


def import_units(url: str, path: Path, replace_earlier: bool = False,
                 max_bytes: int = MAX_IMPORT_BYTES) -> ImportSummary:
    """Import an official unit list (format: `FILE_FORMAT`) into `ref.admin_unit_import` and
    re-derive `ref.admin_unit`, in one transaction. Raises `UnitListError` (nothing imported)
    when any row is bad or breaks a rule together with the built-in lists and earlier imports.
    `replace_earlier` drops every earlier import first."""
    import psycopg

    started = time.perf_counter()
    parsed = parse_unit_list(path, max_bytes)
    base = package_units()
    with psycopg.connect(url) as conn, conn.transaction():
        conn.execute("LOCK TABLE ref.admin_unit IN EXCLUSIVE MODE")
        existing = [] if replace_earlier else _read_imports(conn)
        new_keys = {r.key for r in parsed.rows}
        before = {r.key: r for r in existing}
        combined = [r for r in existing if r.key not in new_keys] + parsed.rows
        derived = derive(base, combined, current=parsed.rows)
        if derived.problems:  # named by the file's own headers
            problems = [replace(p, column=parsed.columns.get(p.column or "", p.column)) for p in derived.problems]
            raise UnitListError(sorted(problems, key=lambda p: (p.line or 0, p.column or "")))
        unchanged = not replace_earlier and all(
            r.key in before and _same(before[r.key], r) for r in parsed.rows)
        if replace_earlier:
            conn.execute("DELETE FROM ref.admin_unit_import")
        if not unchanged:
            _upsert_imports(conn, parsed.rows)
        _write_reference(conn, derived.admin)
        total = conn.execute("SELECT count(*) FROM ref.admin_unit_import").fetchone()[0]
    if not unchanged:
        _DB_CACHE.clear()  # (the next lookup would tell from the imports' state anyway)
    ours = {(r.code, r.level) for r in parsed.rows}
    snapshot = {(u.code, u.level): u for u in base.all_units(LEGACY)}
    differs = [{"line": r.source_line, "code": r.code, "imported": f"{r.name} ({r.unit_type})",
                "built_in": f"{s.name} ({s.unit_type})"}
               for r in derived.continuing if r.key in new_keys
               for s in [snapshot[(r.code, r.level)]]
               if fold(r.name) != fold(s.name) or r.unit_type != s.unit_type]
    return ImportSummary(
        file=str(path), rows=len(parsed.rows), imported=_per_level(r.level for r in parsed.rows),
        historical=_per_level(r.level for r in parsed.rows if r.valid_to is not None and r.valid_to < SNAPSHOT_DATE),
        starts_set=_per_level(level for (code, level) in derived.starts if (code, level) in ours),
        starts_set_total=len(derived.starts), imported_total=total, unchanged=unchanged,
        differs_from_snapshot=sorted(differs, key=lambda d: d["line"]),
        ignored_columns=parsed.ignored_columns, replaced=replace_earlier,
        seconds=round(time.perf_counter() - started, 2))


def _same(a: ImportedUnit, b: ImportedUnit) -> bool:
    return (a.name, a.unit_type, a.parent_code, a.valid_to, a.source_file, a.source_line) == \
        (b.name, b.unit_type, b.parent_code, b.valid_to, b.source_file, b.source_line)


def _upsert_imports(conn: psycopg.Connection, rows: list[ImportedUnit]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ref.admin_unit_import (unit_code, unit_level, unit_name, unit_type, parent_code,"
            " valid_from, valid_to, source_file, source_line) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (unit_code, unit_level, valid_from) DO UPDATE SET unit_name = EXCLUDED.unit_name,"
            " unit_type = EXCLUDED.unit_type, parent_code = EXCLUDED.parent_code, valid_to = EXCLUDED.valid_to,"
            " source_file = EXCLUDED.source_file, source_line = EXCLUDED.source_line, imported_at = now()"
            " WHERE (ref.admin_unit_import.unit_name, ref.admin_unit_import.unit_type,"
            " ref.admin_unit_import.parent_code, ref.admin_unit_import.valid_to, ref.admin_unit_import.source_file,"
            " ref.admin_unit_import.source_line) IS DISTINCT FROM (EXCLUDED.unit_name, EXCLUDED.unit_type,"
            " EXCLUDED.parent_code, EXCLUDED.valid_to, EXCLUDED.source_file, EXCLUDED.source_line)",
            [(r.code, r.level, r.name, r.unit_type, r.parent_code, r.valid_from, r.valid_to, r.source_file,
              r.source_line) for r in rows])
