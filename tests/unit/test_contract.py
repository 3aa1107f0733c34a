"""The contract is the one description: the dbt seeds, the raw tables, the DAGs' Assets and the
bulletin's labels all agree with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ingest import contract
from ingest.contract.seeds import seed_texts, stale_seeds, write_seeds

ROOT = Path(__file__).resolve().parents[2]


def test_committed_seeds_are_what_the_contract_writes() -> None:
    assert stale_seeds() == []


def test_check_seeds_names_a_seed_that_drifted(tmp_path: Path) -> None:
    write_seeds(tmp_path)
    assert stale_seeds(tmp_path) == []
    path = tmp_path / "funding_sources.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Doanh nghiệp, hợp tác xã", "Doanh nghiệp, HTX"),
                    encoding="utf-8")
    (tmp_path / "title_levels.csv").unlink()
    assert stale_seeds(tmp_path) == ["funding_sources.csv", "title_levels.csv"]


def test_check_seeds_command() -> None:
    done = subprocess.run([sys.executable, "-m", "ingest.contract", "check-seeds"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    bad = subprocess.run([sys.executable, "-m", "ingest.contract", "nonsense"], cwd=ROOT,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "usage" in bad.stderr


def test_seeds_carry_the_submission_codes_and_labels() -> None:
    texts = seed_texts()
    for code, label in contract.SOURCES.items():
        if code != contract.TOTAL_SOURCE:
            assert f"\n{code},{label}," in texts["funding_sources.csv"] or f'\n{code},"{label}",' in \
                texts["funding_sources.csv"], code
    assert [c.code for c in contract.ALL_CRITERIA[:19]] == contract.CRITERIA
    assert [c.name_vi for c in contract.ALL_CRITERIA[:19]] == contract.CRITERIA_NAMES_2021
    assert set(contract.TITLES) < {t.code for t in contract.TITLE_LEVELS}


def test_the_layers_derive_from_the_contract() -> None:
    from ingest.serve.bulletin import SOURCES as bulletin_sources
    from ingest.store.statements import RAW_COLUMNS

    assert RAW_COLUMNS is contract.RAW_COLUMNS
    assert [code for code, _ in bulletin_sources] == [s.code for s in contract.FUNDING_SOURCES]
    assert dict(bulletin_sources) == {k: v for k, v in contract.SOURCES.items() if k != contract.TOTAL_SOURCE}
    assert contract.RAW_TABLES == tuple(contract.FRAME_COLUMNS) == tuple(RAW_COLUMNS)


def test_contract_imports_only_the_standard_library() -> None:
    code = ("import sys; import ingest.contract; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'numpy', 'psycopg', 'openpyxl', "
            "'airflow', 'great_expectations', 'ingest') and not m.startswith('ingest.contract') and m != 'ingest'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
