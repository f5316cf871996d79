"""One end-to-end case per fault class, through the real DAGs under the real scheduler (tests/faults/stage.py).

Each case switches its fault on in the emulators (or inflicts it on the infrastructure), runs the DAGs, asserts
that the fault was served, lets the pipeline recover the way an operator's installation would (Airflow's retries,
the next run, a replay after a person acted), and then asserts that the warehouse equals the world: 0 keys lost,
0 duplicated, 0 double effects at the vendors.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psutil
import psycopg
import pytest
from psycopg import sql

from sellerflow_emulators.limits import DEFAULT_LIMITS, LimitConfig
from sellerflow_emulators.yandex_market.operations import OPERATIONS as YM_OPERATIONS

from .stage import MARKETPLACES, ROOT, Case, FaultStack, expected_world, wait_for, world_differences

pytestmark = pytest.mark.faults

# A cut of every Ozon request long enough that a task is surely in the middle of its load when it is struck.
SLOW_OZON = [{"kind": "slow", "delay_s": 0.5, "rate": 1.0}]
DRIFT_FIELD = "x_fault_suite_field"


def _extract(case: Case, *sources: str) -> None:
    """Run ``extract_<source>`` for each source (in parallel) and require success."""
    runs = {f"extract_{source}": case.run(f"extract_{source}") for source in sources}
    for dag_id, run_id in runs.items():
        case.assert_success(dag_id, run_id, case.stack.wait(dag_id, run_id))


# -- vendor faults ---------------------------------------------------------------------------------------------


@pytest.mark.fault("429/420 storm (WB, YM)")
def test_rate_limit_storm(stack: FaultStack, outcome) -> None:
    with stack.case("storm") as case:
        outcome.case = case
        # The vendors cut their quotas without notice, far below what the client paces for: WB (429) to one
        # request per 0.3 s with no burst on every method group (a refusal costs 10 requests there), Yandex Market
        # (420) to 2 requests a second on every method whose quota counts requests.
        for group in DEFAULT_LIMITS["wildberries"]:
            case.state.limits.override("wildberries", group, LimitConfig(1, 0.3, 1))
        for group, config in DEFAULT_LIMITS["yandex_market"].items():
            operation = YM_OPERATIONS.get(group)
            if config.limit is None or group.startswith("generate") or (operation and operation.counts):
                continue  # quotas counted in items stay: a 2-a-second quota of items would refuse every page
            case.state.limits.override("yandex_market", group, LimitConfig(2, 1.0))
        _extract(case, "wildberries", "yandex_market")
        refused = case.state.limits.refused
        case.evidence += [f"{v} refused x{refused[v]}" for v in ("wildberries", "yandex_market")]
        assert refused["wildberries"] > 0, "WB never answered 429"
        assert refused["yandex_market"] > 0, "YM never answered 420"
        case.check_raw("wildberries")
        case.check_raw("yandex_market")
        case.check_effects()
        case.assert_recovered()


@pytest.mark.fault("5xx burst (Ozon, Megamarket)")
def test_server_error_burst(stack: FaultStack, outcome) -> None:
    with stack.case("5xx") as case:
        outcome.case = case
        case.faults("ozon", [
            {"kind": "server_error", "count": 3},
            {"kind": "server_error", "status": 503, "rate": 0.3, "count": 6},
        ])  # fmt: skip
        case.faults("megamarket", [{"kind": "server_error", "status": 502, "rate": 0.5, "count": 5}])
        _extract(case, "ozon", "megamarket")
        case.assert_faults_served("ozon")
        case.assert_faults_served("megamarket")
        case.check_raw("ozon")
        case.check_raw("megamarket")
        case.check_effects()
        case.assert_recovered()


@pytest.mark.fault("timeout (Ozon, past the client's 60 s)")
def test_timeout(stack: FaultStack, outcome) -> None:
    with stack.case("timeout") as case:
        outcome.case = case
        case.faults("ozon", [{"kind": "timeout", "delay_s": 75, "count": 1, "paths": "*/posting/fbs/list"}])
        _extract(case, "ozon")
        case.assert_faults_served("ozon")
        case.check_raw("ozon")
        case.check_effects()
        case.assert_recovered()


@pytest.mark.fault("204 for empty (WB)")
def test_empty_204(stack: FaultStack, outcome) -> None:
    with stack.case("empty_204") as case:
        outcome.case = case
        case.faults("wildberries", [{"kind": "empty_204", "rate": 1.0, "count": 20,
                                     "paths": ["/api/v3/orders*", "/api/v1/*"]}])  # fmt: skip
        _extract(case, "wildberries")
        case.assert_faults_served("wildberries")
        case.check_raw("wildberries")
        case.check_effects()
        case.assert_recovered()


@pytest.mark.fault("duplicated and shifted pages (Ozon)")
def test_duplicated_and_shifted_pages(stack: FaultStack, outcome) -> None:
    with stack.case("pages") as case:
        outcome.case = case
        case.faults("ozon", [
            {"kind": "shifted_page", "shift": 2, "count": 2, "paths": ["/v3/product/list", "/v4/product/info/stocks"]},
            {"kind": "duplicate_page", "rate": 0.5, "count": 6},
            {"kind": "shifted_page", "shift": -3, "rate": 0.5, "count": 6},
        ])  # fmt: skip
        _extract(case, "ozon")
        case.assert_faults_served("ozon")
        case.check_raw("ozon")
        case.check_effects()
        case.assert_recovered()


@pytest.mark.fault("expired token (Megamarket)")
def test_expired_token(stack: FaultStack, outcome) -> None:
    with stack.case("expired_token") as case:
        outcome.case = case
        case.faults("megamarket", [{"kind": "expired_token", "count": 1, "paths": ["*/order/get"]}])
        first, state = case.run_to_end("extract_megamarket")
        case.assert_faults_served("megamarket")
        assert state == "failed", "a refused token fails the run: a person must act"
        log = stack.task_log("extract_megamarket", first)
        assert "megamarket_main" in log, "the failure names the account"
        assert "Fix:" in log, "and the fix"
        assert stack.tries("extract_megamarket", first)["extract_account[0]"] == ("failed", 1), "not retried"
        with psycopg.connect(case.dsn) as conn:
            (status,) = conn.execute(
                "select status from ops.account_credentials where account_id = 'megamarket_main'"
            ).fetchone()
        assert status == "failed"
        # The seller puts a new token into the connection (here: the vendor accepts the token again); the next run
        # lands the rest.
        second, state = case.run_to_end("extract_megamarket")
        case.assert_success("extract_megamarket", second, state)
        outcome.notes.append(
            "run 1 failed naming the account and the fix; run 2 after the new token landed the rest"
        )
        case.check_raw("megamarket")
        case.check_effects()
        case.assert_recovered()


@pytest.mark.fault("schema drift (Ozon, a new field)")
def test_schema_drift(stack: FaultStack, outcome) -> None:
    with stack.case("drift") as case:
        outcome.case = case
        case.faults("ozon", [{"kind": "schema_extra_field", "count": 4, "field": DRIFT_FIELD}])
        run_id = case.run("extract_ozon")
        case.assert_success("extract_ozon", run_id, stack.wait("extract_ozon", run_id))
        case.assert_faults_served("ozon")
        with psycopg.connect(case.dsn) as conn:
            alerts = conn.execute(
                "select entity, field_path, record_count from ops.schema_drift "
                "where source = 'ozon' and kind = 'new' and field_path like %s",
                (f"%{DRIFT_FIELD}",),
            ).fetchall()
            landed = {
                entity: conn.execute(
                    sql.SQL("select count(*) from {} where payload ? %s").format(
                        sql.Identifier("raw", f"ozon_{entity}")
                    ),
                    (DRIFT_FIELD,),
                ).fetchone()[0]
                for entity, _, _ in alerts
            }
        assert alerts, "the new field raised an alert row in ops.schema_drift"
        warnings = [
            line for line in stack.task_log("extract_ozon", run_id).splitlines()
            if '"level":"warning"' in line and "schema drift in ozon/" in line and DRIFT_FIELD in line
        ]  # fmt: skip
        assert warnings, "the extract task logged a warning naming the field"
        case.evidence.append(f"alert rows {[(e, f, n) for e, f, n in alerts]}, {len(warnings)} task warnings")
        assert all(landed.values()), f"the drifted records landed with the new field: {landed}"
        outcome.notes.append(f"records landed with the new field: {landed}")
        case.check_raw("ozon")
        case.check_effects()
        case.assert_recovered()


@pytest.mark.fault("late report (WB finance)")
def test_late_report(stack: FaultStack, outcome) -> None:
    with stack.case("late_report") as case:
        outcome.case = case
        case.faults("wildberries", [{"kind": "report_late", "count": 2, "paths": ["/api/finance/*"]}])
        _extract(case, "wildberries")
        case.assert_faults_served("wildberries")
        missing = world_differences(case.dsn, "wildberries", expected_world("wildberries", case.world))
        assert "realization_reports" in missing, "the late report was not there at the first run"
        # WB's calendar: a report not out yet is asked for again every hour.
        run_id, state = case.run_to_end("extract_wildberries", stack.clock + timedelta(hours=2))
        case.assert_success("extract_wildberries", run_id, state)
        outcome.notes.append("the next hourly run read the report")
        case.check_raw("wildberries")
        case.check_effects()
        case.assert_recovered()


# -- reverse-ETL -----------------------------------------------------------------------------------------------

# What each vendor's new-order list shows, in the world's status vocabulary (tests/reverse_etl).
LISTED = {
    "ozon": ("awaiting_packaging", "awaiting_deliver"),
    "yandex_market": ("awaiting_packaging", "awaiting_deliver"),
    "wildberries": ("awaiting_packaging",),
    "megamarket": ("awaiting_packaging",),
}


def _waiting_orders(world: Path) -> dict[tuple[str, str], dict[str, int]]:
    """(1C base, order number) → product ref → units, of the own-stock orders 1C should reserve (every line
    mapped to a live 1C item), read from the world."""
    conn = sqlite3.connect(world)
    try:
        rows = conn.execute(
            """
            select org.base_id, o.order_number, a.marketplace, (select h.status from order_status_history h
                   where h.order_id = o.id order by h.at desc, h.rowid desc limit 1), l.quantity, p.ref_key
            from orders o join order_lines l on l.order_id = o.id join accounts a on a.id = o.account_id
            join onec_organizations org on org.legal_entity_id = a.legal_entity_id
            left join products p on p.base_id = org.base_id and p.article = l.offer_id and p.deletion_mark = 0
            where o.scheme in ('fbs', 'dbs') and o.created_at <= (select value from meta where key = 'clock')
            """
        ).fetchall()
    finally:
        conn.close()
    orders: dict[tuple[str, str], dict[str, int]] = {}
    unmapped = set()
    for base, number, marketplace, status, quantity, product in rows:
        if status not in LISTED[marketplace]:
            continue
        if product is None:
            unmapped.add((base, number))
        lines = orders.setdefault((base, number), {})
        lines[product] = lines.get(product, 0) + quantity
    return {key: lines for key, lines in orders.items() if key not in unmapped}


def _reservations(world: Path) -> dict[tuple[str, str], list[int]]:
    """(1C base, order number) → posted flag of every ЗаказКлиента sellerflow wrote for it."""
    conn = sqlite3.connect(world)
    try:
        rows = conn.execute(
            "select base_id, customer_order_number, posted from onec_documents "
            "where doc_type = 'ЗаказКлиента' and fields like '%sellerflow:%'"
        ).fetchall()
    finally:
        conn.close()
    out: dict[tuple[str, str], list[int]] = {}
    for base, number, posted in rows:
        out.setdefault((base, number), []).append(posted)
    return out


def _set_free_stock(world: Path, products: set[str], free: int) -> None:
    """1C's balances of ``products``: no free stock (``free`` 0), or a delivery that leaves ``free`` units free."""
    conn = sqlite3.connect(world)
    try:
        with conn:
            marks = ",".join("?" * len(products))
            conn.execute(
                f"update onec_stock set in_stock = reserved + ? where product_ref in ({marks})",
                (free, *sorted(products)),
            )
    finally:
        conn.close()


