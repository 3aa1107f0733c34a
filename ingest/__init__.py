"""NTM data platform: ingest, validate, load, and the ntm command line."""
