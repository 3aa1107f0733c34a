"""Serve: what people read from the warehouse: coverage, the audit report, the bulletin, and the
notifications sent at the end of a run."""
