"""Per-submission overhead of validation, measured (printed with -s) and bounded generously: a
national month is ~700 district submissions, validated in one batch (one GX run per suite)."""

from __future__ import annotations

import time

from ingest.validate import BatchItem, validate_batch, validate_submission
from tests.test_validate_frames import RECEIVED, good_frames, previous_funding


def test_batch_overhead_per_submission_is_small() -> None:
    validate_submission(good_frames(), RECEIVED, build_docs=False)  # GX import and context: once per process
    t = time.perf_counter()
    validate_submission(good_frames(), RECEIVED, previous_funding(), build_docs=False)
    single = time.perf_counter() - t
    items = [BatchItem(i, good_frames(), RECEIVED, previous_funding()) for i in range(300)]
    t = time.perf_counter()
    runs = validate_batch(items, build_docs=False)
    batch = time.perf_counter() - t
    per = batch / len(items)
    print(f"\nvalidation: one submission alone {single:.2f} s; batch of {len(items)}: {batch:.2f} s "
          f"= {per * 1000:.1f} ms per submission")
    assert len(runs) == 300 and all(r.success for v in runs.values() for r in v)
    assert per < 0.1, f"{per * 1000:.0f} ms per submission in a batch"
    assert per < single / 5
