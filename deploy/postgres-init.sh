#!/usr/bin/env bash
# First start of the postgres container: the warehouse `ntm` and Airflow's metadata `airflow`,
# each a separate database with its own owner. Passwords come from the environment (.env).
set -euo pipefail
: "${NTM_DB_PASSWORD:?}" "${AIRFLOW_DB_PASSWORD:?}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v ntm_pw="$NTM_DB_PASSWORD" -v airflow_pw="$AIRFLOW_DB_PASSWORD" <<'SQL'
CREATE ROLE ntm LOGIN CREATEROLE PASSWORD :'ntm_pw';
CREATE DATABASE ntm OWNER ntm;
CREATE ROLE airflow LOGIN PASSWORD :'airflow_pw';
CREATE DATABASE airflow OWNER airflow;
SQL
