"""Fixtures of the page tests: a demo-like throwaway warehouse, a private Airflow api-server with the sellerflow
plugin and the simple auth manager (a read-only `accountant`), and a browser context logged in through Airflow's
own login form.

Screenshots go to a temporary folder; with SELLERFLOW_UPDATE_SCREENSHOTS=1 they also replace
docs/screenshots/*.png (the README shows them).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from tests.conftest import throwaway_database
from tests.seeded_warehouse import Seeded

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}
USERS = {"admin": ("admin", "admin-pages-test"), "accountant": ("viewer", "accountant-pages-test")}


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Warehouse:
    dsn: str
    docs_dir: Path
    world: Path  # the scenario's world, with the Megamarket report files the seller dropped (drop/<account>/)


@pytest.fixture(scope="session")
def pages_warehouse(seeded_warehouse: Seeded) -> Iterator[Warehouse]:
    """The scenario's world extracted and built by dbt (with its docs: a copy of the session's seeded warehouse),
    plus what the health page shows when something is wrong: a quarantined record, an expiring WB token without a
    scope, parked and pending pushes."""
    with throwaway_database(template=seeded_warehouse.dsn) as dsn:
        with psycopg.connect(dsn) as conn:
            conn.execute(
                "insert into quarantine.ozon_postings_fbs (account_id, run_id, reason, payload)"
                " values ('ozon_main', 'pages-test', 'posting_number is missing', '{\"status\": \"delivered\"}')"
            )
            conn.execute(
                "insert into ops.account_credentials (source, account_id, conn_id, token_expires_at, scopes,"
                " scopes_source, status) values ('wildberries', 'wildberries_main', 'mp_wildberries_main',"
                " now() + interval '9 days', '[\"content\", \"marketplace\", \"statistics\"]', 'token', 'expiring')"
                " on conflict (source, account_id) do update set token_expires_at = excluded.token_expires_at,"
                " scopes = excluded.scopes, scopes_source = excluded.scopes_source, status = excluded.status"
            )
            conn.execute(
                "insert into ops.outbox (target, account_id, item_key, payload, payload_hash, state, reason, attempts)"
                " values ('ozon_stocks', 'ozon_main', 'ozon_main:pages-test-1', '{}', 'a', 'parked',"
                " 'Ozon: SKU not found (NOT_FOUND)', 1),"
                " ('ozon_stocks', 'ozon_main', 'ozon_main:pages-test-2', '{}', 'b', 'pending', null, 0)"
            )
        yield Warehouse(dsn, seeded_warehouse.docs_dir, seeded_warehouse.world)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Airflow:
    base_url: str
    home: Path

    def password(self, user: str) -> str:
        return USERS[user][1]

    def token(self, user: str = "accountant") -> str:
        """A bearer token from POST /auth/token, as a script or the demo gets one."""
        answer = httpx.post(
            f"{self.base_url}/auth/token", json={"username": user, "password": USERS[user][1]}, timeout=30
        )
        answer.raise_for_status()
        return answer.json()["access_token"]


@pytest.fixture(scope="session")
def airflow_ui(
    tmp_path_factory: pytest.TempPathFactory, airflow_metadata_url: str, pages_warehouse: Warehouse
) -> Iterator[Airflow]:
    """A private Airflow api-server (the UI, /auth and the sellerflow plugin) on its own metadata database."""
    stack_module = _load("sellerflow_tests_airflow_stack", ROOT / "tests" / "dags" / "airflow_stack.py")
    home = tmp_path_factory.mktemp("pages_airflow_home")
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({name: password for name, (_, password) in USERS.items()}))
    port = _free_port()
    stack = stack_module.AirflowStack(
        home,
        airflow_metadata_url.replace("postgresql+psycopg2://", "postgresql://"),
        port,
        {
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{n}:{r}" for n, (r, _) in USERS.items()),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "SELLERFLOW_WAREHOUSE_DSN": pages_warehouse.dsn,
            "SELLERFLOW_DOCS_DIR": str(pages_warehouse.docs_dir),
        },
    )
    subprocess.run(["airflow", "db", "migrate"], env=stack.env, check=True, capture_output=True, cwd=ROOT)
    log = (home / "api-server.log").open("ab")
    process = subprocess.Popen(
        ["airflow", "api-server"], env=stack.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
        start_new_session=True,
    )  # fmt: skip
    stack.processes["api-server"] = process
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"airflow api-server exited: {(home / 'api-server.log').read_text()[-3000:]}"
                )
            try:
                if httpx.get(f"{stack.base_url}/api/v2/version", timeout=3).status_code in (200, 401, 403):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("airflow api-server did not answer in 180 s")
            time.sleep(1)
        yield Airflow(stack.base_url, home)
    finally:
        stack.stop()


@pytest.fixture(scope="module")  # as the browser it uses
def logged_in(browser, airflow_ui: Airflow):
    """A 1366×768 browser context logged in as the read-only `accountant` through Airflow's login form."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{airflow_ui.base_url}/")
    page.fill("input[name=username]", "accountant")
    page.fill("input[name=password]", USERS["accountant"][1])
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("document.cookie.includes('_token') || true")
    assert any(c["name"] == "_token" for c in context.cookies()), "Airflow's login set no _token cookie"
    page.close()
    yield context
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def shoot(screenshot_dir: Path):
    """Save a 1366×768 screenshot of the page (and into docs/screenshots/ when asked to update them)."""

    def take(page, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path))
        if os.environ.get("SELLERFLOW_UPDATE_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, SCREENSHOTS / path.name)
        return path

    return take
