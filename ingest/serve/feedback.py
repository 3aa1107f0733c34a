"""Feedback a district can act on (issue 13, item 7): for a rejected or warned submission, the
district's own workbook with every finding's cell highlighted and commented, and a first sheet
"Kết quả kiểm tra" listing the findings (severity, sheet, cell as a link, value, what to do),
in Vietnamese.

- `write_feedback(url, submission_id, output)` writes one workbook (`ntm feedback`).
- `feedback_path(settings, sub)` is where the outbox keeps it: `<outbox>/<district>/<YYYY-MM>/`.
- `write_outbox(url, month)` writes the workbook of every rejected or warned submission (of a
  month) into the outbox and returns {submission_id: path} (the notification attaches or links
  these; the audit site links them).

The district's own cells are left as the district wrote them; every text this module writes
(values, messages, comments) is forced to text, so `=HYPERLINK(...)` from a submission is never a
formula (`safe_text.sheet_value`). CSV submissions (archived as a zip) become one sheet per file.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ingest.config import Settings, load_settings
from ingest.contract.codes import CAPITAL_TYPES, SOURCES, TITLES
from ingest.intake import normalise as nz
from ingest.intake import storage
from ingest.intake.formats import HEADER_SCAN_ROWS, sheet_key
from ingest.intake.headers import COLUMNS, INFO_KEYS, column_key
from ingest.serve.safe_text import is_formula_like, plain, sheet_value

SUMMARY_SHEET = "Kết quả kiểm tra"
SEVERITY_VI = {"error": "Lỗi", "warning": "Cảnh báo"}
STATUS_VI = {"accepted": "Đã chấp nhận", "rejected": "Bị từ chối", "stale": "Bị từ chối (lần gửi cũ)",
             "superseded": "Đã được thay bằng lần gửi sau", "duplicate": "Trùng tệp đã gửi",
             "received": "Đang xử lý"}
FILL = {"error": "FFC7CE", "warning": "FFEB9C"}
AUTHOR = "Hệ thống NTM"
# What to do, by check (else by severity): short, in the district's words.
HINTS: dict[str, str] = {
    "missing_column": "Thêm cột này vào trang theo mẫu (ntm template), rồi gửi lại.",
    "missing_value": "Điền giá trị vào ô này, rồi gửi lại.",
    "bad_code": "Ghi đúng mã GSO (xã 5 chữ số) theo danh mục hành chính.",
    "bad_mark": "Chọn giá trị trong danh sách: Đạt / Chưa đạt.",
    "bad_number": "Ghi một số (không chữ, không công thức lỗi).",
    "bad_date": "Ghi ngày theo dạng ngày/tháng/năm, ví dụ 05/06/2023.",
    "funding_decreased": "Vốn lũy kế không được giảm: kiểm tra lại số liệu; nếu tháng trước ghi sai, ghi chú khi gửi.",
    "title_at_risk": "Kiểm tra lại đánh giá các tiêu chí hoặc danh hiệu của xã.",
    "not_a_workbook": "Gửi tệp Excel (.xlsx) theo mẫu, không đổi đuôi tệp khác thành .xlsx.",
}
HINT_ERROR = "Sửa giá trị ở ô này, rồi gửi lại tệp với Lần gửi tăng thêm 1."
HINT_WARNING = "Kiểm tra lại; nếu số liệu đúng, không cần sửa."
_OUTPUT_KEYS = {sheet: {c.output: k for k, c in cols.items() if c.output} for sheet, cols in COLUMNS.items()}
_LETTERS = re.compile(r"^[A-Z]{1,3}$")
_COMMUNE_CODE = re.compile(r"(?<![0-9])([0-9]{5})(?![0-9])")
_COMMUNE_MENTION = re.compile(r"((?:Xã|xã|Phường|phường|Thị trấn|thị trấn) )?(?<![0-9])([0-9]{5})(?![0-9])")
_TITLE_WORD = re.compile(r"(danh hiệu|Danh hiệu) (none|ntm|advanced|model)\b")
_LOADABLE = ("xlsx",)


class FeedbackError(LookupError):
    """No such submission."""


@dataclass
class Submission:
    submission_id: int
    file_name: str
    file_format: str
    archive_path: str
    bytes: int
    unit_code: str | None
    unit_name: str | None
    month: date | None
    version: int | None
    status: str


def _submission(conn: psycopg.Connection, submission_id: int) -> Submission:
    row = conn.cursor(row_factory=dict_row).execute(
        """SELECT s.submission_id, s.file_name, s.file_format, s.archive_path, s.bytes, s.version, s.status,
                  coalesce(s.submitting_unit_code, s.file_unit_hint) AS unit_code,
                  coalesce(s.period, CASE WHEN s.file_period_hint ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'
                                          THEN to_date(s.file_period_hint || '-01', 'YYYY-MM-DD') END) AS month
           FROM audit.submission AS s WHERE s.submission_id = %s""", (submission_id,)).fetchone()
    if row is None:
        raise FeedbackError(f"no submission {submission_id}")
    name = unit_names(conn, [row["unit_code"]]).get(row["unit_code"]) if row["unit_code"] else None
    return Submission(unit_name=name, **row)


def unit_names(conn: psycopg.Connection, codes: list[str]) -> dict[str, str]:
    """Official names of units (the latest in force of each code)."""
    rows = conn.execute(
        """SELECT DISTINCT ON (unit_code) unit_code, unit_name FROM ref.admin_unit WHERE unit_code = ANY(%s)
           ORDER BY unit_code, valid_to DESC NULLS FIRST""", ([c for c in codes if c],)).fetchall()
    return dict(rows)


def submission_findings(conn: psycopg.Connection, submission_id: int) -> list[dict[str, Any]]:
    """A submission's findings, errors first, then by sheet and row."""
    return conn.cursor(row_factory=dict_row).execute(
        """SELECT finding_id, severity, check_name, sheet, excel_row, column_name, value, message_vi
           FROM audit.finding WHERE submission_id = %s
           ORDER BY (severity = 'error') DESC, sheet NULLS FIRST, excel_row NULLS FIRST, finding_id""",
        (submission_id,)).fetchall()


