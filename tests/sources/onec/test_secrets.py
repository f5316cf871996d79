"""The 1C password never reaches a log line, a task result (what the DAG pushes as XCom) or a warehouse table.

A 1C extraction runs against the emulator with a known password, through retried 5xx answers and a refused
login, with every logger at DEBUG; then the logs, the results, the error and every row of the raw, ops and
quarantine schemas are searched for the password.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from sellerflow.sources._http.redact import redact
from sellerflow.sources.onec import OneCBase, OneCError
from sellerflow.sources.onec.extract import extract_catalogs, extract_documents, extract_stock
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.onec import create_app
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread
from sellerflow_emulators.testing.extract import generate_world

PASSWORD = "Known-1C-pa55word-7f3a9c"
WRONG = "Wrong-1C-pa55word-0b1d2e"
AS_OF = datetime(2026, 9, 18, 12, 0, tzinfo=UTC)
FAST = {"retry_initial_s": 0.01, "retry_max_s": 0.05, "timeout_s": 10.0}
SCENARIO = ("--seed", "5", "--days", "3", "--orders-per-day", "20")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated world whose ``ut_main`` infobase user has the known password."""
    world = generate_world(tmp_path_factory.mktemp("onec_secrets"), SCENARIO)
    with sqlite3.connect(world) as conn:
        conn.execute("update onec_bases set password = ? where id = 'ut_main'", (PASSWORD,))
    return world


def _tables_dump(dsn: str) -> str:
    with psycopg.connect(dsn) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'ops', 'quarantine') and table_type = 'BASE TABLE'"
        ).fetchall()
        return "\n".join(
            str(row)
            for schema, table in tables
            for row in conn.execute(
                psycopg.sql.SQL("select * from {}").format(psycopg.sql.Identifier(schema, table))
            ).fetchall()
        )


def test_the_1c_password_is_in_no_log_line_result_error_or_table(
    world: Path, migrated_dsn: str, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    state = EmulatorState(world)
    state.faults.configure("onec", [parse_rule({"kind": "server_error", "status": 503, "count": 3})])
    with serve_in_thread(create_app(state)) as url:
        with sqlite3.connect(world) as conn:
            (username,) = conn.execute("select username from onec_bases where id = 'ut_main'").fetchone()
        odata = f"{url}/ut_main/odata/standard.odata"
        base = OneCBase("ut_main", odata, username, PASSWORD, **FAST)
        results = [
            extract_catalogs(base, migrated_dsn, "secrets", AS_OF),
            extract_documents(base, migrated_dsn, "secrets", AS_OF),
            extract_stock(base, migrated_dsn, "secrets", AS_OF),
        ]
        wrong = OneCBase("ut_main", odata, username, WRONG, **FAST)
        with pytest.raises(OneCError) as refused:
            extract_catalogs(wrong, migrated_dsn, "refused", AS_OF)
    served = sum(r["faults_served"] for r in state.faults.snapshot()["onec"])
    assert served > 0, "the 5xx answers were served (and logged as retries)"
    dump = _tables_dump(migrated_dsn)
    assert "ut_main" in dump, "the extraction landed rows of the base"
    text = "\n".join(
        [dump, caplog.text, json.dumps(results, default=str), str(refused.value), repr(base), repr(wrong)]
    )
    for secret in (PASSWORD, WRONG):
        assert secret not in text
    assert redact(f"login failed for {PASSWORD}") == "login failed for ***", "the password is registered"
