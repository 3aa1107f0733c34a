"""Derived columns for the rules of the optional sheets `kieu_mau` and `ke_hoach`
(ingest/quality/suites.py): the fractional part of each count, a road length given without a
count, the change of each cumulative count from the previous month, the plan's year against the
period's year."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ingest.contract import PLAN_REGISTRATIONS

if TYPE_CHECKING:
    from ingest.quality.frames import BatchItem

COUNTS = ("model_villages", "model_villages_registered", "model_roads")
CUMULATIVE = ("model_villages", "model_roads")


def _fraction(values: pd.Series) -> pd.Series:
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    return (v - np.floor(v)).round(9)


def kieu_mau(km: pd.DataFrame, items: Sequence[BatchItem]) -> pd.DataFrame:
    for col in (*COUNTS, "model_roads_km"):
        km[col] = pd.to_numeric(km[col], errors="coerce").astype("float64")
    for col in COUNTS:
        km[f"{col}_fraction"] = _fraction(km[col])
    length = km["model_roads_km"]
    km["road_length_without_count"] = ((length.notna() & (length > 0))
                                       & (km["model_roads"].isna() | (km["model_roads"] == 0))).astype(bool)
    previous = [item.previous_models.assign(submission_key=i) for i, item in enumerate(items)
                if item.previous_models is not None and len(item.previous_models)]
    key = ["submission_key", "commune_code"]
    if previous:
        prev = pd.concat(previous, ignore_index=True)[[*key, *CUMULATIVE]].drop_duplicates(key)
        prev = prev.rename(columns={c: f"prev_{c}" for c in CUMULATIVE})
        km = km.merge(prev, on=key, how="left")
    for col in CUMULATIVE:
        prev_col = f"prev_{col}"
        if prev_col not in km.columns:
            km[prev_col] = np.nan
        km[prev_col] = pd.to_numeric(km[prev_col], errors="coerce").astype("float64")
        km[f"{col}_change"] = (km[col] - km[prev_col]).round(3)
    return km.sort_values("_rid", kind="stable").reset_index(drop=True).assign(_rid=lambda f: np.arange(len(f)))


def ke_hoach(kh: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    kh = kh.merge(meta[["submission_key", "period"]], on="submission_key", how="left")
    period_year = pd.to_datetime(kh["period"], errors="coerce").dt.year
    kh["years_after_period"] = (pd.to_numeric(kh["year"], errors="coerce") - period_year).astype("Int64")
    kh["target"] = pd.to_numeric(kh["target"], errors="coerce").astype("float64")
    kh["target_fraction"] = _fraction(kh["target"])
    kh["period"] = kh["period"].map(lambda d: None if pd.isna(d) else f"{d:%m/%Y}").astype(object)
    return kh.sort_values("_rid", kind="stable").reset_index(drop=True).assign(_rid=lambda f: np.arange(len(f)))


def registrations(kh: pd.DataFrame) -> pd.DataFrame:
    """The rows of ke_hoach that name a xã (registrations); targets name the submitting unit."""
    return kh[kh["indicator"].isin(list(PLAN_REGISTRATIONS))]
