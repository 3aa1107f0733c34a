-- A received submission that passed validation and waits for the loader. Its normalised frames
-- are staged under $NTM_STATE_DIR/staged until the load, so validate and load can run as
-- separate (Airflow) tasks.
ALTER TABLE audit.submission ADD COLUMN validated_at timestamptz;
ALTER TABLE audit.submission ADD COLUMN file_period_hint text;   -- period read from the file name, if any
