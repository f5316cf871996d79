"""The plugin's apps are built on their first request, not when Airflow imports the plugin in every process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette

from sellerflow.api.lazy import LazyApp

ROOT = Path(__file__).resolve().parents[2]
BUILT: list[str] = []


def counted_app() -> Starlette:
    """A factory that records each build (the test's factory, found by LazyApp by name)."""
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    BUILT.append("built")
    return Starlette(routes=[Route("/ping", lambda _request: PlainTextResponse("pong"))])


def test_the_app_is_built_once_on_the_first_request() -> None:
    BUILT.clear()
    lazy = LazyApp(f"{__name__}:counted_app")
    assert BUILT == []
    client = TestClient(lazy)
    assert [client.get("/ping").text for _ in range(3)] == ["pong"] * 3
    assert BUILT == ["built"]


def test_a_factory_without_a_function_name_is_refused() -> None:
    with pytest.raises(ValueError, match=r"package\.module:function"):
        LazyApp("sellerflow.api.app")


def test_importing_the_plugin_builds_no_app() -> None:
    """What every Airflow task process pays: the plugin module imports neither FastAPI nor the pages or TSD code."""
    heavy = ("fastapi", "openpyxl", "sellerflow.pages.router", "sellerflow.picking.api", "sellerflow.api.app")
    probe = f"import sys; import sellerflow_plugin; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT / "plugins", capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""


def test_the_plugin_serves_the_status_api_through_its_lazy_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "plugins"))
    import sellerflow_plugin

    apps = {entry["url_prefix"]: entry["app"] for entry in sellerflow_plugin.SellerflowPlugin.fastapi_apps}
    monkeypatch.setenv("SELLERFLOW_WAREHOUSE_DSN", "postgresql://nobody@127.0.0.1:1/none")
    answer = TestClient(apps["/sellerflow"]).get("/health")
    assert answer.json()["status"] == "warehouse_unreachable"