def vietnamese_message(message: str, communes: dict[str, str]) -> str:
    """A finding's Vietnamese message naming communes by name and code and titles by their words
    (`Xã 09163` → `Xã Tân Lập (09163)`, `danh hiệu advanced` → `danh hiệu NTM nâng cao`)."""
    def commune(m: re.Match) -> str:
        word, code = m.group(1), m.group(2)
        if code not in communes:
            return m.group(0)
        name = communes[code]
        if word and name.lower().startswith(word.strip().lower() + " "):
            return f"{name} ({code})"   # "Xã 09196" → "Xã Dũng Liệt (09196)", not "Xã Xã …"
        return f"{word or ''}{name} ({code})"

    text = _COMMUNE_MENTION.sub(commune, message)
    text = _TITLE_WORD.sub(lambda m: f"{m.group(1)} {TITLES.get(m.group(2), 'chưa đạt chuẩn')}", text)
    for code, name in {**SOURCES, **CAPITAL_TYPES}.items():
        text = re.sub(rf"(?<![\w/]){re.escape(code)}(?![\w/])", f"{name}", text) if len(code) > 3 else text
    return text


def hint(finding: dict[str, Any]) -> str:
    return HINTS.get(finding["check_name"]) or (HINT_ERROR if finding["severity"] == "error" else HINT_WARNING)


def feedback_path(settings: Settings, sub: Submission) -> Path:
    """Where the outbox keeps a submission's feedback: `<outbox>/<district>/<YYYY-MM>/phan_hoi_<id>_<file>.xlsx`."""
    unit = re.sub(r"[^0-9A-Za-z]", "", sub.unit_code or "") or "khong_ro_don_vi"
    month = f"{sub.month:%Y-%m}" if sub.month else "khong_ro_ky"
    stem = re.sub(r"[^0-9A-Za-z_.-]+", "_", Path(sub.file_name).stem)[:60] or "tep"
    return settings.outbox_dir / unit / month / f"phan_hoi_{sub.submission_id}_{stem}.xlsx"


