"""The `ntm` command line: thin commands over `ingest.pipeline`, `ingest.serve` and the dev tools."""

from ingest.cli.main import main

__all__ = ["main"]
