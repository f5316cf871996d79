"""Reverse-ETL benchmark, reservations: latency from a new order's first appearance in the marketplace API to its
posted ЗаказКлиента in 1C, while orders keep arriving at 100,000/day; peak RSS of the pushing process.

Builds a small history (``--history-orders`` over one day), serves every emulator in a separate process (its
memory is not counted), extracts it into a throwaway warehouse and builds ``+sync_onec__reservations`` with dbt.
Then, for ``--minutes``:

- a ticker thread advances the emulators' clock with the wall clock every ``--tick-s`` seconds, and the world's
  own order generator makes orders at ``--orders-per-day`` (its hour-of-day profile scaled so that the hour the
  benchmark runs in has that rate): an order's *arrival* is the moment the tick that made it visible returned;
- every ``--cycle-s`` seconds (the push_reservations DAG runs every minute) one cycle runs the production code
  path: the new-order polls of every cabinet (shared Postgres rate limiter), the sync view, enqueue, drain.

Every ``--stock-every`` cycles (push_stock: every 10 minutes and on 1C stock) a stock cycle re-extracts 1C stock and
pushes the four ``*_stocks`` targets (``bench/reverse_etl_stock.py``): printed per target, the requests it made
against the minimum ``ceil(changed SKUs / batch max)`` per request scope (target ≤ 1.05), and a cross-check against
the emulators' own world (every acknowledged stock is what the vendor holds; the vendor logged no more writes than
requests), and a reservation cross-check (no order acknowledged twice in the outbox). The benchmark exits
non-zero when a cross-check fails.

Printed: own-stock orders that arrived, reserved (acknowledged), parked (1C refused: no stock; unmapped SKU),
still pending; latency p50/p95/max (target p95 < 2 min) from arrival to ``ops.outbox.acknowledged_at``; the
cycle's parts (poll, enqueue, drain) p50/max; the sync view read directly vs ``dbt run`` of the model (why the
DAG reads the view instead of running dbt every minute); peak RSS of this process (target < 500 MB).

Usage: ``python bench/reverse_etl.py [--minutes 6] [--cycle-s 60] [--orders-per-day 100000] [--stock-every 2]
[--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict

from sellerflow.extract.account import extract_account
from sellerflow.orchestration.connections import onec_settings
from sellerflow.orchestration.dbt_cli import run_dbt
from sellerflow.reverse_etl import accounts as settings
from sellerflow.reverse_etl.new_orders import ensure_tables, poll_new_orders
from sellerflow.reverse_etl.push import push
from sellerflow.reverse_etl.targets.onec_reservations import OneCReservations
from sellerflow.sources.account import MarketplaceAccount
from sellerflow.sources.onec import OneCBase
from sellerflow.sources.onec.extract import extract_catalogs, extract_documents, extract_stock
from sellerflow.warehouse.migrations import migrate
from sellerflow_emulators.runtime import format_ts, parse_ts
from sellerflow_emulators.scenario.orders import UTC_HOUR_WEIGHTS
from sellerflow_emulators.scenario.params import VENDOR_PORT_OFFSETS
from sellerflow_emulators.testing import free_port
from sellerflow_emulators.testing.extract import FAST, accounts

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reverse_etl_stock import StockBench

MARKETPLACES = ("ozon", "wildberries", "yandex_market", "megamarket")


def _database() -> tuple[str, str]:
    admin = os.environ.get("SELLERFLOW_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"sellerflow_bench_retl_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}" owner sellerflow')
    params = conninfo_to_dict(admin)
    host, port = params.get("host") or "127.0.0.1", params.get("port") or 5432
    return admin, f"postgresql://sellerflow:sellerflow@{host}:{port}/{name}"


def _drop(admin: str, dsn: str) -> None:
    name = conninfo_to_dict(dsn)["dbname"]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def _free_base_port() -> int:
    while True:
        port = free_port()
        if port + 6 < 65535 and all(_is_free(port + i) for i in range(6)):
            return port


def _is_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] if ordered else float("nan")


class Ticker(threading.Thread):
    """Moves the emulators' clock with the wall clock; records when each own-stock order became visible."""

    def __init__(self, admin_url: str, world: Path, tick_s: float) -> None:
        super().__init__(daemon=True)
        self.admin_url, self.world, self.tick_s = admin_url, world, tick_s
        self.arrivals: dict[tuple[str, str], float] = {}
        self.stop = threading.Event()
        self.lock = threading.Lock()
        conn = sqlite3.connect(world)
        self.last_id = conn.execute("select coalesce(max(id), 0) from orders").fetchone()[0]
        conn.close()
        self.clock = parse_ts(httpx.get(f"{admin_url}/clock").json()["clock"])

    def now(self) -> datetime:
        with self.lock:
            return self.clock

    def run(self) -> None:
        conn = sqlite3.connect(self.world)
        started = time.monotonic()
        origin = self.clock
        while not self.stop.wait(self.tick_s):
            target = origin + timedelta(seconds=round(time.monotonic() - started))
            httpx.post(f"{self.admin_url}/clock", json={"to": format_ts(target)}, timeout=120)
            seen = time.time()
            rows = conn.execute(
                "select id, account_id, order_number from orders where id > ? and scheme in ('fbs', 'dbs')",
                (self.last_id,),
            ).fetchall()
            (self.last_id,) = conn.execute("select coalesce(max(id), 0) from orders").fetchone()
            with self.lock:
                self.clock = target
                for _, account_id, number in rows:
                    self.arrivals.setdefault((account_id, number), seen)
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=6.0)
    parser.add_argument("--cycle-s", type=float, default=60.0, help="push cycle period (the DAG: 60 s)")
    parser.add_argument("--tick-s", type=float, default=5.0, help="clock step of the emulators")
    parser.add_argument("--orders-per-day", type=int, default=100_000)
    parser.add_argument("--history-orders", type=int, default=2_000, help="orders of the one-day history")
    parser.add_argument("--stock-every", type=int, default=2, help="a stock cycle every N push cycles")
    parser.add_argument("--keep", type=Path, help="keep the world in this directory")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-retl-"))
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "sellerflow_emulators", "scenario", "--seed", "5", "--days", "1",
         "--orders-per-day", str(args.history_orders), "--out", str(work)],
        check=True, capture_output=True,
    )  # fmt: skip
    world = work / "world.sqlite"
    with sqlite3.connect(world) as conn:  # new orders arrive at the benchmark's rate from now on
        (raw,) = conn.execute("select value from meta where key = 'scenario'").fetchone()
        scenario = json.loads(raw)
        (clock,) = conn.execute("select value from meta where key = 'clock'").fetchone()
        # the world's orders follow the hours of a Moscow day; scale so that *this* hour runs at the asked rate
        hour_weight = UTC_HOUR_WEIGHTS[parse_ts(clock).hour] / (sum(UTC_HOUR_WEIGHTS) / 24)
        scenario["orders_per_day"] = round(args.orders_per_day / hour_weight)
        conn.execute("update meta set value = ? where key = 'scenario'", (json.dumps(scenario),))
    base_port = _free_base_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "sellerflow_emulators", "serve", "--world", str(world), "--base-port", str(base_port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    admin, dsn = _database()
    try:
        admin_url = f"http://127.0.0.1:{base_port}"
        for _ in range(100):
            try:
                if httpx.get(f"{admin_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        return _run(args, work, world, admin_url, base_port, dsn)
    finally:
        server.terminate()
        server.wait(timeout=30)
        _drop(admin, dsn)


def _run(args: argparse.Namespace, work: Path, world: Path, admin_url: str, base_port: int, dsn: str) -> int:
    started = time.monotonic()
    bases, cabinets = _setup(work, admin_url, base_port, dsn)
    if bases is None:
        return 1
    setup_s = time.monotonic() - started
    target = OneCReservations(bases.__getitem__)
    ticker = Ticker(admin_url, world, args.tick_s)
    stock = StockBench(dsn, world, cabinets)

    def stock_cycle(clock: datetime) -> None:
        for base in bases.values():
            extract_stock(base, dsn, "bench", clock)
        stock.cycle()

    def cycle(clock: datetime) -> dict[str, float]:
        t0 = time.monotonic()
        for account in cabinets:
            poll_new_orders(account, dsn, "bench", clock)
        t1 = time.monotonic()
        out = push(dsn, target)
        return {"poll_s": t1 - t0, "enqueue_s": out["enqueue_s"], "drain_s": out["drain_s"],
                "total_s": time.monotonic() - t0, "sent": out["sent"]}  # fmt: skip

    backlog = cycle(ticker.now())  # the orders already waiting: reserved once, not timed
    stock_cycle(ticker.now())  # the first publication: every SKU
    ticker.start()
    cycles: list[dict[str, float]] = []
    deadline = time.monotonic() + args.minutes * 60
    next_at = time.monotonic() + args.cycle_s
    while time.monotonic() < deadline:
        time.sleep(max(0.0, min(next_at, deadline) - time.monotonic()))
        if time.monotonic() < deadline:
            cycles.append(cycle(ticker.now()))
            if len(cycles) % args.stock_every == 0:
                stock_cycle(ticker.now())
            next_at += args.cycle_s
    ticker.stop.set()
    ticker.join()
    cycles.append(cycle(ticker.now()))  # the last arrivals get their cycle too
    end = time.time()
    print(f"setup (history of {args.history_orders} orders, extraction, dbt): {setup_s:.0f} s; "
          f"backlog cycle: {backlog['sent']:.0f} orders in {backlog['total_s']:.1f} s")  # fmt: skip
    doubled = _report(args, dsn, work, ticker.arrivals, cycles, end)
    for line in stock.report():
        print(line)
    print("reservation cross-check:", f"FAILED: {doubled} orders reserved twice" if doubled else "ok")
    return 1 if stock.failures or doubled else 0


def _setup(
    work: Path, admin_url: str, base_port: int, dsn: str
) -> tuple[dict[str, OneCBase] | None, list[MarketplaceAccount]]:
    """Extract the history, store the cabinets' settings, build the model; (bases, cabinets)."""
    document = json.loads((work / "accounts.json").read_text())
    now = parse_ts(httpx.get(f"{admin_url}/clock").json()["clock"])
    migrate(dsn)
    bases: dict[str, OneCBase] = {}
    for conn in document["connections"]:
        if conn["conn_id"].startswith("onec_"):
            base_id = conn["conn_id"].removeprefix("onec_")
            url = f"http://127.0.0.1:{base_port + VENDOR_PORT_OFFSETS['onec']}/{base_id}/odata/standard.odata"
            bases[base_id] = OneCBase(
                base_id, url, conn["login"], conn["password"], **onec_settings(conn["extra"])
            )
    for base in bases.values():
        for step in (extract_catalogs, extract_documents, extract_stock):
            step(base, dsn, "bench", now)
    organizations = {b.base_id: b.organization_key for b in bases.values()}
    cabinets = []
    for marketplace in MARKETPLACES:
        url = f"http://127.0.0.1:{base_port + VENDOR_PORT_OFFSETS[marketplace]}"
        for account in accounts(work, marketplace, url, horizon_days=3):
            extract_account(account, dsn, "bench", now, force=True, client_options=FAST)
            cabinets.append(account)
    settings.store(dsn, [(a, settings.reservation_settings(a, organizations)) for a in cabinets])
    ensure_tables(dsn)
    for cmd in (("seed",), ("run", "--select", "+sync_onec__reservations", "+int_reverse_etl__free_stock+")):
        built = run_dbt(dsn, work / "dbt", *cmd)
        if built.returncode:
            print(built.stdout[-3000:])
            return None, cabinets
    return bases, cabinets


def _report(
    args: argparse.Namespace,
    dsn: str,
    work: Path,
    arrivals: dict[tuple[str, str], float],
    cycles: list[dict[str, float]],
    end: float,
) -> int:
    """Print the reservation figures; returns how many orders were reserved (acknowledged) more than once."""
    view_s, dbt_s = _view_vs_dbt(dsn, work)
    with psycopg.connect(dsn) as conn:
        (doubled,) = conn.execute(
            "select count(*) from (select 1 from ops.outbox where target = 'onec_reservations'"
            " and state = 'acknowledged' group by payload->>'account_id', payload->>'order_number' having count(*) > 1) d"
        ).fetchone()  # type: ignore[misc]
        rows = conn.execute(
            "select payload->>'account_id', payload->>'order_number', state, extract(epoch from acknowledged_at),"
            " coalesce(reason, '') from ops.outbox where state <> 'superseded'"
        ).fetchall()
    items = {(a, n): (s, at, r) for a, n, s, at, r in rows}
    latencies, counts = [], {"reserved": 0, "stock": 0, "other": 0, "pending": 0}
    for key, arrived in arrivals.items():
        state, acked, reason = items.get(key, ("not enqueued", None, ""))
        if state == "acknowledged" and acked is not None:
            counts["reserved"] += 1
            latencies.append(float(acked) - arrived)
        elif state == "parked":
            counts["stock" if "Недостаточно" in reason else "other"] += 1
        else:
            counts["pending"] += 1
            latencies.append(end - arrived)  # censored: counted at least this late
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.minutes:g} min at {args.orders_per_day:,} orders/day, a push cycle every {args.cycle_s:g} s:"
    )
    print(f"  own-stock orders arrived     {len(arrivals):>6}")
    print(f"  reserved (posted in 1C)      {counts['reserved']:>6}")
    print(f"  parked: 1C refused (stock)   {counts['stock']:>6}")
    print(f"  parked: other (unmapped ...) {counts['other']:>6}")
    print(f"  not reserved at the end      {counts['pending']:>6}")
    if latencies:
        print(f"  latency arrival → posted reservation: p50 {_percentile(latencies, 0.5):.0f} s, "
              f"p95 {_percentile(latencies, 0.95):.0f} s, max {max(latencies):.0f} s (target p95 < 120 s)")  # fmt: skip
    for part in ("poll_s", "enqueue_s", "drain_s", "total_s"):
        values = [c[part] for c in cycles]
        print(f"  cycle {part[:-2]:<8} p50 {statistics.median(values):6.2f} s   max {max(values):6.2f} s")
    print(f"  desired state: the view read directly {view_s:.2f} s vs `dbt run` of the model {dbt_s:.1f} s "
          f"({dbt_s / max(view_s, 1e-3):.0f}x)")  # fmt: skip
    print(f"  peak RSS of the pushing process: {rss_mb:.0f} MB (target < 500 MB)")
    print(f"  orders reserved twice        {doubled:>6}")
    return int(doubled)


def _view_vs_dbt(dsn: str, work: Path) -> tuple[float, float]:
    with psycopg.connect(dsn) as conn:
        t0 = time.monotonic()
        conn.execute("select count(*) from marts.sync_onec__reservations").fetchone()
        view_s = time.monotonic() - t0
    t0 = time.monotonic()
    run_dbt(dsn, work / "dbt", "run", "--select", "sync_onec__reservations")
    return view_s, time.monotonic() - t0


if __name__ == "__main__":
    sys.exit(main())
