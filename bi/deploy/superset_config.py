"""Superset's configuration in the deployment (docker-compose.yml, profile `bi`): metadata in the
`superset` database of the compose PostgreSQL, secrets from the environment (.env)."""

import os
from urllib.parse import quote

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = (f"postgresql+psycopg2://superset:{quote(os.environ['SUPERSET_DB_PASSWORD'], safe='')}"
                           "@postgres:5432/superset")
FEATURE_FLAGS = {"DASHBOARD_RBAC": False, "EMBEDDED_SUPERSET": False, "ALERT_REPORTS": False}
ROW_LIMIT = 50000
