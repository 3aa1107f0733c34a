"""Intake: what a district sent, read safely into typed frames with located findings.

- archive: archive and hash the received file; storage: shared storage by URL (a folder or s3://,
  fsspec): put / get / list, remote objects fetched to a temporary folder for the readers
- formats: file formats (xlsx, CSV folder, zip of CSVs) and their safety limits -> grids
- headers: header detection and the columns of each sheet; tables: grids -> normalised frames
- normalise: one cell value -> its canonical value; rules: the programme's dated rules
- admin_units: the administrative unit lists (pure lookups); unit_list: imported lists' format
  and the rules that apply them; admin_check: the administrative checks of a submission
- collect: findings as the reader collects them; reader: `read_submission`, the orchestration
- extents: the sheets' declared and real extents from their XML, bounded before any grid is built;
  isolation: `read_many` / `read_isolated`, the reader in worker processes with memory and time limits

Imports only the core (`ingest.config`, `ingest.contract`, `ingest.findings`); nothing here
touches the database (ingest/store/reference.py holds the `ref` schema's statements).
"""
