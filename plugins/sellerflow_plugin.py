"""Registers sellerflow's HTTP API with Airflow's api-server under /sellerflow."""

from __future__ import annotations

from typing import ClassVar

from airflow.plugins_manager import AirflowPlugin

from sellerflow.api.app import create_app


class SellerflowPlugin(AirflowPlugin):
    """sellerflow's API (status now; TSD pick lists and accountants' pages to come)."""

    name = "sellerflow"
    fastapi_apps: ClassVar[list[dict]] = [
        {"app": create_app(), "url_prefix": "/sellerflow", "name": "sellerflow API"}
    ]
