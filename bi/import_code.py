"""Import the dashboards as code into Superset, overwriting what the code defines.

Run by ingest/devtools/superset_local.py with bi/.venv's Python and Superset's environment:
`python bi/import_code.py USERNAME DATASETS.zip CHARTS.zip DASHBOARDS.zip`. Superset's own
`import-dashboards` imports the charts of a dashboard without overwriting them, so a chart
changed in bi/dashboards (or edited in the UI) would never be brought back to the code's; here
the datasets, the charts and the dashboards are each imported with overwrite, in one start of
the application instead of one per command.
"""

from __future__ import annotations

import sys
from zipfile import ZipFile


def main(username: str, datasets: str, charts: str, dashboards: str) -> None:
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import security_manager
        from superset.commands.chart.importers.dispatcher import ImportChartsCommand
        from superset.commands.dashboard.importers.dispatcher import ImportDashboardsCommand
        from superset.commands.dataset.importers.dispatcher import ImportDatasetsCommand
        from superset.commands.importers.v1.utils import get_contents_from_bundle
        from superset.utils.core import override_user

        def contents(path: str) -> dict[str, str]:
            with ZipFile(path) as bundle:
                return get_contents_from_bundle(bundle)

        user = security_manager.find_user(username=username)
        if user is None:
            raise SystemExit(f"no Superset user {username!r}")
        with override_user(user):
            ImportDatasetsCommand(contents(datasets), overwrite=True).run()
            ImportChartsCommand(contents(charts), overwrite=True).run()
            ImportDashboardsCommand(contents(dashboards), overwrite=True).run()


if __name__ == "__main__":
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