@pytest.mark.fault("1C posting refusal (reservations)")
def test_onec_posting_refusal(stack: FaultStack, outcome) -> None:
    with stack.case("onec_refusal") as case:
        outcome.case = case
        _extract(case, *MARKETPLACES, "onec")
        run_id, state = case.run_to_end("transform_dbt")
        case.assert_success("transform_dbt", run_id, state)
        waiting = _waiting_orders(case.world)
        assert len(waiting) >= 6, "the world must have own-stock orders waiting for a reservation"
        # 1C has no free stock left of the items of every third waiting order: posting those reservations fails.
        starved = {p for key in sorted(waiting)[::3] for p in waiting[key]}
        _set_free_stock(case.world, starved, 0)
        refused_orders = {key for key, lines in waiting.items() if set(lines) & starved}

        first, state = case.run_to_end("push_reservations")
        case.assert_success("push_reservations", first, state)
        with psycopg.connect(case.dsn) as conn:
            parked = conn.execute(
                "select item_key, payload ->> 'onec_base', payload ->> 'order_number', reason from ops.outbox "
                "where target = 'onec_reservations' and state = 'parked' and reason like '%%Недостаточно%%'"
            ).fetchall()
        refused = {(base, number) for _, base, number, _ in parked}
        assert refused == refused_orders, (
            "exactly the orders of the starved items were refused, with 1C's reason"
        )
        docs = _reservations(case.world)
        assert all(docs[key] == [0] for key in refused), "1C keeps each refused document unposted"
        case.evidence.append(f"1C refused posting x{len(refused)} (Недостаточно свободного остатка)")

        # The goods arrive in 1C; the operator replays the parked items; the next run posts them.
        _set_free_stock(case.world, {p for key in refused for p in waiting[key]}, 1000)
        replay = subprocess.run(
            [sys.executable, "-m", "sellerflow.reverse_etl", "--dsn", case.dsn, "replay",
             "--target", "onec_reservations", *[arg for key, *_ in parked for arg in ("--key", key)]],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        assert f"{len(parked)} items are pending again" in replay.stdout, replay.stdout
        second, state = case.run_to_end("push_reservations")
        case.assert_success("push_reservations", second, state)
        outcome.notes.append(
            "stock arrived, `python -m sellerflow.reverse_etl replay`, the next run posted them"
        )

        docs = _reservations(case.world)
        lost = [key for key in waiting if docs.get(key, [0]) != [1]]
        case.tally.lost += len(lost)
        case.tally.problems += [
            f"order {key} is not reserved once and posted: {docs.get(key)}" for key in lost
        ]
        case.tally.duplicated += len(set(docs) - set(waiting))
        for source in MARKETPLACES:
            case.check_raw(source, extracted_only=True)
        case.check_effects()
        case.assert_recovered()


# -- infrastructure faults -------------------------------------------------------------------------------------


def _landing(case: Case, run_id: str) -> tuple[int, int]:
    """Once a mapped extract task of the run is running and something of the run has landed: (map index, pid)."""

    def ready() -> tuple[int, int] | None:
        task = case.stack.running_task("extract_ozon", run_id, "extract_account")
        if task is None:
            return None
        with psycopg.connect(case.dsn, connect_timeout=5) as conn:
            landed = conn.execute(
                "select coalesce(sum(inserted), 0) from ops.load_runs where run_id = %s", (run_id,)
            ).fetchone()[0]
        return task if landed else None

    return wait_for(ready, "an extract_ozon task in the middle of its load")


@pytest.mark.fault("Postgres restart mid-load (Ozon)")
def test_postgres_restart_mid_load(stack: FaultStack, outcome) -> None:
    with stack.case("pg_restart") as case:
        outcome.case = case
        case.faults("ozon", SLOW_OZON)
        run_id = case.run("extract_ozon")
        _landing(case, run_id)
        before = stack.cluster.postmaster_pid()
        stack.cluster.restart()  # the case's private cluster, never the shared server
        after = stack.cluster.postmaster_pid()
        assert after != before, "the warehouse server restarted"
        running = {
            t: s
            for t, (s, _) in stack.tries("extract_ozon", run_id).items()
            if t.startswith("extract_account")
        }
        case.assert_faults_served("ozon")
        case.state.faults.clear("ozon")
        case.evidence.append(f"warehouse postmaster {before} -> {after} with {running}")
        case.assert_success("extract_ozon", run_id, stack.wait("extract_ozon", run_id))
        retried = {t: n for t, (_, n) in stack.tries("extract_ozon", run_id).items() if n > 1}
        outcome.notes.append(f"tasks retried: {retried or 'none (the cut connections were reopened)'}")
        case.check_raw("ozon")
        case.check_effects()
        case.assert_recovered()


@pytest.mark.fault("worker killed mid-task (Ozon)")
def test_worker_killed_mid_task(stack: FaultStack, outcome) -> None:
    with stack.case("worker_killed") as case:
        outcome.case = case
        case.faults("ozon", SLOW_OZON)
        run_id = case.run("extract_ozon")
        index, pid = _landing(case, run_id)
        ancestors = {p.pid for p in psutil.Process(pid).parents()}
        assert stack.scheduler_pid() in ancestors, (
            f"pid {pid} is not a task process of this stack's scheduler"
        )
        os.kill(pid, signal.SIGKILL)
        case.assert_faults_served("ozon")
        case.state.faults.clear("ozon")
        case.evidence.append(f"SIGKILL to extract_account[{index}] (pid {pid})")
        case.assert_success("extract_ozon", run_id, stack.wait("extract_ozon", run_id))
        tries = stack.tries("extract_ozon", run_id)[f"extract_account[{index}]"][1]
        assert tries >= 2, "Airflow retried it"
        outcome.notes.append(f"Airflow retried the killed task (try {tries})")
        case.check_raw("ozon")
        case.check_effects()
        case.assert_recovered()


@pytest.mark.fault("scheduler restarted mid-run (Ozon)")
def test_scheduler_restarted_mid_run(stack: FaultStack, outcome) -> None:
    with stack.case("scheduler_restart") as case:
        outcome.case = case
        case.faults("ozon", SLOW_OZON)
        run_id = case.run("extract_ozon")
        index, _ = _landing(case, run_id)
        killed = stack.crash_scheduler()
        case.assert_faults_served("ozon")
        case.state.faults.clear("ozon")
        case.evidence.append(
            f"SIGKILL to the scheduler's process group (pid {killed}) while extract_account[{index}] ran; restarted"
        )
        case.assert_success("extract_ozon", run_id, stack.wait("extract_ozon", run_id))
        tries = json.dumps({t: n for t, (_, n) in stack.tries("extract_ozon", run_id).items() if n > 1})
        outcome.notes.append(f"tasks tried again: {tries}")
        case.check_raw("ozon")
        case.check_effects()
        case.assert_recovered()
