"""dbt's documentation as one static page that opens from the file system (issue 13, item 8).

`dbt docs generate` writes an index.html that fetches manifest.json and catalog.json, which a
browser refuses for a file:// page (it stays on "loading"); `--static` writes
`static_index.html` with both embedded. `python -m ingest.warehouse.docs_site` (`make docs`)
writes it and prints where.
"""

from __future__ import annotations

from pathlib import Path

from ingest.warehouse.build import _invoke, target_dir

STATIC_PAGE = "static_index.html"


def static_docs(url: str) -> Path:
    """`dbt docs generate --static` (offline); returns the single page."""
    res, _ = _invoke(url, ["docs", "generate", "--static"], None)
    if not res.success:
        raise RuntimeError(f"dbt docs generate --static failed: {res.exception}")
    return target_dir() / STATIC_PAGE


def main() -> None:
    from ingest.config import load_settings
    from ingest.store.localdb import resolve_url

    page = static_docs(resolve_url(load_settings()))
    print(f"dbt docs (one page, opens from the file system): {page.as_uri()}")


if __name__ == "__main__":
    main()
