"""One inbox (issue 13, item 2): `ntm generate` writes into the configured inbox by default, with
the demo's seed (its months continue the demo's figures), and `--version N` writes corrections."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingest.cli.dev_cmds import DEMO_SEED as CLI_DEMO_SEED
from ingest.cli.main import main
from ingest.devtools.generate import DEMO_SEED, generate


def test_generate_continues_the_demo_into_the_inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NTM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("NTM_INBOX", raising=False)
    assert CLI_DEMO_SEED == DEMO_SEED == 2023
    assert main(["generate", "--province", "27", "--months", "2023-06"]) == 0
    folder = tmp_path / "state" / "inbox" / "2023-06"
    written = sorted(p.name for p in folder.iterdir())
    assert written and all(n.startswith("2023-06_") and n.endswith("_v1.xlsx") for n in written)
    # the demo's seed: the same bytes as the demo's generator gives for the month
    demo = generate("27", [date(2023, 6, 1)], tmp_path / "demo", seed=DEMO_SEED)
    assert {p.name: p.read_bytes() for p in demo} == {n: (folder / n).read_bytes() for n in written}

    assert main(["generate", "--province", "27", "--months", "2023-06", "--version", "2"]) == 0
    corrections = sorted(p.name for p in folder.glob("*_v2.xlsx"))
    assert corrections == [n.replace("_v1", "_v2") for n in written]
    assert main(["generate", "--province", "27", "--months", "2023-06", "--version", "0"]) == 2


def test_ingest_says_when_the_marts_reflect_a_load_or_rebuilds_them(url: str, sample: list[Path], tmp_path: Path,
                                                                   capsys) -> None:
    import shutil

    import psycopg

    from tests.fixtures.pipeline import with_version

    first = sample[0]
    assert main(["ingest", "--database-url", url, "--no-docs", str(first)]) == 0
    out = capsys.readouterr().out
    assert "Loaded into raw for 2023-05; the marts reflect it after the next build" in out
    assert "`ntm ingest --transform`" in out

    correction = with_version(first, 2, tmp_path / first.name.replace("_v1", "_v2"))
    assert main(["ingest", "--database-url", url, "--no-docs", "--transform", str(correction)]) == 0
    out = capsys.readouterr().out
    assert "Marts rebuilt and published for 2023-05" in out
    unit = first.name.split("_")[1]
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT latest_version, version_in_force FROM marts.mart_submission_coverage "
                            "WHERE month = '2023-05-01' AND district_code = %s", (unit,)).fetchone() == (2, 2)

    # a file name is the sender's text: shown literally, never as terminal markup or escapes
    hostile = tmp_path / "2023-05_x[red]evil[bold]\x1b[2J.xlsx"
    shutil.copy(first, hostile)
    assert main(["ingest", "--database-url", url, "--no-docs", str(hostile)]) == 0
    out = capsys.readouterr().out
    # rich markup literal, the escape sequence removed whole (safe_text.terminal)
    assert "2023-05_x[red]evil[bold].xlsx" in out and "\x1b" not in out
