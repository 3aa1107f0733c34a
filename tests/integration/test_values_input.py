"""Values read silently wrong (issue 14, class 3), in one batch beside a good file, through
`ntm ingest` and through a monthly run (`ntm run --month`): each bad file is rejected with its
cell, each file read under an assumption is accepted with a warning saying what was assumed,
the good file is accepted, nothing aborts, and what reaches raw is what the warnings say."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from ingest.cli.main import main
from tests.fixtures.values import VALUE_CASES


def _outcomes(url: str) -> dict[str, tuple[str, list[tuple]]]:
    """By case (file stem): status and findings (check, severity, sheet, row, column, value)."""
    with psycopg.connect(url) as conn:
        subs = conn.execute("SELECT submission_id, file_name, status FROM audit.submission").fetchall()
        found = conn.execute("SELECT submission_id, check_name, severity, sheet, excel_row, column_name, value, "
                             "message_vi, message_en FROM audit.finding").fetchall()
    out = {}
    for sid, file_name, status in subs:
        out[Path(file_name).stem] = (status, [f[1:] for f in found if f[0] == sid])
    return out


def _assert_cases(url: str, outcomes: dict[str, tuple[str, list[tuple]]]) -> None:
    assert outcomes["good"][0] == "accepted", outcomes["good"]
    for name, (status, check, severity, sheet, row, column) in VALUE_CASES.items():
        got_status, findings = outcomes[name]
        assert got_status == status, (name, [f[:2] for f in findings if f[1] == "error"])
        match = [f for f in findings if f[0] == check and f[1] == severity]
        assert match, (name, [f[:2] for f in findings])
        assert match[0][2] == sheet and match[0][6] and match[0][7]
        assert row is None or match[0][3] == row, (name, match[0])
        assert column is None or match[0][4] == column, (name, match[0])
    with psycopg.connect(url) as conn:
        loaded = {Path(r[0]).stem for r in conn.execute(
            "SELECT DISTINCT s.file_name FROM raw.tieu_chi_xa x JOIN audit.submission s USING (submission_id)")}
        amounts = [r[0] for r in conn.execute(
            "SELECT v.amount_mvnd FROM raw.nguon_von v JOIN audit.submission s USING (submission_id) "
            "WHERE s.file_name LIKE 'english_numbers%%' AND v.excel_row BETWEEN 2 AND 5 ORDER BY v.excel_row")]
        ticks = conn.execute(
            "SELECT bool_and(m.is_met) FROM raw.tieu_chi_xa_mark m JOIN audit.submission s USING (submission_id) "
            "WHERE s.file_name LIKE 'hidden_von_ticks%%' AND m.excel_row = 2 AND m.criterion_code IN "
            "('tc01', 'tc02', 'tc03')").fetchone()[0]
    assert loaded == {n for n, v in VALUE_CASES.items() if v[0] == "accepted"} | {"good"}
    assert [float(a) for a in amounts] == [1234567.0, 1234.5, 2500.0, 12.75]
    assert ticks is True


def test_ntm_ingest_batch_with_a_good_file(url, value_cases, capsys):
    code = main(["ingest", *[str(p) for p in value_cases.values()], "--database-url", url, "--no-docs", "--json"])
    assert code == 1  # some files rejected; none aborted the batch
    printed = json.loads(capsys.readouterr().out)
    assert len(printed) == len(value_cases)
    _assert_cases(url, _outcomes(url))


def test_monthly_run_with_a_good_file(url, value_cases, monkeypatch, capsys):
    monkeypatch.setenv("NTM_INBOX", str(value_cases["good"].parent.parent))
    code = main(["run", "--month", "2023-05", "--database-url", url, "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert summary["dbt_success"], summary
    assert code == 1 and summary["rejected"]
    _assert_cases(url, _outcomes(url))
