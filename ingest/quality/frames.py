"""Preparing the normalised frames for validation (set-based pandas).

`prepare()` concatenates the frames of one or many submissions sheet by sheet, tags every row
with `submission_key` (the submission's position in the batch) and a positional `_rid`, and adds
derived columns: criteria counted from the marks, the sum of sources under a `tong` row, the
previous month's figure, months between dates ... Cross-row rules thus become plain column
expectations that GX evaluates and renders. The `cross_sheet` frame holds one row per required
column of each sheet, per commune of tieu_chi_xa and per commune code named on another sheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from ingest.quality import plan_frames
from ingest.quality.suites import CROSS, SHEETS

VALIDITY_MONTHS = 36

# Required columns and the Python types their non-null values must have.
# Required columns and the Python types their non-null values must have.
_STR, _DATE, _INT, _FLOAT, _BOOL = "str", "date", "int", "float", "bool"
REQUIRED: dict[str, dict[str, str]] = {
    "thong_tin": {"province_code": _STR, "submitting_unit_code": _STR, "period": _DATE, "version": _INT,
                  "criteria_set": _STR},
    "tieu_chi_xa": {"excel_row": _INT, "commune_code": _STR, "criteria_met_reported": _INT, "ntm_title": _STR},
    "tieu_chi_xa_mark": {"excel_row": _INT, "commune_code": _STR, "criterion_code": _STR, "is_met": _BOOL},
    "tieu_chi_huyen": {"excel_row": _INT, "criterion_no": _INT, "is_met": _BOOL},
    "nguon_von": {"excel_row": _INT, "unit_code": _STR, "source_code": _STR, "capital_type": _STR,
                  "amount_mvnd": _FLOAT, "is_estimate": _BOOL},
    "ocop": {"excel_row": _INT, "product_name": _STR, "commune_code": _STR, "product_group": _STR,
             "stars": _INT, "status": _STR, "decision_date": _DATE, "valid_until": _DATE, "catalogue": _STR},
    "ho_tro": {"excel_row": _INT, "commune_code": _STR, "supporting_agency": _STR, "value_mvnd": _FLOAT},
    "kieu_mau": {"excel_row": _INT, "commune_code": _STR, "model_villages": _FLOAT,
                 "model_villages_registered": _FLOAT, "model_roads": _FLOAT, "model_roads_km": _FLOAT},
    "ke_hoach": {"excel_row": _INT, "year": _INT, "unit_code": _STR, "indicator": _STR, "target": _FLOAT},
}
OPTIONAL_SHEETS = {"tieu_chi_huyen", "ocop", "ho_tro", "kieu_mau", "ke_hoach"}
# Optional columns the rules read: added empty when a frame lacks them (no finding).
OPTIONAL_COLUMNS = {"tieu_chi_xa": ["hardship"], "tieu_chi_huyen": ["district_title"],
                    "ocop": ["entity_type", "entity_name", "product_code"]}



@dataclass(frozen=True)
class BatchItem:
    """One submission of a batch: a key of the caller's choosing and its inputs."""
    key: Any
    frames: dict[str, pd.DataFrame]
    received_on: date
    previous_funding: pd.DataFrame | None = None
    previous_titles: pd.DataFrame | None = None
    previous_models: pd.DataFrame | None = None  # kieu_mau of the previous month (commune_code, counts)


Prepared = tuple[dict[str, pd.DataFrame], dict[int, set[tuple[str, str]]]]


def _type_ok(series: pd.Series, kind: str) -> np.ndarray:
    """Per value: is it of the column's contract type (nulls pass)?"""
    if kind == _FLOAT and pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return np.ones(len(series), dtype=bool)
    if kind == _INT and pd.api.types.is_integer_dtype(series):
        return np.ones(len(series), dtype=bool)
    if kind == _BOOL and pd.api.types.is_bool_dtype(series):
        return np.ones(len(series), dtype=bool)
    if kind == _INT and pd.api.types.is_float_dtype(series):
        return (series.isna() | (series == series.round())).to_numpy(dtype=bool)
    accept = {
        _STR: lambda v: isinstance(v, str),
        _DATE: lambda v: isinstance(v, date) and not isinstance(v, datetime),
        _INT: lambda v: isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_),
        _FLOAT: lambda v: isinstance(v, float | int | np.integer | np.floating) and not isinstance(v, bool | np.bool_),
        _BOOL: lambda v: isinstance(v, bool | np.bool_),
    }[kind]
    values = series.astype(object).to_numpy()
    isna = pd.isna(values)
    return np.fromiter((n or accept(v) for v, n in zip(values, isna, strict=True)), dtype=bool, count=len(values))


