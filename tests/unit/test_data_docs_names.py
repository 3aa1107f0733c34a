"""Data Docs page names: GX reads a page's run name as a date when it can; ours must never crash it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dateutil.parser import ParserError, parse

from ingest.quality.data_docs import page_run_name

WHEN = datetime(2026, 12, 1, 6, 13, 21, tzinfo=UTC)


def _as_gx_reads_it(run_name: str) -> bool:
    """What GX's page title does with a run name: parse it, compare it with the run time."""
    try:
        as_time = parse(run_name)
    except ParserError:
        return False
    return as_time != parse(WHEN.isoformat())


@pytest.mark.parametrize("suffix", ["6777a21a", "4180a02a"])
def test_a_hex_suffix_is_never_taken_for_a_time_zone_offset(suffix: str) -> None:
    # `20261201T061321-6777a21a` parses with a -67:77 offset, and comparing it raised ValueError
    with pytest.raises(ValueError):
        _as_gx_reads_it(f"{WHEN:%Y%m%dT%H%M%S}-{suffix}")
    name = page_run_name(WHEN, suffix)
    assert name.endswith(suffix)
    _as_gx_reads_it(name)


def test_run_names_are_unique() -> None:
    assert len({page_run_name() for _ in range(1000)}) == 1000
