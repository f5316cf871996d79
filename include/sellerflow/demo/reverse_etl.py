"""`make demo`, reverse-ETL part: give the status and price pushes something to do, run them, print what changed.

The demo's 1C is the emulators' world. After the first push cycle (new orders reserved in 1C), a simulated
warehouse assembles every second order sellerflow reserved (ЗаказКлиента Статус КОтгрузке, as a storekeeper
would set it in 1C); the simulated accountant of the world's clock posts the Реализация once the marketplace took
the order over and closes the ЗаказКлиента (``close_shipped_order``, emulators/clock.py). Then ``extract_onec``
lands the 1C documents, ``transform_dbt`` builds them, and ``push_statuses`` and ``push_prices`` run once; printed: the status and price items per
target and state (acknowledged, parked with a reason, held for approval).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import psycopg

# push_statuses reads 1C progress from the staging tables transform_dbt builds: the transform runs in between
STEP_DAGS = ("extract_onec", "transform_dbt", "push_statuses", "push_prices")


def assemble_reserved_orders(world: Path, dsn: str) -> int:
    """The simulated warehouse: every second ЗаказКлиента sellerflow reserved becomes КОтгрузке; returns how many."""
    with psycopg.connect(dsn) as conn:
        numbers = [
            r[0]
            for r in conn.execute(
                "select payload ->> 'order_number' from ops.outbox_acknowledged where target = 'onec_reservations' "
                "and not coalesce((payload ->> 'cancelled')::boolean, false) order by item_key"
            ).fetchall()
        ][::2]
    db = sqlite3.connect(world / "world.sqlite")
    try:
        with db:
            changed = sum(
                db.execute(
                    "update onec_documents set fields = json_set(fields, '$.Статус', 'КОтгрузке'), "
                    "data_version = data_version || 'a' where doc_type = 'ЗаказКлиента' and posted = 1 "
                    "and customer_order_number = ? and json_extract(fields, '$.Статус') = 'КОбеспечению'",
                    (number,),
                ).rowcount
                for number in numbers
            )
    finally:
        db.close()
    return changed


def _run(api: Any, dag_id: str, timeout_s: float) -> str:
    run_id = api.trigger(dag_id, note="make demo: statuses and prices")
    deadline, state = time.monotonic() + timeout_s, "queued"
    while time.monotonic() < deadline:
        state = api.dag_run(dag_id, run_id)["state"]
        if state in ("success", "failed"):
            break
        time.sleep(2)
    return state


def changed_items(dsn: str) -> list[str]:
    """Status and price items per target and state, with one parked or held reason each as an example."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "select target, state, count(*), min(reason) from ops.outbox "
            "where target like '%\\_statuses' or target like '%\\_prices' group by 1, 2 order by 1, 2"
        ).fetchall()
    return [
        f"  {target:<24} {state:<13} {count:>7,}"
        + (f"   e.g. {' '.join(str(reason).split())[:110]}" if reason else "")
        for target, state, count, reason in rows
    ] or ["  (nothing was due)"]


def demo_reverse_etl(api: Any, dsn: str, world: Path, timeout_s: float) -> bool:
    """Assemble, land and build 1C, push statuses and prices once; print what they changed. True when all are green."""
    assembled = assemble_reserved_orders(world, dsn)
    print(f"Simulated warehouse: {assembled} reserved orders assembled in 1C (Статус КОтгрузке)")
    ok = True
    for dag_id in STEP_DAGS:
        state = _run(api, dag_id, timeout_s)
        print(f"  {dag_id}: {state}")
        ok = ok and state == "success"
    print("What push_statuses and push_prices changed (`python -m sellerflow.reverse_etl status`):")
    print("\n".join(changed_items(dsn)))
    return ok
