"""Intake: what a district sent, read safely into typed frames with located findings.

Archive and hash, file formats and their safety limits, header detection, normalisers, the
administrative unit lists and the domain rules the reader applies. Imports only the core
(`ingest.config`, `ingest.contract`, `ingest.findings`); nothing here touches the database.
"""
