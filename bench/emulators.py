"""Emulator benchmark: scenario generation time and peak RSS, and the latency of a big list page.

    .venv/bin/python bench/emulators.py [--quick]

Each generation runs in its own subprocess, so its peak RSS is its own. The list-page
latency is measured over real HTTP against the generated 30 x 1000 world: Wildberries
``GET /api/v3/orders?limit=1000`` (a 1,000-order page) and Ozon ``POST /v4/posting/fbs/list``
at its maximum page size of 100; an app that does not exist yet is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

from sellerflow_emulators.runtime import EmulatorState, format_ts
from sellerflow_emulators.server import vendor_factory
from sellerflow_emulators.testing import serve_in_thread

_CHILD = """
import json, resource, sys, time
from datetime import date
from pathlib import Path
from sellerflow_emulators.scenario import ScenarioParams, generate
days, per_day, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
started = time.perf_counter()
summary = generate(out, ScenarioParams(seed=42, days=days, orders_per_day=per_day))
print(json.dumps({"seconds": time.perf_counter() - started, "orders": summary.orders,
                  "report_lines": summary.report_lines,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def generate_in_subprocess(days: int, per_day: int, out: Path) -> dict[str, float]:
    """Run one generation in a fresh interpreter and return its timing and peak RSS."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(days), str(per_day), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median_ms(call: object, rounds: int = 7) -> tuple[float, int]:
    timings, size = [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        size = call()  # type: ignore[operator]
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), size


def page_latency(world: Path) -> list[str]:
    """Latency lines for the vendor list pages (or a note when an app is missing)."""
    state = EmulatorState(world)
    state.limits.enabled = False
    conn = state.conn()
    clock = state.now()
    lines = []
    wb = vendor_factory("wildberries")
    if wb is None:
        lines.append("wildberries GET /api/v3/orders limit=1000: skipped (no wildberries app yet)")
    else:
        token = conn.execute("select token from accounts where id = 'wildberries_main'").fetchone()[0]
        params = {
            "limit": 1000,
            "next": 0,
            "dateFrom": int((clock - timedelta(days=29)).timestamp()),
            "dateTo": int(clock.timestamp()),
        }
        with serve_in_thread(wb(state)) as url, httpx.Client(base_url=url, timeout=60) as client:

            def call() -> int:
                answer = client.get("/api/v3/orders", params=params, headers={"Authorization": token})
                answer.raise_for_status()
                return len(answer.json()["orders"])

            ms, size = _median_ms(call)
        lines.append(f"wildberries GET /api/v3/orders limit=1000: {size} orders, median {ms:.1f} ms")
    ozon = vendor_factory("ozon")
    if ozon is None:
        lines.append("ozon POST /v4/posting/fbs/list limit=100: skipped (no ozon app yet)")
    else:
        client_id, api_key = conn.execute(
            "select client_id, token from accounts where id = 'ozon_main'"
        ).fetchone()
        body = {
            "limit": 100,
            "filter": {"since": format_ts(clock - timedelta(days=60)), "to": format_ts(clock)},
        }
        headers = {"Client-Id": client_id, "Api-Key": api_key}
        with serve_in_thread(ozon(state)) as url, httpx.Client(base_url=url, timeout=60) as client:

            def call() -> int:
                answer = client.post("/v4/posting/fbs/list", json=body, headers=headers)
                answer.raise_for_status()
                return len(answer.json()["postings"])

            ms, size = _median_ms(call)
        lines.append(
            f"ozon POST /v4/posting/fbs/list limit=100 (vendor max): {size} postings, median {ms:.1f} ms"
        )
    return lines


def main() -> int:
    """Run the benchmark and print one line per measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small volumes (smoke run)")
    args = parser.parse_args()
    runs = [(3, 1000), (1, 10_000)] if args.quick else [(30, 1000), (1, 100_000)]
    targets = {(30, 1000): 30.0, (1, 100_000): 60.0}
    problems: list[str] = []  # cross-check: every world has orders, every page has rows
    with tempfile.TemporaryDirectory(prefix="sellerflow-bench-") as tmp:
        first_world = None
        for days, per_day in runs:
            out = Path(tmp) / f"w_{days}x{per_day}"
            result = generate_in_subprocess(days, per_day, out)
            target = targets.get((days, per_day))
            note = f" (target < {target:.0f} s, < 1024 MB)" if target else ""
            print(
                f"scenario {days} d x {per_day}/day: {result['orders']} orders, {result['report_lines']} report "
                f"lines in {result['seconds']:.1f} s, peak RSS {result['peak_rss_mb']:.0f} MB{note}",
                flush=True,
            )
            first_world = first_world or out / "world.sqlite"
            if not result["orders"]:
                problems.append(f"scenario {days} d x {per_day}/day has no orders")
        for line in page_latency(first_world):  # type: ignore[arg-type]
            print(line, flush=True)
            if "skipped" in line or " 0 orders" in line or " 0 postings" in line:
                problems.append(line)
    print("cross-check:", f"FAILED: {'; '.join(problems)}" if problems else "ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
