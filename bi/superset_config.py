"""Superset's configuration for the local BI (`make bi`, ingest/devtools/superset_local.py).

Everything that differs between machines comes from the environment the launcher sets: the
metadata database (SQLite under the project's state folder) and the secret key (generated once,
kept in the state folder). The deployment (docker-compose.yml, profile `bi`) sets its own.
"""

import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = os.environ.get(
    "SUPERSET_METADATA_URL", "sqlite:///" + os.path.join(os.environ.get("NTM_SUPERSET_HOME", "."), "superset.db"))
SQLALCHEMY_TRACK_MODIFICATIONS = False

# Local only (127.0.0.1): no HTTPS, so no Talisman; no rate limit on logins (tests log in often).
TALISMAN_ENABLED = False
RATELIMIT_ENABLED = False
AUTH_RATE_LIMITED = False
WTF_CSRF_ENABLED = True

# No network at run time: no map tiles, no telemetry, no examples.
# every chart renders at once (no lazy rendering of charts below the fold): tests wait for all
FEATURE_FLAGS = {"DASHBOARD_RBAC": False, "EMBEDDED_SUPERSET": False, "ALERT_REPORTS": False,
                 "DASHBOARD_VIRTUALIZATION": False}
SCARF_ANALYTICS = False
MAPBOX_API_KEY = ""
BABEL_DEFAULT_LOCALE = "en"
LOG_LEVEL = os.environ.get("SUPERSET_LOG_LEVEL", "WARNING")

# Readers may explore and use SQL Lab; the database login itself is read-only (ntm_bi_reader).
SQLLAB_CTAS_NO_LIMIT = False
ROW_LIMIT = 50000
