"""Extraction benchmark: API calls made vs the minimum the data needs, records/s, peak RSS of the extractor.

Builds a 1-day × 100,000-order scenario (all marketplaces; the Ozon cabinets get their share), serves the
vendor emulator in a separate process (so its memory is not counted), extracts every stream of every
account of the vendor into a throwaway warehouse database with the production code path (Postgres rate
limiter included), then prints per stream:

- calls made vs the minimum, ``ceil(records / page max)`` per paged method (products also need one detail
  call per 1,000 ids; a monthly report needs one call per month asked) — target ≤ 1.05;
- records/s over the whole extraction;
- peak RSS of this process (``ru_maxrss``) — target < 500 MB: pages are streamed, never the whole history.

Vendors plug in through ``PAGE_MAX`` (page size per method of each stream) and ``EMULATORS``.
Every vendor runs by default (``--vendor all``, what ``make bench`` runs), one after the other on the same
scenario; the exit code is non-zero when any vendor misses a target or a stream has no page maximum here.
Usage: ``python bench/extract.py [--orders 100000] [--vendor all|ozon|...] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sellerflow.extract.account import extract_account
from sellerflow.warehouse.migrations import migrate
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import free_port
from sellerflow_emulators.testing.extract import accounts, generate_world

# stream → page maxima of the paged methods it calls (one entry per method); None = one call per period;
# an int = that many calls per period (an asynchronous report: generate, one status poll, download)
PAGE_MAX: dict[str, dict[str, tuple[int, ...] | int | None]] = {
    "ozon": {
        "warehouses": (200,),
        "products": (1000, 1000),  # /v3/product/list, then /v3/product/info/list per 1,000 ids
        "stocks": (1000,),
        "prices": (1000,),
        "postings_fbs": (100,),
        "postings_fbo": (100,),
        "realization": None,
    },
    "megamarket": {
        "shipments": (1000, 1000),  # order/search ids, then order/get per 1,000 ids
        "commission_report": None,
    },
    "yandex_market": {
        "api_key": (1,),
        "campaigns": (100,),
        "warehouses": (30,),
        "offer_mappings": (100,),
        "stocks": (200,),
        # getDefaultPrices' quota counts the answer's offers (5,000/min): pages are the limiter's bucket, 450 offers
        "prices": (450,),
        "orders": (50,),
        "realization": 3,  # generate → getReportInfo (DONE) → file, per campaign and month
        "services": 3,  # generate → getReportInfo (DONE) → file, per cabinet (business) and month
    },
    "wildberries": {
        "warehouses": None,
        "products": (100,),  # content cards, cursor pages of 100
        "stocks": (1000, 1_000_000),  # chrtIds by 1,000 per warehouse, plus the one warehouse list
        "prices": (1000,),
        "orders_fbs": (1000,),
        "orders_fbs_new": None,
        "order_statuses": (1000,),
        "orders": (80_000,),  # statistics feeds: about 80,000 rows per answer
        "sales": (80_000,),
        "realization": None,  # one list call per run that has weeks due (rows: one call per 100,000)
    },
}
# Connection extras per vendor. Yandex Market's report quota is 1 generate per 2 minutes: with the default
# 90-day horizon a 1-day world would spend 6 minutes waiting to ask for three empty months.
# Wildberries: a 1-day world needs a 2-day horizon (the default 90 days would ask three empty 30-day windows
# of FBS tasks, each a call, against the 1/min finance quota nothing changes).
ACCOUNT_EXTRA: dict[str, dict[str, object]] = {
    "yandex_market": {"horizon_days": 1},
    "wildberries": {"horizon_days": 2},
}
EMULATORS = {
    "ozon": "sellerflow_emulators.ozon",
    "megamarket": "sellerflow_emulators.megamarket",
    "yandex_market": "sellerflow_emulators.yandex_market",
    "wildberries": "sellerflow_emulators.wildberries",
}
TARGET_RATIO = 1.05
TARGET_RSS_MB = 500


def minimum_calls(vendor: str, stream: dict) -> int:
    """The fewest calls that could return the stream's records."""
    pages = PAGE_MAX[vendor][stream["stream"]]
    if pages is None:
        return stream["slices"]  # one call per report period that had to be asked
    if isinstance(pages, int):
        return stream["slices"] * pages
    return sum(max(1, math.ceil(stream["records"] / size)) for size in pages)


