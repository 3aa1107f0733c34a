"""Quality: the Great Expectations rules over the intake's frames, how they are run, and Data Docs.

Builds on `ingest.intake`; writes nothing to the database (the store records the runs).
"""
