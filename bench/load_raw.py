"""Benchmark the raw loader against psycopg's plain COPY and against executemany INSERT, side by side.

    .venv/bin/python bench/load_raw.py [--dsn SUPERUSER_DSN] [--rows 200000] [--executemany-rows 20000]

Generates Ozon-posting-like records (the ``/v3/posting/fbs/list`` shape, deterministic from ``--seed``), creates
a throwaway database, and measures in one run:

(a) ``load_records`` into a fresh ``raw.ozon_postings`` (key, canonical JSON, sha256, COPY to a temp table,
    INSERT … ON CONFLICT DO NOTHING, unique + latest-version indexes, ops.load_runs bookkeeping);
(a') the same call again: every record is a known version (the common case of look-back windows);
(b) psycopg ``COPY`` of the same rows (account, key, jsonb payload, serialised with msgspec, unsorted) into a
    plain table without indexes: the upper limit for getting these rows into Postgres;
(c) ``executemany`` of ``INSERT … ON CONFLICT DO NOTHING`` into a raw-shaped table (same canonical JSON, hash
    and key), on a subset: what a row-by-row loader would do. psycopg 3 pipelines executemany;
(d) the same INSERT as one ``execute`` per row (a round trip each, no pipeline), on a smaller subset.

Targets: loader/COPY >= 0.5, loader/executemany >= 10. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import msgspec
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb

from sellerflow.warehouse import load_records, migrate
from sellerflow.warehouse.records import canonical_json

DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
ACCOUNT = "bench-cabinet"

STATUSES = ["awaiting_packaging", "awaiting_deliver", "delivering", "delivered", "cancelled"]
REGIONS = [
    ("Москва", "Москва"),
    ("Санкт-Петербург", "Санкт-Петербург"),
    ("Свердловская область", "Екатеринбург"),
]
WAREHOUSES = [(1020000089903000, "Склад Хоругвино"), (1020000075732000, "Склад Подольск")]


def make_posting(rng: random.Random, i: int) -> dict[str, Any]:
    """One FBS posting with 1-3 products, analytics and financial data."""
    order_number = f"{rng.randrange(10**7, 10**8):08d}-{rng.randrange(1, 10**4):04d}"
    warehouse_id, warehouse = rng.choice(WAREHOUSES)
    region, city = rng.choice(REGIONS)
    day = 1 + i % 28
    products, financial = [], []
    for _ in range(rng.randint(1, 3)):
        sku = rng.randrange(10**8, 10**9)
        price = rng.randrange(300, 9000)
        quantity = rng.randint(1, 3)
        products.append(
            {
                "sku": sku,
                "offer_id": f"ART-{sku % 10000:05d}",
                "name": f"Футболка хлопковая, размер {rng.choice(['S', 'M', 'L', 'XL'])}",
                "quantity": quantity,
                "price": f"{price}.000000",
                "currency_code": "RUB",
                "is_marketplace_buyout": False,
            }
        )
        commission = round(price * 0.17, 2)
        financial.append(
            {
                "product_id": sku,
                "price": float(price),
                "old_price": float(price + 500),
                "payout": round(price - commission, 2),
                "commission_amount": commission,
                "commission_percent": 17,
                "total_discount_value": 500.0,
                "total_discount_percent": round(50000 / (price + 500), 2),
                "quantity": quantity,
                "actions": ["Скидка продавца"] if rng.random() < 0.3 else [],
                "currency_code": "RUB",
                "commissions_currency_code": "RUB",
            }
        )
    return {
        "posting_number": f"{order_number}-{1 + i % 3}",
        "order_id": 600000000 + i,
        "order_number": order_number,
        "status": rng.choice(STATUSES),
        "substatus": "posting_created",
        "delivery_method": {
            "id": 22000000000000,
            "name": "Доставка Ozon самостоятельно, Хоругвино",
            "warehouse_id": warehouse_id,
            "warehouse": warehouse,
            "tpl_provider_id": 24,
            "tpl_provider": "Доставка Ozon",
        },
        "tracking_number": "",
        "tpl_integration_type": "ozon",
        "in_process_at": f"2026-11-{day:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z",
        "shipment_date": f"2026-11-{day:02d}T23:59:59Z",
        "delivering_date": None,
        "cancellation": {
            "cancel_reason_id": 0,
            "cancel_reason": "",
            "cancellation_type": "",
            "cancelled_after_ship": False,
            "affect_cancellation_rating": False,
            "cancellation_initiator": "",
        },
        "customer": None,
        "addressee": None,
        "barcodes": {
            "upper_barcode": f"%{rng.randrange(10**9)}%",
            "lower_barcode": str(rng.randrange(10**11)),
        },
        "products": products,
        "analytics_data": {
            "region": region,
            "city": city,
            "delivery_type": "PVZ",
            "is_premium": False,
            "payment_type_group_name": "Карты оплаты",
            "warehouse_id": warehouse_id,
            "warehouse": warehouse,
            "tpl_provider_id": 24,
            "tpl_provider": "Доставка Ozon",
            "delivery_date_begin": f"2026-11-{day:02d}T10:00:00Z",
            "delivery_date_end": f"2026-11-{day:02d}T22:00:00Z",
            "is_legal": False,
        },
        "financial_data": {
            "products": financial,
            "cluster_from": "Москва, МО и Дальние регионы",
            "cluster_to": city,
        },
        "is_express": False,
        "requirements": {
            "products_requiring_gtd": [],
            "products_requiring_country": [],
            "products_requiring_mandatory_mark": [],
            "products_requiring_rnpt": [],
        },
        "parent_posting_number": "",
        "multi_box_qty": 1,
        "is_multibox": False,
    }


def generate(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` postings; the same seed always gives the same records."""
    rng = random.Random(seed)
    return [make_posting(rng, i) for i in range(count)]


