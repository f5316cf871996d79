"""TSD API benchmark: 50 devices on loopback claim, scan and finish pick lists at the same time.

A throwaway warehouse gets a synthetic demand (``--devices`` lists of ``--orders`` orders each, 1–3 units per
order line, spread over cells) and the pick lists are built by the production builder. The TSD app runs under
uvicorn in its own process(es) (``--workers``, default 2 for 2 cores); one asyncio client plays every device:

After a warm-up (not measured; as on a running server, the app's connection pools are filled and every device has
downloaded its list twice, so the Postgres backends have the lists' reads planned and cached):

1. ``GET /pick-lists`` (devices switched on within one second);
2. every device tries to claim its own list *and* one list of another device at the same moment (contention:
   100 claims at once; the own-list claims are sent first, so a device normally gets one list);
3. ``GET`` the list;
4. one scan per unit (quantity 1, a client scan id), every 10th scan posted twice with the same id (a retry after
   a lost answer), a pause of ``--think-ms`` between scans (default 500 ms: 2 scans a second per device, faster
   than a picker walking the cells; ``--think-ms 0`` fires back to back and measures saturation instead);
5. ``finish``.

Printed: p50/p95/max latency per request kind and overall (target p95 < 200 ms on 2 cores), requests per
second, the load average, the CPU time the run cost (the app's processes, the Postgres backends of its
connections when Postgres runs on this machine, the client: per request it hardly depends on the machine's
other load, which the latencies do), double claims (a list two devices both claimed: must be 0), lost scans
(accepted, not in the database) and doubled scans (a retried id counted twice), lists finished with a shortage
(must be 0: every unit is scanned). The cross-check reads the database; the script exits 1 when it fails
(latency is reported, not enforced). The devices' client is :class:`RawClient` unless ``--client httpx``.

Usage: ``python bench/tsd.py [--devices 50] [--orders 8] [--workers 2] [--think-ms 500] [--client raw|httpx]
[--keep]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httptools
import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict

from sellerflow.picking import devices
from sellerflow.picking.builder import build_pick_lists
from sellerflow.warehouse.migrations import migrate

WAREHOUSE = "bench-warehouse"
DEMAND_DDL = """
create schema if not exists marts;
create table marts.pick_demand (
    marketplace text, account_id text, order_number text, posting_number text, order_group text, unit_ref text,
    created_at text, warehouse_key text, warehouse_name text, product_ref text, offer_id text, article text,
    product_name text, barcodes text[], cell text, quantity integer, is_cancelled boolean,
    vendor_status text, awaiting_assembly boolean
)
"""
MARKETPLACES = ("ozon", "wildberries", "yandex_market", "megamarket")


@contextmanager
def throwaway_database(keep: bool):
    admin = os.environ.get("SELLERFLOW_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"sellerflow_bench_tsd_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}" owner sellerflow')
    params = conninfo_to_dict(admin)
    host, port = params.get("host") or "127.0.0.1", params.get("port") or 5432
    try:
        yield f"postgresql://sellerflow:sellerflow@{host}:{port}/{name}"
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'drop database if exists "{name}" with (force)')


def demand_rows(lists: int, orders: int, seed: int = 7) -> list[tuple]:
    """Synthetic orders: ``lists * orders`` postings, 1–3 lines of 1–3 units, 200 items over 60 cells."""
    rng = random.Random(seed)
    rows = []
    for n in range(lists * orders):
        marketplace = MARKETPLACES[n % 4]
        posting = f"P{n:06d}"
        for line in range(rng.randint(1, 3)):
            item = rng.randrange(200)
            quantity = rng.randint(1, 3)
            units = [1] * quantity if marketplace in ("wildberries", "megamarket") else [quantity]
            for k, qty in enumerate(units):
                rows.append((
                    marketplace, f"{marketplace}_main", posting, posting if marketplace != "wildberries" else f"{posting}-{line}-{k}",
                    posting, f"{line}-{k}", f"2026-12-05T{n % 24:02d}:00:00Z", WAREHOUSE, "Склад бенчмарка",
                    f"ref-{item}", f"SKU-{item}", f"SKU-{item}", f"Товар {item}", [f"46{item:011d}"],
                    f"R{item % 60:02d}-{item % 7}", qty, False, None, True,
                ))  # fmt: skip
    return rows


def prepare(dsn: str, lists: int, orders: int, device_count: int) -> list[str]:
    migrate(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(DEMAND_DDL)
        with conn.cursor() as cur:
            cur.executemany(
                "insert into marts.pick_demand values (" + ", ".join(["%s"] * 19) + ")",
                demand_rows(lists, orders),
            )
    result = build_pick_lists(dsn, max_orders=orders)
    assert len(result.lists_created) >= lists, result.as_dict()
    return [devices.issue(dsn, f"bench-{n:02d}", WAREHOUSE) for n in range(device_count)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 when it is gone or not on this machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU time spent by the app's processes (the uvicorn supervisor and its workers) and by the Postgres backends
    serving the bench database, from ``/proc`` (Postgres's only when it runs on this machine)."""

    def __init__(self, dsn: str, server_pid: int) -> None:
        self.dsn, self.server_pid = dsn, server_pid
        self.start: dict[str, dict[int, float]] = {}
        self.spent: dict[str, float] = {}

    def _pids(self) -> dict[str, list[int]]:
        children = Path(f"/proc/{self.server_pid}/task/{self.server_pid}/children").read_text().split()
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            backends = conn.execute(
                "select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"
            ).fetchall()
        return {"app": [self.server_pid, *map(int, children)], "postgres": [pid for (pid,) in backends]}

    def begin(self) -> None:
        self.start = {kind: {pid: cpu_seconds(pid) for pid in pids} for kind, pids in self._pids().items()}

    def end(self) -> None:
        self.spent = {
            kind: sum(cpu_seconds(pid) - self.start[kind].get(pid, 0.0) for pid in pids)
            for kind, pids in self._pids().items()
        }


