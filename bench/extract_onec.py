"""1C document extraction: HTTP requests of an incremental cycle with 100 changed documents out of 100,000,
next to the full load of the same history.

    .venv/bin/python bench/extract_onec.py [--documents 100000] [--changes 100] [--dsn SUPERUSER_DSN]

Builds a world with the scenario generator, adds ``--documents`` ЗаказКлиента / РеализацияТоваровУслуг /
ВозвратТоваровОтКлиента (60/35/5 %) spread over the year before the clock, serves it with the 1C emulator over
real HTTP and lands it into a throwaway warehouse database with ``extract_documents``: first the full load,
then a quiet cycle (nothing changed), then ``--changes`` changes made through the OData write API (edits of
recent orders, re-posted shipments, deletion marks, unposted orders, new orders) and the incremental cycle.
Target: the incremental cycle's requests grow with the changes, not with the history. The database is dropped
at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sellerflow.sources.onec import OneCBase
from sellerflow.sources.onec.extract import extract_documents
from sellerflow.warehouse import migrate
from sellerflow_emulators.onec import create_app
from sellerflow_emulators.runtime import EmulatorState, format_ts, parse_ts
from sellerflow_emulators.testing import serve_in_thread

BASE = "ut_main"
MIX = (("ЗаказКлиента", 0.60), ("РеализацияТоваровУслуг", 0.35), ("ВозвратТоваровОтКлиента", 0.05))


def build_world(out: Path, documents: int, seed: int = 42) -> Path:
    """A generated world plus ``documents`` extra documents of one base, dated over the last 365 days."""
    subprocess.run(
        [sys.executable, "-m", "sellerflow_emulators", "scenario", "--seed", str(seed), "--days", "2",
         "--orders-per-day", "20", "--out", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    world = out / "world.sqlite"
    rng = random.Random(seed)
    with sqlite3.connect(world) as conn:
        clock = parse_ts(conn.execute("select value from meta where key = 'clock'").fetchone()[0])
        org = conn.execute("select ref_key from onec_organizations where base_id = ?", (BASE,)).fetchone()[0]
        warehouse = conn.execute(
            "select id from warehouses where owner = ? order by id", (f"onec:{BASE}",)
        ).fetchone()[0]
        products = [r[0] for r in conn.execute("select ref_key from products where base_id = ?", (BASE,))]
        conn.execute("delete from onec_document_lines")
        conn.execute("delete from onec_documents")
        docs, lines = [], []
        for n in range(documents):
            doc_type = rng.choices([t for t, _ in MIX], [w for _, w in MIX])[0]
            ref = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            date = clock - timedelta(seconds=rng.randrange(365 * 86400))
            docs.append((ref, BASE, doc_type, f"УТ-{n:08d}", format_ts(date), org, warehouse, f"MP-{n}",
                         f"V{n:011d}=", '{"Статус": "Закрыт"}'))  # fmt: skip
            for line_no in (1, 2):
                lines.append((ref, line_no, rng.choice(products), 1, 10000, 10000, "{}"))
        conn.executemany(
            "insert into onec_documents(ref_key, base_id, doc_type, number, date, organization_ref, warehouse_id,"
            " customer_order_number, data_version, fields) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            docs,
        )
        conn.executemany(
            "insert into onec_document_lines(doc_ref, line_no, product_ref, quantity, price_kop, amount_kop, fields)"
            " values (?, ?, ?, ?, ?, ?, ?)",
            lines,
        )
    return world


def make_changes(world: Path, http: httpx.Client, changes: int, seed: int = 7) -> None:
    """``changes`` documents changed the way 1C users change them, through the OData write API."""
    rng = random.Random(seed)
    with sqlite3.connect(world) as conn:
        clock = conn.execute("select value from meta where key = 'clock'").fetchone()[0]
        recent = format_ts(parse_ts(clock) - timedelta(days=30))
        orders = [r[0] for r in conn.execute(
            "select ref_key from onec_documents where doc_type = 'ЗаказКлиента' and date >= ? order by ref_key", (recent,)
        )]  # fmt: skip
        sales = [r[0] for r in conn.execute(
            "select ref_key from onec_documents where doc_type = 'РеализацияТоваровУслуг' and date >= ? order by ref_key",
            (recent,),
        )]  # fmt: skip
        product = conn.execute("select ref_key from products where base_id = ? limit 1", (BASE,)).fetchone()[
            0
        ]
    picked = rng.sample(orders, changes // 2)
    quarter = changes // 4
    for ref in picked[:quarter]:
        http.patch(f"Document_ЗаказКлиента(guid'{ref}')", json={"Комментарий": "изменён"}).raise_for_status()
    for ref in picked[quarter : quarter + quarter // 2]:
        http.patch(f"Document_ЗаказКлиента(guid'{ref}')", json={"DeletionMark": True}).raise_for_status()
    for ref in picked[quarter + quarter // 2 :]:
        http.post(f"Document_ЗаказКлиента(guid'{ref}')/Unpost").raise_for_status()
    for ref in rng.sample(sales, quarter):
        http.post(f"Document_РеализацияТоваровУслуг(guid'{ref}')/Post").raise_for_status()
    for n in range(changes - changes // 2 - quarter):
        body = {
            "НомерПоДаннымКлиента": f"NEW-{n}",
            "Товары": [{"Номенклатура_Key": product, "Количество": 1, "Цена": 100}],
        }
        http.post("Document_ЗаказКлиента", json=body).raise_for_status()


def cycle(base: OneCBase, dsn: str, run_id: str, as_of: datetime) -> tuple[int, int, float]:
    """Requests made, documents landed and seconds for one extract_documents call."""
    started = time.perf_counter()
    summary = extract_documents(base, dsn, run_id, as_of)
    landed = sum(s["new_versions"] + s["details"]["removed"] for s in summary["streams"])
    return summary["api_calls"], landed, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument(
        "--dsn",
        default=os.environ.get("SELLERFLOW_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    name = f"sellerflow_bench_onec_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.dsn, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    params = conninfo_to_dict(args.dsn)
    params["dbname"] = name
    dsn = make_conninfo(**params)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            world = build_world(Path(tmp), args.documents)
            migrate(dsn)
            state = EmulatorState(world)
            clock = state.now()
            with serve_in_thread(create_app(state)) as url, sqlite3.connect(world) as conn:
                user, password = conn.execute(
                    "select username, password from onec_bases where id = ?", (BASE,)
                ).fetchone()
                base = OneCBase(BASE, f"{url}/{BASE}/odata/standard.odata", user, password)
                full = cycle(base, dsn, "full", clock)
                quiet = cycle(base, dsn, "quiet", clock + timedelta(minutes=10))
                with httpx.Client(
                    base_url=base.odata_url + "/", auth=(user, password), params={"$format": "json"}
                ) as http:
                    make_changes(world, http, args.changes)
                incremental = cycle(base, dsn, "incremental", clock + timedelta(minutes=20))
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')
    print(
        f"1C documents in history: {args.documents:,}; changed before the incremental cycle: {args.changes}"
    )
    print(f"{'cycle':<26}{'requests':>10}{'landed':>10}{'seconds':>10}")
    for label, (requests, landed, seconds) in (
        ("full load", full),
        ("incremental, no changes", quiet),
        (f"incremental, {args.changes} changes", incremental),
    ):
        print(f"{label:<26}{requests:>10,}{landed:>10,}{seconds:>10.1f}")
    print(f"incremental / full requests: {incremental[0] / full[0]:.4f}")
    # Cross-check: the full load lands documents, a cycle with no change lands nothing, and every change made
    # through OData lands (posting a sale that was posted already may change nothing, so those may not count).
    must_land = args.changes - args.changes // 4
    problems = []
    if full[1] == 0:
        problems.append("the full load landed nothing")
    if quiet[1] != 0:
        problems.append(f"the cycle without changes landed {quiet[1]}")
    if incremental[1] < must_land:
        problems.append(f"the incremental cycle landed {incremental[1]} < {must_land} changed documents")
    print("cross-check:", f"FAILED: {'; '.join(problems)}" if problems else "ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