def _months(d: pd.Series) -> pd.Series:
    d = pd.to_datetime(d, errors="coerce")
    return d.dt.year * 12 + d.dt.month


def _add_months(d: pd.Series, months: int) -> pd.Series:
    return pd.to_datetime(d, errors="coerce") + pd.DateOffset(months=months)


def _with_rid(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    frame["_rid"] = np.arange(len(frame), dtype="int64")
    return frame


def _stack(items: Sequence[BatchItem], sheet: str) -> tuple[pd.DataFrame, list[set[str]]]:
    """One sheet of every submission, concatenated and tagged with `submission_key` (the item's
    position); every required column exists (empty where a submission lacks it). Also returns,
    per submission, the required columns its frame lacks."""
    frames = [item.frames.get(sheet) for item in items]
    lengths = [0 if f is None else len(f) for f in frames]
    missing = []
    for f in frames:
        if f is None:
            missing.append(set() if sheet in OPTIONAL_SHEETS else set(REQUIRED[sheet]))
        elif f.empty and sheet in OPTIONAL_SHEETS:
            missing.append(set())
        else:
            missing.append(set(REQUIRED[sheet]) - set(f.columns))
    present = [f for f in frames if f is not None and len(f)]
    out = pd.concat(present, ignore_index=True, sort=False) if present else pd.DataFrame()
    out["submission_key"] = np.repeat(np.arange(len(items)), lengths)
    for col in [*REQUIRED[sheet], *OPTIONAL_COLUMNS.get(sheet, [])]:
        if col not in out.columns:
            out[col] = pd.Series([None] * len(out), dtype=object)
    out["sheet"] = sheet
    return out, missing



def prepare(items: Sequence[BatchItem]) -> Prepared:
    """The frame each suite validates (all submissions of the batch concatenated, with derived
    columns), and per submission the (sheet, column) pairs missing from its frames."""
    frames, column_rows, missing = _stack_sheets(items)
    meta, prev_funding, prev_titles = _batch_meta(items)
    frames["kieu_mau"] = plan_frames.kieu_mau(frames["kieu_mau"], items)
    frames["ke_hoach"] = plan_frames.ke_hoach(frames["ke_hoach"], meta)
    frames["thong_tin"] = _thong_tin(frames, meta)
    frames["nguon_von"] = _nguon_von(frames["nguon_von"], prev_funding)
    frames["ocop"] = _ocop(frames["ocop"], meta)
    frames["thong_tin"], frames["nguon_von"], frames["ocop"] = (
        _with_rid(frames[s].sort_values("_rid", kind="stable")) for s in ("thong_tin", "nguon_von", "ocop"))
    frames[CROSS] = _cross(frames, column_rows, meta, prev_titles)
    return frames, missing


def _stack_sheets(items: Sequence[BatchItem]) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict[int, set]]:
    """Every sheet stacked; one schema row per (submission, sheet, required column) saying whether
    the column is present and typed; per submission the (sheet, column) pairs it lacks."""
    n = len(items)
    frames: dict[str, pd.DataFrame] = {}
    missing: dict[int, set[tuple[str, str]]] = {i: set() for i in range(n)}
    column_parts = []
    for sheet in SHEETS:
        stacked, absent = _stack(items, sheet)
        frames[sheet] = _with_rid(stacked)
        keys = stacked["submission_key"].to_numpy()
        for col, kind in REQUIRED[sheet].items():
            ok = pd.Series(_type_ok(stacked[col], kind)).groupby(keys).all() if len(stacked) else pd.Series(dtype=bool)
            typed = ok.reindex(range(n), fill_value=True).to_numpy(dtype=bool)
            here = np.array([col not in a for a in absent], dtype=bool)
            column_parts.append(pd.DataFrame({
                "submission_key": np.arange(n), "kind": "column", "sheet": sheet, "column_name": col,
                "expected_type": kind, "column_present": here, "column_typed": typed | ~here}))
        for i, a in enumerate(absent):
            missing[i].update((sheet, c) for c in a)
    return frames, pd.concat(column_parts, ignore_index=True), missing


