"""`python -m ingest.contract write-seeds | check-seeds`: the dbt seeds from the contract."""

from __future__ import annotations

import sys

from ingest.contract.seeds import stale_seeds, write_seeds


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "write-seeds":
        for path in write_seeds():
            print(f"wrote {path}")
        return 0
    if command == "check-seeds":
        stale = stale_seeds()
        for name in stale:
            print(f"{name} differs from ingest.contract: run `python -m ingest.contract write-seeds`")
        return 1 if stale else 0
    print("usage: python -m ingest.contract write-seeds | check-seeds", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
