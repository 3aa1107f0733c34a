"""The Great Expectations file Data Context in `expectations/gx/`, opened once per process.

GX costs 3-4 s to import, so it is imported at first use, not when this module is."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

from ingest.config import Settings, load_settings

DATASOURCE = "ntm_frames"
BATCH_DEFINITION = "whole_frame"


@functools.cache
def gx_module() -> Any:
    """The `great_expectations` package, imported lazily and quietened."""
    import great_expectations

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    return great_expectations


def context_root(settings: Settings | None = None) -> Path:
    """The folder holding the `gx/` project (NTM_EXPECTATIONS_DIR)."""
    return (settings or load_settings()).expectations_dir


@functools.cache
def open_context(root: str) -> Any:
    """The file Data Context under `root` (cached per root)."""
    return gx_module().get_context(mode="file", project_root_dir=root)


@functools.cache
def suite_and_batch(root: str, suite: str) -> tuple[Any, Any]:
    """The suite `suite` and the whole-frame batch definition of its pandas asset."""
    ctx = open_context(root)
    batch_definition = ctx.data_sources.get(DATASOURCE).get_asset(suite).get_batch_definition(BATCH_DEFINITION)
    return ctx.suites.get(suite), batch_definition


def forget() -> None:
    """Drop the cached contexts (after the context files were rewritten)."""
    open_context.cache_clear()
    suite_and_batch.cache_clear()
