"""scripts/setup.sh as checkouts run it, on the test server: installations side by side never touch each other.

Each "checkout" here is the repository with its own state folder (SELLERFLOW_STATE_DIR), instance name and key
store, which is everything a second clone would have of its own (the venv is shared: it holds no state).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from sellerflow.installation.settings import read_env_file

from .conftest import admin_dsn, drop_instance_databases

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


class Checkout:
    """One installation: a state folder, an instance name and a key store, set up by scripts/setup.sh."""

    def __init__(self, base: Path, instance: str, keys: Path) -> None:
        self.state, self.instance, self.keys = base / instance / ".sellerflow", instance, keys

    def environ(self, **extra: str) -> dict[str, str]:
        keep = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SELLERFLOW_", "AIRFLOW", "DBT_")) and k != "PGHOST"
        }
        return {
            **keep,
            "SELLERFLOW_STATE_DIR": str(self.state),
            "SELLERFLOW_INSTANCE": self.instance,
            "SELLERFLOW_PG_DSN": admin_dsn(),
            "SELLERFLOW_KEYS_DIR": str(self.keys),
            **extra,
        }

    def setup(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["scripts/setup.sh", *args], cwd=ROOT, env=self.environ(**extra), capture_output=True, text=True
        )

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        """A shell command after `. .sellerflow/env`, as a user of this checkout runs it."""
        return subprocess.run(
            ["bash", "-c", f". {self.state}/env && {command}"],
            cwd=ROOT,
            env=self.environ(),
            capture_output=True,
            text=True,
        )

    @property
    def env(self) -> dict[str, str]:
        return read_env_file(self.state / "env")


def row_counts(dsn: str) -> dict[str, int]:
    """Rows of every table of a database (schemas public, ops, raw)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        tables = conn.execute(
            "select format('%I.%I', table_schema, table_name) from information_schema.tables"
            " where table_type = 'BASE TABLE' and table_schema in ('public', 'ops', 'raw')"
        ).fetchall()
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for (t,) in tables}


def installation_counts(checkout: Checkout) -> dict[str, dict[str, int]]:
    env = checkout.env
    return {
        "airflow": row_counts(env["SELLERFLOW_AIRFLOW_DB_URL"].replace("+psycopg2", "")),
        "warehouse": row_counts(env["SELLERFLOW_WAREHOUSE_DSN"]),
    }


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (
        f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory):
    """Installation A, set up and in use: a connection with a password, a Variable, warehouse rows."""
    base = tmp_path_factory.mktemp("checkouts")
    checkout = Checkout(base, f"a{os.getpid()}x{base.name[-4:]}".replace("-", ""), base / "keys-a")
    try:
        ok(checkout.setup())
        ok(
            checkout.run(
                "airflow connections add mp_ozon_shop --conn-type http --conn-password 's3cret-token'"
            )
        )
        ok(checkout.run('airflow variables set sellerflow_accounts \'{"ozon": ["mp_ozon_shop"]}\''))
        with psycopg.connect(checkout.env["SELLERFLOW_WAREHOUSE_DSN"], autocommit=True) as conn:
            conn.execute(
                "insert into ops.sync_state (source, account_id, stream) values ('ozon', 'shop', 'postings')"
            )
        yield checkout
    finally:
        drop_instance_databases(checkout.instance)


def test_a_second_checkouts_test_and_demo_setup_leave_the_first_untouched(
    running: Checkout, tmp_path: Path
) -> None:
    before = installation_counts(running)
    second = Checkout(tmp_path, f"b{os.getpid()}", tmp_path / "keys-b")
    try:
        prepared = ok(second.setup("--prepare"))  # what `make test` runs
        assert "claim" not in prepared.stderr
        assert second.env["SELLERFLOW_WAREHOUSE_DB"] != running.env["SELLERFLOW_WAREHOUSE_DB"]
        ok(
            second.run(
                f"{sys.executable} -m pytest -q -p no:cacheprovider tests/installation/test_ownership.py"
            )
        )
        ok(second.setup())  # what `make demo` runs before it starts
        assert second.env["SELLERFLOW_AIRFLOW_PORT"] != running.env["SELLERFLOW_AIRFLOW_PORT"]
    finally:
        drop_instance_databases(second.instance)
    assert installation_counts(running) == before
    got = ok(running.run("airflow connections get mp_ozon_shop -o json"))
    assert json.loads(got.stdout)[0]["password"] == "s3cret-token"


def test_setup_against_a_foreign_database_stops_and_changes_nothing(
    tmp_path: Path, instance: str, create_database, database_facts
) -> None:
    checkout = Checkout(tmp_path, instance, tmp_path / "keys")
    foreign = f"sellerflow_{instance}_demo_warehouse"
    create_database(foreign, None, rows=3)
    result = checkout.setup()
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Nothing was changed" in result.stderr
    assert f"SELLERFLOW_TAKE_OVER={foreign} make" in result.stderr
    assert database_facts(foreign) == (3, None)
    assert database_facts(f"sellerflow_{instance}_demo_airflow") is None


def test_a_reclone_keeps_the_metadata_and_decrypts_the_connections(running: Checkout, tmp_path: Path) -> None:
    before = installation_counts(running)
    reclone = Checkout(
        tmp_path, running.instance, running.keys
    )  # same name, fresh state folder, same key store
    result = ok(reclone.setup())
    assert "both databases are this installation's" in result.stderr
    assert "migrating Airflow" not in result.stdout
    assert installation_counts(reclone) == before
    got = ok(reclone.run("airflow connections get mp_ozon_shop -o json"))
    assert json.loads(got.stdout)[0]["password"] == "s3cret-token"


def test_a_reclone_without_the_key_is_asked_for_it_and_nothing_is_dropped(
    running: Checkout, tmp_path: Path
) -> None:
    before = installation_counts(running)
    keyless = Checkout(tmp_path, running.instance, tmp_path / "empty-key-store")
    result = keyless.setup()
    assert result.returncode == 2
    assert "encrypted connections or variables" in result.stderr
    assert str(tmp_path / "empty-key-store" / running.instance / "fernet_key") in result.stderr
    assert installation_counts(running) == before
