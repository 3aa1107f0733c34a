"""Plausible keys in thong_tin: the version and the period a submission declares (domain.md).

- A version is a whole number from 1 to MAX_VERSION (999): a unit sends a handful of corrections
  a month, never thousands. An implausible version is an error (`implausible_version`) and is not
  kept as the submission's version, so that it never blocks the correction that follows (the
  loader counts the versions already received; a version 2147483647 would leave none).
- A period is not before the programme's start (January 2010, domain.md "The programme"):
  `period_before_programme`. A period after the current month is `future_period` here, before
  the administrative checks (a unit list for a future day would only give `unknown_unit`); the GX
  rule of the same name (ingest/quality/suites.py) compares with the month the file was received.
- A criteria set named for a period before that set existed is an error
  (`criteria_set_not_in_force`): the 2021-2025 set from March 2022 (Decision 318/QĐ-TTg), the
  2016-2020 set from January 2016. Naming an outdated set is the reader's warning
  `outdated_criteria_set`.

The loader adds the rule that needs the database: a version at most MAX_VERSION_GAP above the
highest already received for the unit and period (ingest/pipeline/submissions.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ingest.intake import rules
from ingest.intake.collect import Collector

MIN_VERSION, MAX_VERSION = 1, 999
PROGRAMME_START = date(2010, 1, 1)  # NTM has run since 2010 (domain.md)
CRITERIA_SET_FROM = {rules.CRITERIA_SET_2021: rules.CRITERIA_SET_2021_FROM,
                     rules.CRITERIA_SET_2016: date(2016, 1, 1)}


def check_keys(info: dict[str, Any], where: dict[str, int], f: Collector) -> None:
    """Add the findings of implausible keys; drop an implausible version from `info`. Runs before
    the reader fills an empty criteria set with the one in force."""
    _check_version(info, where, f)
    period = info.get("period")
    if period is None:
        return
    if period < PROGRAMME_START:
        f.add("error", "period_before_programme",
              f"Kỳ báo cáo {period:%m/%Y} trước khi Chương trình NTM bắt đầu ({PROGRAMME_START:%m/%Y}); "
              "hãy kiểm tra lại ô Kỳ báo cáo",
              f"the period {period:%Y-%m} is before the NTM programme began ({PROGRAMME_START:%Y-%m}); "
              "check the period cell", "thong_tin", where.get("period"), "period", f"{period:%Y-%m}")
    this_month = date.today().replace(day=1)
    if period > this_month:
        f.add("error", "future_period",
              f"Kỳ báo cáo {period:%m/%Y} ở tương lai (tháng hiện tại là {this_month:%m/%Y})",
              f"the period {period:%Y-%m} is in the future (the current month is {this_month:%Y-%m})",
              "thong_tin", where.get("period"), "period", f"{period:%Y-%m}")
    named = info.get("criteria_set")
    since = CRITERIA_SET_FROM.get(named)  # None when no set is named (the reader fills it)
    if since and PROGRAMME_START <= period < since:
        in_force = rules.criteria_set_in_force(period)
        f.add("error", "criteria_set_not_in_force",
              f"Bộ tiêu chí {named} chỉ áp dụng từ kỳ {since:%m/%Y}; kỳ {period:%m/%Y} đánh giá theo bộ "
              f"{in_force}: hãy sửa Kỳ báo cáo hoặc Bộ tiêu chí",
              f"the {named} criteria set applies from {since:%Y-%m}; the period {period:%Y-%m} is assessed "
              f"against the {in_force} set: correct the period or the criteria set",
              "thong_tin", where.get("criteria_set"), "criteria_set", named)


def _check_version(info: dict[str, Any], where: dict[str, int], f: Collector) -> None:
    version = info.get("version")
    if version is None or MIN_VERSION <= version <= MAX_VERSION:
        return
    del info["version"]
    f.add("error", "implausible_version",
          f"Lần gửi {version} không hợp lệ: phải là số nguyên từ {MIN_VERSION} đến {MAX_VERSION} "
          "(1 cho lần gửi đầu tiên của kỳ, 2, 3... cho các lần sửa)",
          f"version {version} is not plausible: it must be a whole number from {MIN_VERSION} to "
          f"{MAX_VERSION} (1 for the first submission of the period, 2, 3 ... for corrections)",
          "thong_tin", where.get("version"), "version", str(version))
