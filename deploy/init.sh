#!/usr/bin/env bash
# One-shot init (compose service airflow-init): migrate Airflow's metadata database and the
# warehouse, write the admin password for the simple auth manager, parse the dbt project.
set -euo pipefail
: "${AIRFLOW_ADMIN_PASSWORD:?set AIRFLOW_ADMIN_PASSWORD in .env}"
airflow db migrate
ntm db migrate
python - <<'PY'
import json, os, pathlib
path = pathlib.Path(os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
user = os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].split(":")[0]
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps({user: os.environ["AIRFLOW_ADMIN_PASSWORD"]}) + "\n")
path.chmod(0o600)
PY
mkdir -p /data/inbox /data/archive /data/data_docs /data/state
echo "init done"