def _batch_meta(items: Sequence[BatchItem]) -> tuple[pd.DataFrame, list[pd.DataFrame], list[pd.DataFrame]]:
    """Per submission: received date, period, its end and the submitting unit; the previous
    month's funding and titles tagged with `submission_key`."""
    meta_rows = []
    prev_funding, prev_titles = [], []
    for i, item in enumerate(items):
        tt = item.frames.get("thong_tin")
        first = tt.iloc[0].to_dict() if tt is not None and len(tt) else {}
        meta_rows.append({"submission_key": i, "received_on": item.received_on, "period": first.get("period"),
                          "submitting_unit_code": first.get("submitting_unit_code")})
        if item.previous_funding is not None and len(item.previous_funding):
            prev_funding.append(item.previous_funding.assign(submission_key=i))
        if item.previous_titles is not None and len(item.previous_titles):
            prev_titles.append(item.previous_titles.assign(submission_key=i))
    meta = pd.DataFrame(meta_rows)
    meta["period_end"] = (_add_months(meta["period"], 1) - pd.Timedelta(days=1)).dt.date
    return meta, prev_funding, prev_titles


def _thong_tin(frames: dict[str, pd.DataFrame], meta: pd.DataFrame) -> pd.DataFrame:
    """Months after the received month; December district submissions need tieu_chi_huyen."""
    tt = frames["thong_tin"].merge(meta[["submission_key", "received_on"]], on="submission_key", how="left")
    tt["months_after_received"] = (_months(tt["period"]) - _months(tt["received_on"])).astype("Int64")
    huyen_rows = frames["tieu_chi_huyen"].groupby("submission_key").size()
    tt["district_criteria_rows"] = tt["submission_key"].map(huyen_rows).fillna(0).astype("int64")
    unit = tt["submitting_unit_code"].astype("string")
    tt["december_district"] = ((pd.to_datetime(tt["period"], errors="coerce").dt.month == 12)
                               & unit.str.fullmatch(r"\d{3}").fillna(False).astype(bool))
    if "excel_row" not in tt.columns:
        tt["excel_row"] = pd.array([None] * len(tt), dtype="Int64")
    return tt


def _nguon_von(nv: pd.DataFrame, prev_funding: list[pd.DataFrame]) -> pd.DataFrame:
    """The sum of sources under each `tong` row; the change from the previous month."""
    nv["amount_mvnd"] = pd.to_numeric(nv["amount_mvnd"], errors="coerce").astype("float64")
    is_total = nv["source_code"] == "tong"
    sources = nv[~is_total]
    by_unit = sources.groupby(["submission_key", "unit_code"])["amount_mvnd"].sum()
    by_type = sources.groupby(["submission_key", "unit_code", "capital_type"])["amount_mvnd"].sum()
    keys_unit = pd.MultiIndex.from_frame(nv[["submission_key", "unit_code"]])
    keys_type = pd.MultiIndex.from_frame(nv[["submission_key", "unit_code", "capital_type"]])
    sums = np.where(nv["capital_type"] == "all", by_unit.reindex(keys_unit).to_numpy(),
                    by_type.reindex(keys_type).to_numpy())
    nv["sources_sum"] = np.where(is_total, np.nan_to_num(sums.astype("float64")), np.nan).round(3)
    nv["total_difference"] = (nv["amount_mvnd"] - nv["sources_sum"]).round(3)
    fkey = ["submission_key", "unit_code", "source_code", "capital_type"]
    if prev_funding:
        prev = pd.concat(prev_funding, ignore_index=True)[[*fkey, "amount_mvnd"]]
        prev = prev.rename(columns={"amount_mvnd": "prev_amount_mvnd"}).drop_duplicates(fkey)
        nv = nv.merge(prev, on=fkey, how="left")
    else:
        nv["prev_amount_mvnd"] = np.nan
    nv["prev_amount_mvnd"] = nv["prev_amount_mvnd"].astype("float64")
    nv["change_from_previous_mvnd"] = (nv["amount_mvnd"] - nv["prev_amount_mvnd"]).round(3)
    return nv