def serve(vendor: str, world: Path) -> tuple[subprocess.Popen, str]:
    """The vendor emulator in its own process on a free port."""
    port = free_port()
    code = (
        "import sys, uvicorn; from importlib import import_module; "
        "from sellerflow_emulators.runtime import EmulatorState; "
        f"app = import_module({EMULATORS[vendor]!r}).create_app(EmulatorState(sys.argv[1])); "
        f"uvicorn.run(app, host='127.0.0.1', port={port}, log_level='warning')"
    )
    process = subprocess.Popen([sys.executable, "-c", code, str(world)])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.post(f"{url}/health-check-probe", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the emulator did not start")


def throwaway_database() -> tuple[str, str]:
    """(admin DSN, DSN of a new database)."""
    admin = os.environ.get("SELLERFLOW_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"sellerflow_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    params = conninfo_to_dict(admin)
    params["dbname"] = name
    return admin, make_conninfo(**params)


def run_vendor(vendor: str, out: Path, orders: int) -> bool:
    """Extract every account of ``vendor`` from its emulator, print the figures; whether the targets are met."""
    now = EmulatorState(out / "world.sqlite").now()
    process, url = serve(vendor, out / "world.sqlite")
    admin, dsn = throwaway_database()
    try:
        migrate(dsn)
        started = time.perf_counter()
        results = [
            extract_account(account, dsn, "bench", now, force=True)
            for account in accounts(out, vendor, url, **ACCOUNT_EXTRA.get(vendor, {}))
        ]
        seconds = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=10)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{conninfo_to_dict(dsn)["dbname"]}" with (force)')
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{vendor}: {len(results)} accounts, 1 day × {orders:,} orders (all marketplaces)")
    print(f"{'account':<20}{'stream':<16}{'records':>10}{'calls':>8}{'minimum':>9}{'ratio':>8}")
    made = needed = records = 0
    unknown = [s["stream"] for r in results for s in r["streams"] if s["stream"] not in PAGE_MAX[vendor]]
    if unknown:
        print(f"FAIL: no page maximum for {vendor} streams {sorted(set(unknown))} (add them to PAGE_MAX)")
        return False
    for result in results:
        for stream in result["streams"]:
            low = minimum_calls(vendor, stream)
            made, needed, records = made + stream["api_calls"], needed + low, records + stream["records"]
            ratio = stream["api_calls"] / low if low else float("nan")
            print(
                f"{result['account_id']:<20}{stream['stream']:<16}{stream['records']:>10,}"
                f"{stream['api_calls']:>8}{low:>9}{ratio:>8.3f}"
            )
    ratio = made / needed
    print(f"\nAPI calls made / minimum: {made} / {needed} = {ratio:.3f} (target ≤ {TARGET_RATIO})")
    print(f"records: {records:,} in {seconds:.1f} s = {records / seconds:,.0f} records/s")
    print(f"peak RSS of the extraction process: {rss_mb:.0f} MB (target < {TARGET_RSS_MB} MB)")
    ok = ratio <= TARGET_RATIO and rss_mb < TARGET_RSS_MB
    if not ok:
        print(f"FAIL: {vendor} missed a target")
    return ok


def main() -> int:
    """Run the benchmark for one vendor or all of them; 1 when any misses a target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders per day across all cabinets")
    parser.add_argument("--vendor", default="all", choices=["all", *sorted(PAGE_MAX)])
    parser.add_argument("--keep", help="directory for the scenario (reused when it already holds one)")
    args = parser.parse_args()
    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="sellerflow-bench-"))
    if not (out / "world.sqlite").exists():
        print(f"generating 1 day × {args.orders:,} orders into {out} …", flush=True)
        scenario = ("--seed", "11", "--days", "1", "--orders-per-day", str(args.orders))
        generate_world(out, scenario)
    vendors = sorted(PAGE_MAX) if args.vendor == "all" else [args.vendor]
    failed = [vendor for vendor in vendors if not run_vendor(vendor, out, args.orders)]
    if failed:
        print(f"\nFAIL: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