# ------------------------------------------------------------------------------------------------
# writing cells


def put(cell: Any, value: Any) -> Any:
    """Write a value this module chose (a finding's value, a message) as data, never a formula."""
    value = sheet_value(value)
    cell.value = value
    if isinstance(value, str) and (is_formula_like(value) or cell.data_type == "f"):
        cell.data_type = "s"
    return cell


def _open_original(sub: Submission, settings: Settings) -> Any:
    """The district's own workbook (an xlsx as sent; CSV files as one sheet each), or None. An
    archive in object storage is fetched to a temporary file first."""
    if not sub.archive_path or sub.bytes > settings.max_file_bytes:
        return None
    try:
        with storage.fetched([sub.archive_path]) as [path]:
            return _open_local(path, sub, settings)
    except OSError:  # the object is gone or the storage unreachable: the summary alone still helps
        return None


def _open_local(path: Path, sub: Submission, settings: Settings) -> Any:
    import openpyxl

    if not path.is_file() or path.is_symlink() or sub.bytes > settings.max_file_bytes:
        return None
    try:
        if sub.file_format in _LOADABLE:
            return openpyxl.load_workbook(path)
        if zipfile.is_zipfile(path):
            return _csv_workbook(path, settings)
    except Exception:  # noqa: BLE001 - a file we could not read: the summary alone still helps
        return None
    return None


def _csv_workbook(path: Path, settings: Settings) -> Any:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    with zipfile.ZipFile(path) as z:
        members = [i for i in z.infolist() if i.filename.lower().endswith(".csv") and not i.is_dir()]
        if sum(i.file_size for i in members) > settings.max_file_bytes:
            return None
        for info in members[: settings.max_zip_entries]:
            text = z.read(info).decode("utf-8-sig", errors="replace")
            ws = wb.create_sheet(Path(info.filename).stem[:31] or "csv")
            reader, line = csv.reader(io.StringIO(text, newline="")), 0
            try:
                for row in reader:   # each record on the row of its first line, as the reader numbers it
                    for c, value in enumerate(row, start=1):
                        put(ws.cell(line + 1, c), value)
                    line = reader.line_num
            except csv.Error:
                continue
    return wb


def _sheet_of(wb: Any, sheet: str | None) -> Any:
    if not sheet:
        return None
    for ws in wb.worksheets:
        if sheet_key(ws.title) == sheet or ws.title == sheet:
            return ws
    return None


def _header_columns(ws: Any, sheet: str) -> dict[str, int]:
    """Machine key → column number, from the sheet's header row (the row naming most columns)."""
    if sheet not in COLUMNS:
        return {}
    best: dict[str, int] = {}
    for row in ws.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS):
        found = {}
        for cell in row:
            if cell.value is not None and (k := column_key(sheet, cell.value)) and k not in found:
                found[k] = cell.column
        if len(found) > len(best):
            best = found
    return best


def _info_value_column(ws: Any, row: int) -> int | None:
    """thong_tin: the value cell of the item on `row` (the first filled cell after its key)."""
    cells = list(ws.iter_rows(min_row=row, max_row=row))[0] if row <= ws.max_row else []
    for i, cell in enumerate(cells):
        if isinstance(cell.value, str) and INFO_KEYS.get(_key(cell.value)):
            rest = [c for c in cells[i + 1:] if c.value is not None]
            return rest[0].column if rest else cell.column + 1
    return None


def _key(text: str) -> str:
    try:
        return nz.key(text)
    except nz.NormaliseError:
        return ""