def _ocop(oc: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """A stable product key; validity and expiry against the period end."""
    oc = oc.merge(meta[["submission_key", "period_end"]], on="submission_key", how="left")
    name = oc["product_name"].astype("string").str.casefold().str.split().str.join(" ")
    entity = oc["entity_name"].astype("string").str.casefold().str.split().str.join(" ") \
        if "entity_name" in oc.columns else ""
    derived = oc["commune_code"].astype("string") + "|" + name + "|" + (entity if isinstance(entity, str)
                                                                       else entity.fillna(""))
    oc["product_key"] = oc.get("product_code", pd.Series(index=oc.index, dtype=object)).astype("string") \
        .fillna(derived).astype(object)
    oc["stars"] = pd.to_numeric(oc["stars"], errors="coerce").astype("Int64")
    anniversary = _add_months(oc["decision_date"], VALIDITY_MONTHS)
    oc["validity_offset_days"] = (pd.to_datetime(oc["valid_until"], errors="coerce") - anniversary).dt.days.astype("Int64")
    after_end = (pd.to_datetime(oc["valid_until"], errors="coerce")
                 - pd.to_datetime(oc["period_end"], errors="coerce")).dt.days.astype("Int64")
    oc["expired_days_after_period_end"] = after_end.where(oc["status"] == "expired")
    return oc


def _cross(frames: dict[str, pd.DataFrame], column_rows: pd.DataFrame, meta: pd.DataFrame,
           prev_titles: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of three kinds: `column` (schema of each sheet), `commune` (tieu_chi_xa with what the
    marks say) and `reference` (a commune code on another sheet)."""
    parts = [column_rows, _communes(frames, prev_titles), *_references(frames, meta)]
    out = _with_rid(pd.concat([p for p in parts if len(p)], ignore_index=True, sort=False))
    for c in ("column_present", "column_typed", "listed"):
        if c not in out.columns:
            out[c] = None
        out[c] = out[c].astype(object)
    out["excel_row"] = pd.to_numeric(out["excel_row"], errors="coerce").astype("Int64")
    return out


def _communes(frames: dict[str, pd.DataFrame], prev_titles: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per commune of tieu_chi_xa: marks counted, criteria met, previous title, criteria set."""
    xa, marks = frames["tieu_chi_xa"], frames["tieu_chi_xa_mark"]
    met = marks.assign(is_met=marks["is_met"].fillna(False).astype(bool)) \
        .groupby(["submission_key", "commune_code"]).agg(marks_count=("criterion_code", "nunique"),
                                                         criteria_met_counted=("is_met", "sum"))
    communes = xa[["submission_key", "excel_row", "commune_code", "criteria_met_reported", "ntm_title"]] \
        .merge(met.reset_index(), on=["submission_key", "commune_code"], how="left")
    communes["marks_count"] = communes["marks_count"].fillna(0).astype("int64")
    communes["criteria_met_counted"] = communes["criteria_met_counted"].fillna(0).astype("int64")
    communes["criteria_met_reported"] = pd.to_numeric(communes["criteria_met_reported"], errors="coerce").astype("Int64")
    if prev_titles:
        prev = pd.concat(prev_titles, ignore_index=True)[["submission_key", "commune_code", "ntm_title"]]
        prev = prev.rename(columns={"ntm_title": "previous_title"}).drop_duplicates(["submission_key", "commune_code"])
        communes = communes.merge(prev, on=["submission_key", "commune_code"], how="left")
    else:
        communes["previous_title"] = None
    sets = frames["thong_tin"][["submission_key", "criteria_set"]].drop_duplicates("submission_key")
    communes = communes.merge(sets, on="submission_key", how="left")
    return communes.assign(kind="commune", sheet="tieu_chi_xa", column_name="ntm_title")


def _references(frames: dict[str, pd.DataFrame], meta: pd.DataFrame) -> list[pd.DataFrame]:
    """Per sheet, the commune codes it names and whether tieu_chi_xa lists them (nguon_von may
    also name the submitting unit; its `tong` rows are not references)."""
    listed = frames["tieu_chi_xa"][["submission_key", "commune_code"]].dropna().drop_duplicates().assign(listed=True)
    own = meta[["submission_key", "submitting_unit_code"]].rename(columns={"submitting_unit_code": "code"})
    refs = []
    for sheet, col in (("tieu_chi_xa_mark", "commune_code"), ("ocop", "commune_code"), ("ho_tro", "commune_code"),
                       ("nguon_von", "unit_code"), ("kieu_mau", "commune_code"), ("ke_hoach", "unit_code")):
        f = frames[sheet]
        if f.empty:
            continue
        f = f[f["source_code"] != "tong"] if sheet == "nguon_von" else f
        f = plan_frames.registrations(f) if sheet == "ke_hoach" else f  # targets name the unit itself
        ref = f[["submission_key", "excel_row", col]].rename(columns={col: "reference"})
        ref = ref.merge(listed.rename(columns={"commune_code": "reference"}), on=["submission_key", "reference"],
                        how="left")
        ok = ref["listed"].fillna(False).astype(bool) | ref["reference"].isna()
        if sheet == "nguon_von":
            mine = ref.merge(own, on="submission_key", how="left")["code"]
            ok |= (ref["reference"].to_numpy() == mine.to_numpy())
        refs.append(ref.assign(listed=ok.to_numpy(), sheet=sheet, column_name=col, kind="reference"))
    return refs
