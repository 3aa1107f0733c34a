"""The bounds of plausible keys in thong_tin (ingest/intake/keys.py), at their edges."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.intake.collect import Collector
from ingest.intake.keys import MAX_VERSION, check_keys

WHERE = {"period": 4, "version": 5, "criteria_set": 9}


def _checks(**info) -> tuple[list[str], dict]:
    f = Collector()
    check_keys(info, WHERE, f)
    return [x.check_name for x in f.done()], info


@pytest.mark.parametrize("version", [1, 2, 998, MAX_VERSION])
def test_plausible_versions_pass(version):
    assert _checks(version=version, period=date(2023, 5, 1)) == ([], {"version": version, "period": date(2023, 5, 1)})


@pytest.mark.parametrize("version", [0, -3, MAX_VERSION + 1, 2_147_483_647, 10**18])
def test_implausible_versions_are_errors_and_dropped(version):
    f = Collector()
    info = {"version": version, "period": date(2023, 5, 1)}
    check_keys(info, WHERE, f)
    (finding,) = f.done()
    assert (finding.check_name, finding.severity, finding.sheet, finding.excel_row, finding.column_name,
            finding.value) == ("implausible_version", "error", "thong_tin", 5, "version", str(version))
    assert "version" not in info and finding.message_vi and finding.message_en


@pytest.mark.parametrize(("period", "expected"), [
    (date(1990, 1, 1), ["period_before_programme"]), (date(2009, 12, 1), ["period_before_programme"]),
    (date(2010, 1, 1), []), (date(date.today().year + 1, 1, 1), ["future_period"]),
    (date.today().replace(day=1), [])])
def test_periods_from_the_programme_start_to_this_month(period, expected):
    assert _checks(period=period)[0] == expected


@pytest.mark.parametrize(("period", "named", "expected"), [
    (date(2022, 2, 1), "2021-2025", ["criteria_set_not_in_force"]),
    (date(2021, 6, 1), "2021-2025", ["criteria_set_not_in_force"]),
    (date(2022, 3, 1), "2021-2025", []),
    (date(2015, 12, 1), "2016-2020", ["criteria_set_not_in_force"]),
    (date(2016, 1, 1), "2016-2020", []),
    (date(2012, 6, 1), None, []),                       # no set named: the reader fills the one in force
    (date(1990, 1, 1), "2021-2025", ["period_before_programme"]),  # one finding, the root cause
])
def test_a_criteria_set_must_exist_at_the_period(period, named, expected):
    checks, _ = _checks(period=period, criteria_set=named)
    assert checks == expected