def run_loader(dsn: str, records: list[dict[str, Any]]) -> int:
    """(a) the loader into a fresh raw table; returns rows inserted."""
    return load_records(dsn, "ozon", "postings", ACCOUNT, records, "posting_number", "bench").inserted


def run_loader_again(dsn: str, records: list[dict[str, Any]]) -> int:
    """(a') the same records again: all unchanged; returns how many were recognised as such."""
    return load_records(dsn, "ozon", "postings", ACCOUNT, records, "posting_number", "bench-2").unchanged


def run_copy(dsn: str, records: list[dict[str, Any]]) -> int:
    """(b) plain COPY of (account, key, jsonb) into a table without indexes."""
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("create table bench_copy (account_id text, natural_key text, payload jsonb)")
        dumps = msgspec.json.encode
        with cur.copy("copy bench_copy (account_id, natural_key, payload) from stdin") as copy:
            for r in records:
                copy.write_row((ACCOUNT, r["posting_number"], Jsonb(r, dumps=dumps)))
        return cur.execute("select count(*) from bench_copy").fetchone()[0]  # type: ignore[index]


_RAW_SHAPED = """
create table if not exists bench_insert (
    id bigserial primary key, account_id text not null, natural_key text not null,
    payload jsonb not null, payload_hash bytea not null,
    extracted_at timestamptz not null default now(), run_id text not null,
    unique (account_id, natural_key, payload_hash));
create index if not exists bench_insert_latest on bench_insert (account_id, natural_key, extracted_at);
truncate bench_insert;
"""
_INSERT = (
    "insert into bench_insert (account_id, natural_key, payload, payload_hash, run_id)"
    " values (%s, %s, %s::jsonb, %s, %s) on conflict (account_id, natural_key, payload_hash) do nothing"
)


def _params(r: dict[str, Any]) -> tuple[object, ...]:
    data = canonical_json(r)
    return (ACCOUNT, r["posting_number"], data.decode(), hashlib.sha256(data).digest(), "bench")


