-- What each incremental model rebuilt in a dbt invocation, written by its pre-hook in the model's
-- own transaction (dbt_project/macros/incremental_months.sql, record_rebuilt): the data tests of
-- an incremental model check the months from `rebuilt_from` on, not every month of its history
-- (dbt_project/macros/test_window.sql). '-infinity' = every month (a full refresh, a first
-- build); 'infinity' = none (nothing changed). A model with no row for the invocation is checked
-- whole.
CREATE TABLE IF NOT EXISTS meta.dbt_rebuilt (
    invocation_id text NOT NULL,
    model text NOT NULL,
    rebuilt_from date NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (invocation_id, model)
);
COMMENT ON TABLE meta.dbt_rebuilt IS
    'Months each incremental dbt model rebuilt per invocation (from rebuilt_from on); its data tests check those';
GRANT SELECT, INSERT, UPDATE, DELETE ON meta.dbt_rebuilt TO ntm_transformer;
