"""The layers of `ingest/` hold (import-linter, the contract in pyproject.toml), the contract fails when
a lower layer imports a higher one, and the DAGs (what Airflow workers import) never import dev tooling."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = "ingest is layered"


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the contracts of `project/pyproject.toml`, with `project` first on the path
    (so that the package checked is `project/ingest`)."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo", str(project / "pyproject.toml")],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300)


def copy_of_the_package(tmp_path: Path) -> Path:
    """The package's Python files and pyproject.toml (the real contracts) in a temporary project."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "ingest", project / "ingest",
                    ignore=lambda _dir, names: [n for n in names if n == "__pycache__" or n.endswith((".sql", ".pyc"))])
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    return project


def test_the_contracts_are_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{LAYERS}" in result.stdout and "KEPT" in result.stdout and "0 broken" in result.stdout


def test_a_lower_layer_importing_a_higher_one_breaks_the_contract(tmp_path: Path) -> None:
    project = copy_of_the_package(tmp_path)
    (project / "ingest" / "intake" / "shortcut.py").write_text(
        '"""Reading files must not reach up into the pipeline."""\n\nfrom ingest.pipeline import month_of\n\n'
        "__all__ = ['month_of']\n")
    result = lint_imports(project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout and "1 broken" in result.stdout
    assert "ingest.intake.shortcut -> ingest.pipeline" in result.stdout


def test_core_importing_a_layer_breaks_the_contract(tmp_path: Path) -> None:
    project = copy_of_the_package(tmp_path)
    config = project / "ingest" / "config.py"
    config.write_text(config.read_text(encoding="utf-8") + "\n\ndef _late() -> None:\n"
                      "    from ingest.store import db  # noqa: F401\n", encoding="utf-8")
    result = lint_imports(project)
    assert result.returncode == 1 and "ingest.config -> ingest.store.db" in result.stdout, result.stdout


def imported_modules(path: Path) -> set[str]:
    """Every module a Python file imports, at the top or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_dags_never_import_dev_tooling_or_the_cli() -> None:
    dag_files = sorted((ROOT / "dags").glob("*.py"))
    assert dag_files
    found = {path.name: sorted(m for m in imported_modules(path)
                               if m.split(".")[:2] in (["ingest", "devtools"], ["ingest", "cli"]))
             for path in dag_files}
    assert {name: mods for name, mods in found.items() if mods} == {}
