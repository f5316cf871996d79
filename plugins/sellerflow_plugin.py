"""Registers sellerflow's HTTP API with Airflow's api-server under /sellerflow.

Airflow imports this module in every process (each task included): it imports nothing heavy, and the apps are
built on the api-server's first request to them (sellerflow.api.lazy).
"""

from __future__ import annotations

from typing import ClassVar

from airflow.plugins_manager import AirflowPlugin

from sellerflow.api.lazy import LazyApp
from sellerflow.pages.menu import PAGES


class SellerflowPlugin(AirflowPlugin):
    """sellerflow's status API, the accountants' pages and the TSD app for warehouse handhelds."""

    name = "sellerflow"
    fastapi_apps: ClassVar[list[dict]] = [
        {
            "app": LazyApp("sellerflow.api.app:create_app"),
            "url_prefix": "/sellerflow",
            "name": "sellerflow API",
        },
        # Warehouse handhelds (sellerflow.picking): JSON API /tsd/api/v1, the TSD page /tsd/, DataMobile
        # /tsd/datamobile; device bearer tokens of its own (python -m sellerflow.picking token issue).
        {"app": LazyApp("sellerflow.picking.api:create_app"), "url_prefix": "/tsd", "name": "sellerflow TSD"},
    ]
    # The pages for accountants and analysts (sellerflow.pages), each in Airflow's navigation, shown in the UI's
    # frame at /plugin/sellerflow-<page>; they answer only to Airflow's own login.
    external_views: ClassVar[list[dict]] = [
        {
            "name": f"sellerflow: {title}",
            "href": f"/sellerflow/pages/{route}",
            "url_route": f"sellerflow-{route}",
            "destination": "nav",
        }
        for route, title, _english in PAGES
    ]
