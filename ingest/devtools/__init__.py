"""Developer tooling, apart from what Airflow workers import: the blank template, the
synthetic-submission generator (generate: files; synthetic: content; rendering: clean or messy
cells; xlsx: the workbook writer; bad_variants: the known-bad corpus), reproducible files (the
one deterministic-zip helper), the demo and the local Airflow launcher."""