def locate(wb: Any, finding: dict[str, Any], headers: dict[str, dict[str, int]]) -> tuple[Any, int, int] | None:
    """(worksheet, row, column) of a finding's cell in the district's workbook; the row's first
    cell when the column is not found, the sheet's A1 when only the sheet is known."""
    from openpyxl.utils import column_index_from_string

    ws = _sheet_of(wb, finding["sheet"])
    if ws is None:
        return None
    sheet, row, col_name = sheet_key(ws.title), finding["excel_row"], finding["column_name"]
    column = None
    if col_name and _LETTERS.match(col_name):
        column = column_index_from_string(col_name)
    elif sheet == "thong_tin" and row:
        column = _info_value_column(ws, row)
    elif col_name:
        cols = headers.setdefault(ws.title, _header_columns(ws, sheet))
        key = _OUTPUT_KEYS.get(sheet, {}).get(col_name, col_name)
        column = cols.get(key)
    if column is None and row and finding["value"] is not None:   # e.g. an unknown column's header
        column = next((c.column for c in next(ws.iter_rows(min_row=row, max_row=row), ())
                       if c.value is not None and sheet_value(str(c.value)) == sheet_value(finding["value"])), None)
    return ws, row or 1, column or 1


def _commune_codes(wb: Any, findings: list[dict[str, Any]], headers: dict[str, dict[str, int]]) -> dict[int, str]:
    """finding_id → the commune code written on the finding's row (for naming the commune)."""
    out: dict[int, str] = {}
    for f in findings:
        ws = _sheet_of(wb, f["sheet"]) if wb is not None else None
        if ws is None or not f["excel_row"]:
            continue
        cols = headers.setdefault(ws.title, _header_columns(ws, sheet_key(ws.title)))
        if "commune_code" in cols:
            value = ws.cell(f["excel_row"], cols["commune_code"]).value
            if value is not None and re.fullmatch(r"0*[0-9]{1,5}", str(value).strip()):
                out[f["finding_id"]] = str(value).strip().zfill(5)
    return out


# ------------------------------------------------------------------------------------------------
# the workbook


