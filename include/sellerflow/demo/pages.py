"""`make demo`, pages part: where the accountants' and analysts' pages are, and a check that the reconciliation
export answers an Airflow bearer token.

Prints each page's place in Airflow's UI (``/plugin/sellerflow-<page>``, behind Airflow's login) and the pages'
own address, gets a token from ``POST /auth/token`` (the demo admin) and downloads the XLSX export with it, and
adds ``pages_url``, ``reconciliation_export_url`` and ``pages`` (name → UI URL) to
``.sellerflow/demo_summary.json``. Scripts do the same:
``curl -H "Authorization: Bearer $TOKEN" <reconciliation_export_url> -o reconciliation.xlsx``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx

from sellerflow.demo.airflow_api import admin_password
from sellerflow.pages.menu import PAGES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def urls(base_url: str) -> dict[str, Any]:
    """The pages' addresses on the api-server at ``base_url``."""
    base = base_url.rstrip("/")
    return {
        "pages_url": f"{base}/sellerflow/pages/",
        "reconciliation_export_url": f"{base}/sellerflow/pages/reconciliation/export.xlsx",
        "pages": {english: f"{base}/plugin/sellerflow-{route}" for route, _, english in PAGES},
    }


def check_export(base_url: str, airflow_home: str, export_url: str) -> str:
    """Download the export with a bearer token from POST /auth/token; a line saying how it went."""
    try:
        login = httpx.post(
            f"{base_url.rstrip('/')}/auth/token",
            json={"username": "admin", "password": admin_password(airflow_home)},
            timeout=30,
        )
        login.raise_for_status()
        answer = httpx.get(
            export_url, headers={"Authorization": f"Bearer {login.json()['access_token']}"}, timeout=300
        )
    except (httpx.HTTPError, OSError, KeyError, ValueError) as exc:
        return f"not checked ({type(exc).__name__})"
    if answer.status_code == 200 and answer.headers.get("content-type", "").startswith(XLSX):
        return f"answers a bearer token with an XLSX file ({len(answer.content) // 1024} KiB)"
    return f"answered HTTP {answer.status_code}"


def demo_pages(summary_path: Path) -> dict[str, Any]:
    """Print the pages' URLs, check the export, record both in the demo summary."""
    base_url = os.environ["AIRFLOW__API__BASE_URL"]
    values = urls(base_url)
    print("Pages (Airflow UI → Plugins; same login, a viewer role is enough):")
    for _route, title, english in PAGES:
        print(f"  {title:<24} {values['pages'][english]}")
    print(f"  pages:     {values['pages_url']}")
    export = check_export(base_url, os.environ["AIRFLOW_HOME"], values["reconciliation_export_url"])
    print(f"  export:    {values['reconciliation_export_url']} ({export})")
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    summary.update(values)
    summary_path.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    return values