@contextmanager
def serve(dsn: str, workers: int):
    port = free_port()
    env = {**os.environ, "SELLERFLOW_WAREHOUSE_DSN": dsn}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "sellerflow.picking.api:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/me").status_code == 401:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("the TSD app did not start")
            time.sleep(0.2)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(20)


@dataclass
class Answer:
    """What :class:`RawClient` got back (the part of an httpx response the bench reads)."""

    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class _Unanswered(ConnectionError):
    """The connection closed before a byte of the answer came."""


class _Parsed:
    """httptools' callbacks for one response."""

    def __init__(self) -> None:
        self.body: list[bytes] = []
        self.complete = False

    def on_body(self, data: bytes) -> None:
        self.body.append(data)

    def on_message_complete(self) -> None:
        self.complete = True


class RawClient:
    """One device's HTTP/1.1 keep-alive client on asyncio streams and httptools' parser (the C parser uvicorn
    uses). The client runs on the same 2 cores as the app: httpx spends about 0.7 ms of CPU per request, which
    in the burst of 100 claims is some 70 ms of one core, waited for by every claim and counted in its latency.
    This client spends a tenth of that. ``--client httpx`` measures with httpx."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        url = urlsplit(base_url)
        self.host, self.port, self.prefix = url.hostname or "127.0.0.1", url.port or 80, url.path
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.head = f"Host: {self.host}:{self.port}\r\n{extra}"
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def get(self, path: str) -> Answer:
        return await self.request("GET", path)

    async def post(self, path: str, json: Any = None) -> Answer:
        return await self.request("POST", path, None if json is None else json_dumps(json))

    async def request(self, method: str, path: str, body: bytes | None = None) -> Answer:
        payload = body or b""
        kind = "Content-Type: application/json\r\n" if body is not None else ""
        message = (
            f"{method} {self.prefix}{path} HTTP/1.1\r\n{self.head}{kind}Content-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload
        if self.idle:
            reader, writer = self.idle.pop()
            try:
                return await self._exchange(reader, writer, message)
            except _Unanswered:  # the server had closed the idle connection (keep-alive timeout): send again
                writer.close()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return await self._exchange(reader, writer, message)

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, message: bytes
    ) -> Answer:
        writer.write(message)
        parsed = _Parsed()
        parser = httptools.HttpResponseParser(parsed)
        received = False
        while not parsed.complete:
            try:
                data = await reader.read(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                if received:
                    raise ConnectionError("the connection closed in the middle of an answer")
                raise _Unanswered("the connection closed before any answer")
            received = True
            parser.feed_data(data)
        if parser.should_keep_alive():
            self.idle.append((reader, writer))
        else:
            writer.close()
        return Answer(parser.get_status_code(), b"".join(parsed.body))

    async def aclose(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


def json_dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


Client = RawClient | httpx.AsyncClient


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.claims: dict[int, set[str]] = defaultdict(set)
        self.accepted: dict[str, int] = {}  # scan_id -> list id, answered ok
        self.duplicates_ok = 0
        self.errors: list[str] = []

    async def timed(self, kind: str, coro):
        start = time.perf_counter()
        response = await coro
        self.latency[kind].append((time.perf_counter() - start) * 1000)
        return response


async def pick(client: Client, name: str, list_id: int, stats: Stats, think_s: float) -> None:
    """Download a claimed list, scan every unit (every 10th twice, same id), finish."""
    doc = await stats.timed("download", client.get(f"/pick-lists/{list_id}"))
    n = 0
    for line in doc.json()["lines"]:
        for _ in range(line["quantity"] - line["picked"]):
            n += 1
            if think_s:
                await asyncio.sleep(random.uniform(0.5, 1.5) * think_s)
            scan_id = str(uuid.uuid4())
            body = {"scan_id": scan_id, "barcode": line["barcodes"][0], "quantity": 1}
            answer = await stats.timed("scan", client.post(f"/pick-lists/{list_id}/scans", json=body))
            if answer.status_code != 200:
                stats.errors.append(f"{name}: scan {answer.status_code} {answer.text[:200]}")
                continue
            stats.accepted[scan_id] = list_id
            if n % 10 == 0:  # the answer was "lost": the device posts the same scan again
                again = await stats.timed("scan", client.post(f"/pick-lists/{list_id}/scans", json=body))
                if again.status_code == 200 and again.json()["result"] == "duplicate":
                    stats.duplicates_ok += 1
                else:
                    stats.errors.append(f"{name}: retried scan {again.status_code} {again.text[:200]}")
    done = await stats.timed("finish", client.post(f"/pick-lists/{list_id}/finish"))
    if done.status_code != 200:
        stats.errors.append(f"{name}: finish {done.status_code} {done.text[:200]}")


async def device(
    client: Client,
    name: str,
    lists: tuple[int, int],
    stats: Stats,
    start: asyncio.Event,
    contend: asyncio.Event,
    think_s: float,
) -> None:
    """One device: list, claim its own list and another device's at once, pick what it got."""
    await asyncio.sleep(random.uniform(0, 1))  # devices are switched on within a second, not at one instant
    listed = await stats.timed("list", client.get("/pick-lists"))
    if listed.status_code != 200:
        stats.errors.append(f"{name}: list {listed.status_code}")
        return
    await start.wait()
    own = asyncio.ensure_future(stats.timed("claim", client.post(f"/pick-lists/{lists[0]}/claim")))
    await contend.wait()
    other = stats.timed("claim", client.post(f"/pick-lists/{lists[1]}/claim"))
    answers = await asyncio.gather(own, other)
    for list_id, response in zip(lists, answers, strict=True):
        if response.status_code == 200:
            stats.claims[list_id].add(name)
            await pick(client, name, list_id, stats, think_s)
        elif response.json().get("error") != "claimed_by_other":
            stats.errors.append(f"{name}: claim {list_id} {response.status_code} {response.text[:200]}")