def build_workbook(conn: psycopg.Connection, submission_id: int, settings: Settings | None = None) -> Any:
    """The feedback workbook (openpyxl) of one submission."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.hyperlink import Hyperlink

    settings = settings or load_settings()
    sub = _submission(conn, submission_id)
    findings = submission_findings(conn, submission_id)
    wb = _open_original(sub, settings)
    original = wb is not None
    if wb is None:
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
    headers: dict[str, dict[str, int]] = {}
    row_communes = _commune_codes(wb, findings, headers) if original else {}
    communes = unit_names(conn, sorted({*row_communes.values(),
                                        *(c for f in findings for c in _COMMUNE_CODE.findall(f["message_vi"] or ""))}))

    summary = wb.create_sheet(SUMMARY_SHEET, 0)
    wb.active = 0
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws is summary
    unit = f"{sub.unit_name} ({sub.unit_code})" if sub.unit_name else (sub.unit_code or "không rõ")
    errors = sum(f["severity"] == "error" for f in findings)
    info = [("Kết quả kiểm tra báo cáo NTM", None), ("Đơn vị báo cáo", unit),
            ("Kỳ báo cáo", f"{sub.month:%m/%Y}" if sub.month else "không rõ"),
            ("Tệp", sub.file_name), ("Lần gửi", sub.version),
            ("Kết quả", STATUS_VI.get(sub.status, sub.status)),
            ("Số lỗi / cảnh báo", f"{errors} lỗi, {len(findings) - errors} cảnh báo")]
    for r, (label, value) in enumerate(info, start=1):
        put(summary.cell(r, 1), label).font = Font(bold=True, size=14 if r == 1 else 11)
        if value is not None:
            put(summary.cell(r, 2), value)
    if not original and sub.file_format != "unknown":
        put(summary.cell(len(info) + 1, 1), "Không mở được tệp gốc: chỉ có danh sách kết quả dưới đây.")
    first = len(info) + 3
    titles = ["STT", "Mức độ", "Trang", "Ô", "Giá trị", "Nội dung", "Cách khắc phục"]
    for c, title in enumerate(titles, start=1):
        put(summary.cell(first, c), title).font = Font(bold=True)
    fills = {k: PatternFill("solid", fgColor=v) for k, v in FILL.items()}
    for n, f in enumerate(findings, start=1):
        r = first + n
        message = vietnamese_message(plain(f["message_vi"], keep_newlines=True), communes)
        if (code := row_communes.get(f["finding_id"])) and code in communes and code not in message:
            message += f" ({communes[code]}, mã {code})"
        where = locate(wb, f, headers) if original else None
        put(summary.cell(r, 1), n)
        put(summary.cell(r, 2), SEVERITY_VI.get(f["severity"], f["severity"])).fill = fills[f["severity"]]
        put(summary.cell(r, 3), f["sheet"] or "")
        if where:
            ws, row, col = where
            target = ws.cell(row, col)
            link = summary.cell(r, 4)
            link.value = target.coordinate
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{ws.title.replace(chr(39), chr(39) * 2)}'!"
                                                                     f"{target.coordinate}")
            link.font = Font(color="0563C1", underline="single")
            target.fill = fills[f["severity"]]
            note = f"{SEVERITY_VI[f['severity']]}: {message}\n→ {hint(f)}"
            if target.comment is not None and target.comment.author == AUTHOR:
                note = f"{target.comment.text}\n\n{note}"
            target.comment = Comment(sheet_value(note)[:30000], AUTHOR, width=360, height=160)
        else:
            put(summary.cell(r, 4), "")
        put(summary.cell(r, 5), f["value"] if f["value"] is not None else "")
        put(summary.cell(r, 6), message)
        put(summary.cell(r, 7), hint(f))
    if not findings:
        put(summary.cell(first + 1, 1), "Không có lỗi hay cảnh báo nào.")
    for col, width in zip("ABCDEFG", (6, 10, 16, 8, 24, 70, 50), strict=True):
        summary.column_dimensions[col].width = width
    summary.column_dimensions["B"].width = max(summary.column_dimensions["B"].width, 22)
    return wb


def write_feedback(url: str, submission_id: int, output: Path | None = None,
                   settings: Settings | None = None) -> Path:
    """Write one submission's feedback workbook (to `output`, else to its place in the outbox)."""
    settings = settings or load_settings()
    with psycopg.connect(url) as conn:
        wb = build_workbook(conn, submission_id, settings)
        target = Path(output) if output else feedback_path(settings, _submission(conn, submission_id))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    wb.save(tmp)
    tmp.replace(target)
    return target


def needing_feedback(conn: psycopg.Connection, month: date | None = None) -> list[int]:
    """Submissions rejected, or with warnings (of `month`, counting the file name's month)."""
    return [r[0] for r in conn.execute(
        """SELECT s.submission_id FROM audit.submission AS s
           WHERE (s.status IN ('rejected', 'stale')
                  OR EXISTS (SELECT 1 FROM audit.finding AS f WHERE f.submission_id = s.submission_id))
             AND (%(m)s::date IS NULL OR s.period = %(m)s::date
                  OR (s.period IS NULL AND s.file_period_hint = to_char(%(m)s::date, 'YYYY-MM')))
           ORDER BY s.submission_id""", {"m": month}).fetchall()]


def write_outbox(url: str, month: date | None = None, settings: Settings | None = None) -> dict[int, Path]:
    """The feedback workbook of every rejected or warned submission (of `month`), in the outbox."""
    settings = settings or load_settings()
    with psycopg.connect(url) as conn:
        ids = needing_feedback(conn, month)
    return {i: write_feedback(url, i, settings=settings) for i in ids}


def outbox_path(url: str, submission_id: int, settings: Settings | None = None) -> Path:
    """Where the outbox keeps (or will keep) a submission's feedback workbook."""
    with psycopg.connect(url) as conn:
        return feedback_path(settings or load_settings(), _submission(conn, submission_id))
