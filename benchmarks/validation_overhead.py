"""Benchmark: Great Expectations overhead per submission, alone and in a batch.

    .venv/bin/python -m benchmarks.validation_overhead [--n 700]

A national month is ~700 district submissions; the pipeline validates them in one batch (one GX
run per suite), because GX's fixed cost is per run (~1.4 s), not per row.
"""

from __future__ import annotations

import argparse
import time

from ingest.quality.validate import BatchItem, validate_batch, validate_submission
from tests.fixtures.frames import RECEIVED, good_frames, previous_funding


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=700, help="submissions in the batch")
    args = ap.parse_args()
    t = time.perf_counter()
    validate_submission(good_frames(), RECEIVED, build_docs=False)
    first = time.perf_counter() - t
    t = time.perf_counter()
    validate_submission(good_frames(), RECEIVED, previous_funding(), build_docs=False)
    single = time.perf_counter() - t
    items = [BatchItem(i, good_frames(), RECEIVED, previous_funding()) for i in range(args.n)]
    t = time.perf_counter()
    runs = validate_batch(items, build_docs=False)
    batch = time.perf_counter() - t
    assert len(runs) == args.n
    print(f"GX import + context + first submission: {first:.2f} s")
    print(f"one submission alone: {single:.2f} s")
    print(f"batch of {args.n}: {batch:.2f} s = {batch / args.n * 1000:.1f} ms per submission "
          f"({single / (batch / args.n):.0f}x less than alone)")


if __name__ == "__main__":
    main()