async def run_devices(
    url: str, tokens: list[str], lists: list[int], stats: Stats, think_s: float, meter: CpuMeter, client: str
) -> tuple[float, float]:
    start, contend = asyncio.Event(), asyncio.Event()
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    clients = [
        RawClient(url, {"Authorization": f"Bearer {t}"})
        if client == "raw"
        else httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {t}"}, timeout=60, limits=limits
        )
        for t in tokens
    ]
    # warm-up, not measured, as on a running server: the connection pools filled (3 rounds of 32 concurrent calls),
    # and every Postgres backend has planned and cached the lists' reads (each device downloads its list twice:
    # read only, nothing changes)
    for _ in range(3):
        await asyncio.gather(*(clients[i % len(clients)].get("/me") for i in range(32)))
    n = len(tokens)
    for _ in range(2):
        await asyncio.gather(*(clients[i].get(f"/pick-lists/{lists[i]}") for i in range(n)))
    tasks = [
        asyncio.create_task(
            device(
                clients[i], f"bench-{i:02d}", (lists[i], lists[(i + 1) % n]), stats, start, contend, think_s
            )
        )
        for i in range(n)
    ]
    await asyncio.sleep(1.5)
    meter.begin()
    began, client_cpu = time.perf_counter(), time.process_time()
    start.set()
    # the own-list claims go out first, every contending claim one event-loop turn later: all 100 are in flight
    # together, and a device normally keeps its own list instead of picking two in turn (whichever client)
    await asyncio.sleep(0)
    contend.set()
    await asyncio.gather(*tasks)
    elapsed, client_cpu = time.perf_counter() - began, time.process_time() - client_cpu
    meter.end()
    for client in clients:
        await client.aclose()
    return elapsed, client_cpu


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cross_check(dsn: str, stats: Stats, lists: list[int]) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        stored = dict(conn.execute("select scan_id, pick_list_id from ops.pick_list_scans").fetchall())
        rows = conn.execute("select count(*), count(distinct scan_id) from ops.pick_list_scans").fetchone()
        picked = conn.execute("select coalesce(sum(picked), 0) from ops.pick_list_items").fetchone()[0]
        short = conn.execute(
            "select count(*) from ops.pick_lists where status <> 'finished' or id in "
            "(select pick_list_id from ops.pick_list_items where short <> 0)"
        ).fetchone()[0]
    return {
        "double_claims": sum(1 for holders in stats.claims.values() if len(holders) > 1),
        "lists_claimed": len(stats.claims),
        "lost_scans": sum(1 for s, list_id in stats.accepted.items() if stored.get(s) != list_id),
        "doubled_scans": (rows[0] - rows[1])
        + max(0, len(stored) - len(stats.accepted))
        + (picked - len(stats.accepted)),
        "lists_not_finished_or_short": short,
        "errors": len(stats.errors),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--orders", type=int, default=8, help="orders per pick list")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--think-ms", type=float, default=500, help="mean pause between a device's scans")
    parser.add_argument(
        "--client", choices=("raw", "httpx"), default="raw", help="the devices' HTTP client (see RawClient)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    args = parser.parse_args()
    with throwaway_database(args.keep) as dsn:
        tokens = prepare(dsn, args.devices, args.orders, args.devices)
        with psycopg.connect(dsn) as conn:
            lists = [r[0] for r in conn.execute("select id from ops.pick_lists order by id").fetchall()]
            units = conn.execute("select sum(quantity) from ops.pick_list_items").fetchone()[0]
        print(
            f"{args.devices} devices, {len(lists)} pick lists, {units} units, uvicorn workers: {args.workers},"
            f" client: {args.client}"
        )
        stats = Stats()
        load_before = os.getloadavg()[0]
        with serve(dsn, args.workers) as (url, server_pid):
            meter = CpuMeter(dsn, server_pid)
            elapsed, client_cpu = asyncio.run(
                run_devices(
                    url, tokens, lists[: args.devices], stats, args.think_ms / 1000, meter, args.client
                )
            )
        everything = [v for values in stats.latency.values() for v in values]
        print(
            f"{len(everything)} requests in {elapsed:.1f} s ({len(everything) / elapsed:.0f}/s),"
            f" load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}"
        )
        holders = [name for names in stats.claims.values() for name in names]
        twice = sum(1 for name in set(holders) if holders.count(name) > 1)
        print(f"devices that won both their claims (and pick two lists in turn): {twice}")
        per_request = {kind: 1000 * spent / len(everything) for kind, spent in meter.spent.items()}
        print(
            f"CPU: app {meter.spent['app']:.1f} s ({per_request['app']:.2f} ms/request),"
            f" Postgres backends {meter.spent['postgres']:.1f} s ({per_request['postgres']:.2f} ms/request),"
            f" client {client_cpu:.1f} s"
        )
        print(f"{'request':<10}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
        for kind in ("list", "claim", "download", "scan", "finish"):
            values = stats.latency[kind]
            if values:
                print(
                    f"{kind:<10}{len(values):>7}{statistics.median(values):>9.1f}{pct(values, 0.95):>9.1f}{max(values):>9.1f}"
                )
        p95 = pct(everything, 0.95)
        print(
            f"{'all':<10}{len(everything):>7}{statistics.median(everything):>9.1f}{p95:>9.1f}{max(everything):>9.1f}"
        )
        print(
            f"target p95 < 200 ms: {'met' if p95 < 200 else 'NOT met'} ({p95:.1f} ms, {os.cpu_count()} CPUs)"
        )
        check = cross_check(dsn, stats, lists)
        print(f"retried scans answered 'duplicate': {stats.duplicates_ok}")
        for key, value in check.items():
            print(f"{key}: {value}")
        for error in stats.errors[:10]:
            print("  ", error)
        failed = check["double_claims"] or check["lost_scans"] or check["doubled_scans"] or check["errors"]
        failed = failed or check["lists_not_finished_or_short"] or check["lists_claimed"] != args.devices
        print("cross-check:", "FAILED" if failed else "ok")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