def run_executemany(dsn: str, records: list[dict[str, Any]]) -> int:
    """(c) executemany INSERT … ON CONFLICT DO NOTHING into a raw-shaped table."""
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(_RAW_SHAPED)
        cur.executemany(_INSERT, (_params(r) for r in records))
        return cur.execute("select count(*) from bench_insert").fetchone()[0]  # type: ignore[index]


def run_execute_per_row(dsn: str, records: list[dict[str, Any]]) -> int:
    """(d) one execute per row in one transaction: a round trip per record."""
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(_RAW_SHAPED)
        for r in records:
            cur.execute(_INSERT, _params(r))
        return cur.execute("select count(*) from bench_insert").fetchone()[0]  # type: ignore[index]


def timed(fn: Callable[[str, list[dict[str, Any]]], int], dsn: str, records: list[dict[str, Any]]) -> float:
    """Rows per second of one method; checks every row landed."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("checkpoint")
    start = time.perf_counter()
    landed = fn(dsn, records)
    elapsed = time.perf_counter() - start
    if landed != len(records):
        raise SystemExit(f"{fn.__name__}: {landed} rows landed, expected {len(records)}")
    return len(records) / elapsed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table and ratios."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--dsn",
        default=os.environ.get("SELLERFLOW_PG_ADMIN_DSN", DEFAULT_ADMIN_DSN),
        help="superuser DSN; a throwaway database is created and dropped (default: $SELLERFLOW_PG_ADMIN_DSN)",
    )
    parser.add_argument("--rows", type=int, default=200_000, help="records for the loader and COPY")
    parser.add_argument("--executemany-rows", type=int, default=20_000, help="subset for executemany")
    parser.add_argument("--per-row-rows", type=int, default=5_000, help="subset for one execute per row")
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args(argv)

    records = generate(args.rows, args.seed)
    keys = {r["posting_number"] for r in records}
    if len(keys) != len(records):  # duplicate keys would make "inserted" differ from the row count
        records = list({r["posting_number"]: r for r in records}.values())
    size = sum(len(json.dumps(r, ensure_ascii=False).encode()) for r in records[:1000]) / min(
        1000, len(records)
    )
    print(f"{len(records)} Ozon-posting-like records, ~{size:.0f} bytes of JSON each")

    name = f"sellerflow_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.dsn, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    dsn = make_conninfo(**{**conninfo_to_dict(args.dsn), "dbname": name})
    try:
        migrate(dsn)
        subset = records[: args.executemany_rows]
        copy_rate = timed(run_copy, dsn, records)
        loader_rate = timed(run_loader, dsn, records)
        rerun_rate = timed(run_loader_again, dsn, records)
        with psycopg.connect(dsn) as conn:  # cross-check: the rerun added nothing
            (stored,) = conn.execute("select count(*) from raw.ozon_postings").fetchone()  # type: ignore[misc]
        if stored != len(records):
            raise SystemExit(
                f"cross-check FAILED: raw.ozon_postings holds {stored} rows, expected {len(records)}"
            )
        many_rate = timed(run_executemany, dsn, subset)
        per_row = records[: args.per_row_rows]
        per_row_rate = timed(run_execute_per_row, dsn, per_row)
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')

    table = [
        ("(a) load_records (raw loader)", len(records), loader_rate),
        ("(a') load_records rerun, all unchanged", len(records), rerun_rate),
        ("(b) plain COPY, no indexes (the limit)", len(records), copy_rate),
        ("(c) executemany INSERT ON CONFLICT", len(subset), many_rate),
        ("(d) execute per row, no pipeline", len(per_row), per_row_rate),
    ]
    print(f"{'method':<42}{'rows':>10}{'rows/s':>12}")
    for label, count, rate in table:
        print(f"{label:<42}{count:>10}{rate:>12,.0f}")
    print(f"loader / COPY       = {loader_rate / copy_rate:.2f}  (target >= 0.5)")
    print(f"loader / executemany = {loader_rate / many_rate:.1f}  (target >= 10)")
    print(f"loader / per-row     = {loader_rate / per_row_rate:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
