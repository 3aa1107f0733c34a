"""Great Expectations rules: each broken on purpose, asserting the finding it must raise."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest

from ingest.findings import Finding
from ingest.quality.context import context_root
from ingest.quality.suites import CROSS, SUITES, build_suites, write_context
from ingest.quality.suites import main as suites_main
from ingest.quality.validate import ValidationRun, validate_batch, validate_submission
from ingest.store.runs import record_runs
from tests.fixtures.frames import COMMUNES, RECEIVED, good_frames, previous_funding

Frames = dict[str, pd.DataFrame]


def _run(frames: Frames, **kw) -> list[ValidationRun]:
    return validate_submission(frames, kw.pop("received_on", RECEIVED), kw.pop("previous_funding", None),
                               build_docs=False, **kw)


def _all(runs: list[ValidationRun]) -> list[Finding]:
    return [f for r in runs for f in r.findings]


def test_a_good_submission_passes_every_suite() -> None:
    runs = _run(good_frames(), previous_funding=previous_funding())
    assert [r.suite for r in runs] == list(SUITES)
    assert all(r.success for r in runs), _all(runs)
    assert _all(runs) == []
    assert all(r.evaluated > 0 and r.failed == 0 and r.data_docs_url is None for r in runs)
    assert all(r.started_at <= r.finished_at for r in runs)
    json.dumps(runs[0].gx_result)  # serialisable for audit.validation_run.gx_result


# --- the mutations ------------------------------------------------------------------------------


def _set(sheet: str, row: int, column: str, value) -> Callable[[Frames], None]:
    def change(f: Frames) -> None:
        f[sheet][column] = f[sheet][column].astype(object)
        f[sheet].loc[row, column] = value
        if f[sheet][column].map(lambda v: isinstance(v, int | float) and not isinstance(v, bool)).all():
            f[sheet][column] = pd.to_numeric(f[sheet][column])
    return change


def _drop_mark(commune: str, criterion: str) -> Callable[[Frames], None]:
    def change(f: Frames) -> None:
        m = f["tieu_chi_xa_mark"]
        f["tieu_chi_xa_mark"] = m[~((m.commune_code == commune) & (m.criterion_code == criterion))].reset_index(drop=True)
    return change


def _advanced_below_19(f: Frames) -> None:
    m = f["tieu_chi_xa_mark"]
    m.loc[(m.commune_code == COMMUNES[2]) & (m.criterion_code == "tc19"), "is_met"] = False
    f["tieu_chi_xa"].loc[2, "criteria_met_reported"] = 18


def _duplicate_funding(f: Frames) -> None:
    extra = f["nguon_von"].iloc[[0]].assign(excel_row=40)
    f["nguon_von"] = pd.concat([f["nguon_von"], extra], ignore_index=True)


def _december_without_district_criteria(f: Frames) -> None:
    f["thong_tin"].loc[0, "period"] = date(2022, 12, 1)


# (id, change, check, severity, sheet, excel_row, column)
CASES = [
    ("criteria_met_mismatch", _set("tieu_chi_xa", 0, "criteria_met_reported", 17),
     "criteria_met_mismatch", "error", "tieu_chi_xa", 5, "criteria_met_reported"),
    ("mark_missing", _drop_mark(COMMUNES[1], "tc05"), "criteria_marks_missing", "error", "tieu_chi_xa", 6, "tc01..tc19"),
    ("commune_code", _set("tieu_chi_xa", 2, "commune_code", "1590A"), "code_format", "error", "tieu_chi_xa", 7,
     "commune_code"),
    ("duplicate_commune", _set("tieu_chi_xa", 1, "commune_code", COMMUNES[0]), "duplicate_commune", "error",
     "tieu_chi_xa", 6, "commune_code"),
    ("title_unknown", _set("tieu_chi_xa", 1, "ntm_title", "champion"), "title_known", "error", "tieu_chi_xa", 6,
     "ntm_title"),
    ("advanced_below_19", _advanced_below_19, "title_at_risk", "warning", "tieu_chi_xa", 7, "ntm_title"),
    ("criterion_unknown", _set("tieu_chi_xa_mark", 3, "criterion_code", "tc20"), "criterion_known", "error",
     "tieu_chi_xa_mark", 5, "criterion_code"),
    ("negative_amount", _set("nguon_von", 0, "amount_mvnd", -5.0), "amount_not_negative", "error", "nguon_von", 4,
     "amount_mvnd"),
    ("infinite_amount", _set("nguon_von", 1, "amount_mvnd", np.inf), "amount_not_negative", "error", "nguon_von", 5,
     "amount_mvnd"),
    ("missing_amount", _set("nguon_von", 2, "amount_mvnd", np.nan), "required_value", "error", "nguon_von", 6,
     "amount_mvnd"),
    ("total_mismatch", _set("nguon_von", 3, "amount_mvnd", 461.05), "total_mismatch", "error", "nguon_von", 7,
     "amount_mvnd"),
    ("duplicate_funding", _duplicate_funding, "duplicate_funding", "error", "nguon_von", 40, "unit_code"),
    ("source_unknown", _set("nguon_von", 4, "source_code", "xo_so"), "source_known", "error", "nguon_von", 8,
     "source_code"),
    ("stars_out_of_range", _set("ocop", 0, "stars", 6), "stars_out_of_range", "error", "ocop", 4, "stars"),
    ("stars_while_preparing", _set("ocop", 1, "stars", 3), "stars_while_preparing", "error", "ocop", 5, "stars"),
    ("stars_missing", _set("ocop", 0, "stars", None), "stars_missing", "error", "ocop", 4, "stars"),
    ("expired_still_valid", _set("ocop", 2, "valid_until", date(2023, 6, 15)), "expired_still_valid", "error", "ocop",
     6, "valid_until"),
    ("duplicate_product", _set("ocop", 2, "product_code", "TH-001"), "duplicate_product", "error", "ocop", 6,
     "product_key"),
    ("ocop_commune_unlisted", _set("ocop", 0, "commune_code", "15999"), "unknown_commune_reference", "error", "ocop",
     4, "commune_code"),
    ("future_period", _set("thong_tin", 0, "period", date(2023, 7, 1)), "future_period", "error", "thong_tin", None,
     "period"),
    ("province_code", _set("thong_tin", 0, "province_code", "3"), "code_format", "error", "thong_tin", None,
     "province_code"),
    ("december_district", _december_without_district_criteria, "district_criteria_missing", "error", "tieu_chi_huyen",
     None, "district_criteria_rows"),
    ("support_negative", _set("ho_tro", 0, "value_mvnd", -1.0), "value_not_negative", "error", "ho_tro", 4,
     "value_mvnd"),
    ("wrong_type", _set("tieu_chi_xa", 0, "criteria_met_reported", "mười chín"), "column_type", "error", "tieu_chi_xa",
     None, "criteria_met_reported"),
    ("validity_24_months", _set("ocop", 0, "valid_until", date(2024, 4, 10)), "validity_not_36_months", "warning",
     "ocop", 4, "valid_until"),
    ("title_at_risk", _set("tieu_chi_xa", 1, "ntm_title", "ntm"), "title_at_risk", "warning", "tieu_chi_xa", 6,
     "ntm_title"),
]


@pytest.mark.parametrize(("case_id", "check", "severity", "sheet", "excel_row", "column"),
                         [(c[0], *c[2:]) for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_raises_its_finding(broken, case_id, check, severity, sheet, excel_row, column) -> None:
    runs = broken[case_id]
    found = [f for f in _all(runs) if f.check_name == check]
    assert found, f"no {check} finding; got {[(f.check_name, f.sheet, f.excel_row) for f in _all(runs)]}"
    assert {(f.severity, f.sheet, f.excel_row, f.column_name) for f in found} >= {(severity, sheet, excel_row, column)}
    assert all(f.message_vi and f.message_en and f.message_vi != f.message_en for f in found)
    owner = next(r for r in runs if any(f.check_name == check for f in r.findings))
    assert owner.success is (severity == "warning")
    assert owner.failed >= 1


def test_findings_carry_the_value_and_both_figures() -> None:
    frames = good_frames()
    _set("nguon_von", 0, "amount_mvnd", 80.0)(frames)
    frames["nguon_von"].loc[3, "amount_mvnd"] = 430.75  # keep the total right
    runs = _run(frames, previous_funding=previous_funding(1.0))
    (f,) = [f for f in _all(runs) if f.check_name == "funding_decreased"]
    assert (f.severity, f.sheet, f.excel_row, f.column_name, f.value) == ("warning", "nguon_von", 4, "amount_mvnd", "80")
    assert "100" in f.message_en and "80" in f.message_en and "100" in f.message_vi
    assert all(r.success for r in runs)


def test_warning_only_submission_yields_only_warnings_and_loads() -> None:
    frames = good_frames()
    _set("tieu_chi_xa", 1, "ntm_title", "ntm")(frames)           # title at risk
    _set("ocop", 0, "valid_until", date(2024, 4, 10))(frames)     # validity not 36 months
    runs = _run(frames, previous_funding=previous_funding(1.5))   # cumulative funding fell
    findings = _all(runs)
    assert {f.check_name for f in findings} == {"title_at_risk", "validity_not_36_months", "funding_decreased"}
    assert {f.severity for f in findings} == {"warning"}
    assert all(r.success for r in runs)


def test_title_requires_ntm_the_month_before() -> None:
    previous = pd.DataFrame({"commune_code": COMMUNES, "ntm_title": ["ntm", "none", "none"]})
    runs = _run(good_frames(), previous_titles=previous)
    (f,) = [f for f in _all(runs) if f.check_name == "title_requires_ntm"]
    assert (f.severity, f.sheet, f.excel_row, f.column_name, f.value) == ("error", "tieu_chi_xa", 7, "ntm_title",
                                                                          "advanced")
    ok = _run(good_frames(), previous_titles=previous.assign(ntm_title=["ntm", "none", "ntm"]))
    assert not _all(ok)
    unknown = _run(good_frames(), previous_titles=previous.iloc[:2])   # no record of 15907: not judged
    assert not _all(unknown)


def test_a_missing_column_is_reported_once_not_per_row() -> None:
    frames = good_frames()
    frames["nguon_von"] = frames["nguon_von"].drop(columns=["amount_mvnd"])
    runs = _run(frames)
    findings = [f for f in _all(runs) if f.column_name == "amount_mvnd"]
    assert [(f.check_name, f.severity, f.sheet) for f in findings] == [("required_column", "error", "nguon_von")]
    assert not next(r for r in runs if r.suite == CROSS).success


def test_optional_sheets_may_be_absent() -> None:
    frames = good_frames()
    for sheet in ("ocop", "ho_tro", "tieu_chi_huyen"):
        del frames[sheet]
    assert _all(_run(frames)) == []


def test_batch_splits_findings_by_submission() -> None:
    bad = good_frames()
    _set("ocop", 0, "stars", 7)(bad)
    items = [("good", good_frames(), RECEIVED, previous_funding()), ("bad", bad, RECEIVED, None),
             ("good2", good_frames(), RECEIVED, None)]
    out = validate_batch(items, build_docs=False)
    assert set(out) == {"good", "bad", "good2"}
    assert _all(out["good"]) == [] and _all(out["good2"]) == []
    assert [(f.check_name, f.excel_row) for f in _all(out["bad"])] == [("stars_out_of_range", 4)]
    assert _all(out["bad"]) == _all(_run(bad))


def _rules_on_disk(gx_dir: Path) -> dict[str, list[tuple]]:
    on_disk = {p.stem: json.loads(p.read_text()) for p in (gx_dir / "expectations").glob("*.json")}
    return {name: [(e["type"], e["meta"]["check"], e.get("severity", "critical"), json.dumps(e["kwargs"], sort_keys=True))
                   for e in suite["expectations"]] for name, suite in on_disk.items()}


def _rules_in_code() -> dict[str, list[tuple]]:
    out = {}
    for name, rules in build_suites().items():
        cfgs = [r.configuration.to_json_dict() for r in rules]
        out[name] = [(c["type"], c["meta"]["check"], c.get("severity", "critical"), json.dumps(c["kwargs"], sort_keys=True))
                     for c in cfgs]
    return out


def test_the_context_on_disk_matches_the_rules_in_code() -> None:
    """expectations/gx/expectations/*.json is written from build_suites(): they must not drift."""
    on_disk, code = _rules_on_disk(context_root() / "gx"), _rules_in_code()
    assert set(on_disk) == set(code) >= set(SUITES)
    for name in code:
        assert on_disk[name] == code[name], f"suite {name} differs: run `python -m ingest.quality.suites write-context`"


def test_write_context_builds_a_fresh_context_from_the_code(tmp_path: Path, capsys) -> None:
    gx_dir = write_context(tmp_path)
    assert _rules_on_disk(gx_dir) == _rules_in_code()
    assert {p.stem for p in (gx_dir / "validation_definitions").glob("*.json")} == \
        {f"validate_{name}" for name in build_suites()}
    assert suites_main(["no-such-command"]) == 2
    assert "write-context" in capsys.readouterr().err


def test_no_credentials_in_the_context_files() -> None:
    text = "\n".join(p.read_text() for p in (context_root() / "gx").rglob("*") if p.is_file()
                     and "uncommitted" not in p.parts)
    assert "postgresql://" not in text and "password" not in text.lower()


def test_record_runs_writes_runs_and_findings(database_url: str) -> None:
    frames = good_frames()
    _set("ocop", 0, "stars", 6)(frames)
    _set("tieu_chi_xa", 1, "ntm_title", "ntm")(frames)
    runs = _run(frames)
    with psycopg.connect(database_url) as conn:
        sid = conn.execute(
            "INSERT INTO audit.submission (file_name, sha256, bytes, file_format, archive_path) "
            "VALUES ('x.xlsx', repeat('a', 64), 1, 'xlsx', '/a/x') RETURNING submission_id").fetchone()[0]
        ids = record_runs(conn, runs, sid)
        assert len(ids) == len(runs) == len(set(ids))
        rows = conn.execute(
            "SELECT r.suite, r.success, r.failed, f.severity, f.check_name, f.sheet, f.excel_row, f.column_name, f.value "
            "FROM audit.validation_run r JOIN audit.finding f USING (run_id) WHERE r.submission_id = %s "
            "ORDER BY f.check_name", (sid,)).fetchall()
        assert rows == [("ocop", False, 1, "error", "stars_out_of_range", "ocop", 4, "stars", "6"),
                        (CROSS, True, 1, "warning", "title_at_risk", "tieu_chi_xa", 6, "ntm_title", "ntm")]
        stored = conn.execute("SELECT gx_result FROM audit.validation_run WHERE run_id = %s", (ids[0],)).fetchone()[0]
        assert stored["results"] and "statistics" in stored
        assert conn.execute("SELECT count(*) FROM audit.finding WHERE submission_id = %s AND run_id IS NULL",
                            (sid,)).fetchone()[0] == 0


def test_every_check_is_documented() -> None:
    readme = (context_root() / "README.md").read_text(encoding="utf-8")
    checks = {r.configuration.to_json_dict()["meta"]["check"] for rules in build_suites().values() for r in rules}
    assert not {c for c in checks if f"`{c}`" not in readme}


def test_model_requires_advanced_under_the_2021_2025_criteria() -> None:
    """domain.md: titles build on each other; under Decisions 318/319 model requires advanced."""
    frames = good_frames()
    titles = frames["tieu_chi_xa"]["ntm_title"].tolist()
    model_row = titles.index("model") if "model" in titles else None
    if model_row is None:                                         # make the third commune model
        model_row = 2
        _set("tieu_chi_xa", model_row, "ntm_title", "model")(frames)
    code = frames["tieu_chi_xa"]["commune_code"].iloc[model_row]
    previous = pd.DataFrame({"commune_code": COMMUNES, "ntm_title": ["ntm"] * len(COMMUNES)})
    (f,) = [f for f in _all(_run(frames, previous_titles=previous)) if f.check_name == "model_requires_advanced"]
    assert (f.severity, f.sheet, f.column_name, f.value) == ("error", "tieu_chi_xa", "ntm_title", "model")
    assert code in f.message_en
    advanced_before = previous.assign(ntm_title=["advanced"] * len(COMMUNES))
    assert not [f for f in _all(_run(frames, previous_titles=advanced_before)) if f.check_name == "model_requires_advanced"]
    older = {k: v.copy() for k, v in frames.items()}
    older["thong_tin"]["criteria_set"] = "2016-2020"                 # the rule is of the 2021-2025 sets
    assert not [f for f in _all(_run(older, previous_titles=previous)) if f.check_name == "model_requires_advanced"]
