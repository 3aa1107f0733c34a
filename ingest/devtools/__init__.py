"""Developer tooling: the blank template, the synthetic-submission generator, the demo and the
local Airflow launcher. Airflow workers never import this package."""
