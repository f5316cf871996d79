"""Helpers for tests and benchmarks of the extraction: a scenario world, its Ozon accounts, and the one check
that the warehouse equals the world (``assert_equals_world``: the keys and the latest payloads per raw entity and
account, for every source; each source's ``world`` builder says what its emulator serves).

The expectations are read from the emulator's world (the canonical SQLite store), never from what the
extraction wrote, so a test comparing the two can fail.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from sellerflow.extract.account import extract_account
from sellerflow.orchestration.marketplaces import account_from_fields
from sellerflow.sources.account import MarketplaceAccount

# Straddles a month end, so the August realization report is published (by 5 September) at the clock.
SMALL_SCENARIO = ("--seed", "7", "--days", "20", "--orders-per-day", "40", "--start", "2026-08-20")


def generate_world(out: Path, args: tuple[str, ...] = SMALL_SCENARIO) -> Path:
    """Run the real scenario generator CLI into ``out``; return the world file."""
    subprocess.run(
        [sys.executable, "-m", "sellerflow_emulators", "scenario", *args, "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out / "world.sqlite"


def connections(world_dir: Path, source: str) -> list[dict]:
    """The generator's Airflow connections of ``source`` (accounts.json)."""
    document = json.loads((world_dir / "accounts.json").read_text())
    return [c for c in document["connections"] if c["conn_id"].startswith(f"mp_{source}_")]


def accounts(world_dir: Path, source: str, base_url: str, **extra: object) -> list[MarketplaceAccount]:
    """Accounts of ``source`` pointed at an emulator on ``base_url`` (extras merged into each)."""
    return [
        account_from_fields(c["conn_id"], base_url, c["login"], c["password"], {**c["extra"], **extra})
        for c in connections(world_dir, source)
    ]


def ozon_world(world: Path) -> Expected:
    """What the Ozon emulator serves at the world's clock: keys and payload fields per raw entity and account."""
    from sellerflow_emulators.ozon.common import stable_int
    from sellerflow_emulators.ozon.finance import ACCRUAL_TYPES

    conn = sqlite3.connect(world)
    conn.row_factory = sqlite3.Row
    try:
        (clock,) = conn.execute("select value from meta where key = 'clock'").fetchone()
        out: Expected = {}

        def add(entity: str, account: str, key: object, fields: Fields) -> None:
            out.setdefault(entity, {}).setdefault(account, {})[str(key)] = fields

        accounts = [r[0] for r in conn.execute("select id from accounts where marketplace = 'ozon'")]
        for account in accounts:
            for type_id, (name, _) in ACCRUAL_TYPES.items():
                add("accrual_types", account, type_id, {"name": name})
        postings = conn.execute(
            "select o.account_id, o.posting_number, o.order_number, o.scheme, (select h.vendor_status from "
            "order_status_history h where h.order_id = o.id and h.at <= ? order by h.at desc, h.rowid desc limit 1) "
            "as status from orders o join accounts a on a.id = o.account_id where a.marketplace = 'ozon' "
            "and o.created_at <= ?",
            (clock, clock),
        ).fetchall()
        for p in postings:
            if p["status"] is None:
                continue
            fields = {"order_number": p["order_number"], "status": p["status"]}
            add(
                "postings_fbo" if p["scheme"] == "fbo" else "postings_fbs",
                p["account_id"],
                p["posting_number"],
                fields,
            )
            add("posting_statuses", p["account_id"], p["posting_number"], fields)
        stock = {}
        for r in conn.execute(
            "select w.owner, s.offer_id, case when w.kind = 'fbo' then 'fbo' else 'fbs' end as type, "
            "sum(s.present) as present from stocks s join warehouses w on w.id = s.warehouse_id "
            "join accounts a on a.id = w.owner where a.marketplace = 'ozon' group by 1, 2, 3"
        ):
            stock.setdefault((r["owner"], r["offer_id"]), []).append(r["present"])
        for f in conn.execute(
            "select f.* from offers f join accounts a on a.id = f.account_id where a.marketplace = 'ozon'"
        ):
            account, offer = f["account_id"], f["offer_id"]
            add("products", account, offer, {"offer_id": offer, "id": f["mp_product_id"], "sku": f["mp_sku"]})
            add(
                "prices",
                account,
                offer,
                {"product_id": f["mp_product_id"], "price.price": f["price_kop"] / 100},
            )
            add(
                "stocks",
                account,
                offer,
                {"product_id": f["mp_product_id"], "stocks.*.present": stock.get((account, offer), [])},
            )
        for w in conn.execute(
            "select w.* from warehouses w join accounts a on a.id = w.owner where a.marketplace = 'ozon' "
            "and w.kind in ('fbs', 'dbs')"
        ):
            add("warehouses", w["owner"], w["external_id"], {"name": w["name"]})
        reports = conn.execute(
            "select r.* from reports r join accounts a on a.id = r.account_id where a.marketplace = 'ozon' "
            "and r.published_at <= ?",
            (clock,),
        ).fetchall()
        for r in reports:
            add(
                "realization_reports",
                r["account_id"],
                r["id"],
                {"start_date": r["period_start"], "stop_date": r["period_end"]},
            )
            lines = conn.execute(
                "select * from report_lines where report_id = ? and operation in ('sale', 'return') order by line_no",
                (r["id"],),
            ).fetchall()
            for number, line in enumerate(lines, start=1):
                fields = {
                    "item.offer_id": line["offer_id"],
                    "order.posting_number": line["posting_number"] or "",
                }
                add("realization_rows", r["account_id"], f"{r['id']}:{number}", fields)
        for line in conn.execute(
            "select r.account_id, l.* from report_lines l join reports r on r.id = l.report_id "
            "join accounts a on a.id = r.account_id where a.marketplace = 'ozon' and l.operation_at <= ?",
            (clock,),
        ):
            key = stable_int(f"{line['report_id']}:{line['line_no']}", 12)
            fields = {"unit_number": line["posting_number"] or "", "date": str(line["operation_at"])[:10]}
            add("accruals", line["account_id"], key, fields)
        out["accrual_postings"] = _ozon_accrual_postings(conn, clock)
        return out
    finally:
        conn.close()


def _ozon_accrual_postings(conn: sqlite3.Connection, clock: str) -> dict[str, dict[str, Fields]]:
    """The postings whose accruals the Ozon emulator serves at ``clock`` (``/v1/finance/accrual/postings``), each
    with the emulator's own answer for it, compared whole."""
    from sellerflow_emulators.ozon.common import Ctx
    from sellerflow_emulators.ozon.finance import accrual_postings

    out: dict[str, dict[str, Fields]] = {}
    for account in conn.execute("select * from accounts where marketplace = 'ozon'").fetchall():
        numbers = [
            number
            for (number,) in conn.execute(
                "select distinct l.posting_number from report_lines l join reports r on r.id = l.report_id "
                "where r.account_id = ? and l.operation_at <= ? and coalesce(l.posting_number, '') <> '' order by 1",
                (account["id"], clock),
            )
        ]
        for start in range(0, len(numbers), 200):
            answer = accrual_postings(
                Ctx(conn, account, clock), {"posting_numbers": numbers[start : start + 200]}
            )
            for record in answer["posting_accruals"]:
                out.setdefault(account["id"], {})[record["posting_number"]] = record
    return out


def ozon_statuses(world: Path) -> dict[tuple[str, str], str]:
    """(account, posting_number) → the posting's status at the world's clock."""
    conn = sqlite3.connect(world)
    try:
        rows = conn.execute(
            "select o.account_id, o.posting_number, (select h.vendor_status from order_status_history h "
            "where h.order_id = o.id and h.at <= m.value order by h.at desc, h.rowid desc limit 1) "
            "from orders o join accounts a on a.id = o.account_id join meta m on m.key = 'clock' "
            "where a.marketplace = 'ozon' and o.created_at <= m.value"
        ).fetchall()
    finally:
        conn.close()
    return {(a, p): s for a, p, s in rows if s is not None}


# -- helpers of the Ozon extraction tests (``ozon`` is the tests' served emulator: world, state, url) --------

FAST = {"backoff_base_s": 0.01, "backoff_cap_s": 0.05, "timeout_s": 1.5, "connect_timeout_s": 1.0}


def cabinets(ozon: Any) -> list[MarketplaceAccount]:
    return accounts(ozon.world.parent, "ozon", ozon.url, horizon_days=40)


def run_all(ozon: Any, dsn: str, run_id: str, only: str | None = None, **kwargs) -> list[dict]:
    now = ozon.state.now()
    return [
        extract_account(a, dsn, run_id, now, force=True, client_options=FAST, **kwargs)
        for a in cabinets(ozon)
        if only in (None, a.account_id)
    ]


def landed(dsn: str, source: str = "ozon") -> dict[str, dict[str, tuple[int, int]]]:
    """entity → account → (distinct keys, versions) of every ``raw.<source>_*`` table (an entity with no table
    reads as nothing landed)."""
    out: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    with psycopg.connect(dsn) as conn:
        for entity, table in _raw_tables(conn, source):
            rows = conn.execute(
                sql.SQL("select account_id, count(distinct natural_key), count(*) from {} group by 1").format(
                    table
                )
            ).fetchall()
            out[entity] = {a: (keys, versions) for a, keys, versions in rows}
    return out


def total_rows(dsn: str, source: str = "ozon") -> int:
    """Every version in ``raw.<source>_*``."""
    return sum(versions for per in landed(dsn, source).values() for _, versions in per.values())


# -- the one "equals the world" check of every source ------------------------------------------------------
#
# An expectation lists, per raw entity and account, every natural key the world makes visible and, per key,
# fields of the latest payload the world determines (a dotted path into the payload → its value; ``*`` walks a
# list and compares the multiset of what it finds). The landed side is the latest version of every key.

Fields = dict[str, Any]
Expected = dict[
    str, dict[str, dict[str, Fields]]
]  # entity → account → natural key → fields of its latest payload
SHOWN = 3  # examples per difference in a failure message


def _raw_tables(conn: psycopg.Connection, source: str) -> list[tuple[str, sql.Composed]]:
    """(entity, table) of every ``raw.<source>_*`` table."""
    names = conn.execute(
        "select table_name from information_schema.tables where table_schema = 'raw' "
        "and table_type = 'BASE TABLE' and starts_with(table_name, %s) order by 1",
        (f"{source}_",),
    ).fetchall()
    return [(name.removeprefix(f"{source}_"), sql.Identifier("raw", name)) for (name,) in names]


def latest_payloads(dsn: str, source: str) -> dict[str, dict[str, dict[str, Any]]]:
    """entity → account → natural key → the latest payload landed in ``raw.<source>_<entity>``."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    with psycopg.connect(dsn) as conn:
        for entity, table in _raw_tables(conn, source):
            rows = conn.execute(
                sql.SQL(
                    "select distinct on (account_id, natural_key) account_id, natural_key, payload from {} "
                    "order by account_id, natural_key, extracted_at desc, id desc"
                ).format(table)
            ).fetchall()
            per: dict[str, dict[str, Any]] = {}
            for account, key, payload in rows:
                per.setdefault(account, {})[key] = payload
            out[entity] = per
    return out


def pick(payload: Any, path: str) -> Any:
    """The value at a dotted ``path`` (``*`` maps over a list: the result is the list of what it finds)."""
    head, _, rest = path.partition(".")
    if head == "*":
        items = payload if isinstance(payload, list) else []
        return [pick(item, rest) if rest else item for item in items]
    if isinstance(payload, list) and head.isdigit():
        value = payload[int(head)] if int(head) < len(payload) else None
    else:
        value = payload.get(head) if isinstance(payload, dict) else None
    return pick(value, rest) if rest else value


def _same(got: Any, want: Any) -> bool:
    """Equal, numbers compared as decimals (``"289.00"`` = ``289.0``), lists as multisets."""
    if isinstance(want, list) and isinstance(got, list):
        return len(got) == len(want) and sorted(map(_normal, got)) == sorted(map(_normal, want))
    return _normal(got) == _normal(want)


def _normal(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    try:
        return str(Decimal(str(value)).normalize())
    except (InvalidOperation, ValueError):
        return (
            json.dumps(value, sort_keys=True, ensure_ascii=False)
            if isinstance(value, dict | list)
            else str(value)
        )


def world_differences(
    dsn: str, source: str, expected: Expected, only: str | None = None, entities: Iterable[str] | None = None
) -> dict[str, list[str]]:
    """entity → what differs between ``raw.<source>_<entity>`` and the world (missing or extra keys, fields of
    latest payloads); empty when equal. A landed entity the expectation does not cover is a difference too."""
    got_all = latest_payloads(dsn, source)
    names = sorted(set(entities) if entities is not None else set(got_all) | set(expected))
    out: dict[str, list[str]] = {}
    for entity in names:
        problems: list[str] = []
        if entity not in expected:
            out[entity] = ["no expectation for this landed entity: the check cannot say it equals the world"]
            continue
        got = {a: keys for a, keys in got_all.get(entity, {}).items() if only in (None, a)}
        want = {a: keys for a, keys in expected[entity].items() if only in (None, a) and keys}
        for account in sorted(set(got) | set(want)):
            landed_keys, world = got.get(account, {}), want.get(account, {})
            missing = sorted(set(world) - set(landed_keys))
            extra = sorted(set(landed_keys) - set(world))
            if missing:
                problems.append(f"{account}: {len(missing)} keys missing, e.g. {missing[:SHOWN]}")
            if extra:
                problems.append(f"{account}: {len(extra)} keys not in the world, e.g. {extra[:SHOWN]}")
            wrong = [
                f"{key}.{path}: landed {pick(landed_keys[key], path)!r}, world {value!r}"
                for key in sorted(set(world) & set(landed_keys))
                for path, value in world[key].items()
                if not _same(pick(landed_keys[key], path), value)
            ]
            if wrong:
                problems.append(f"{account}: {len(wrong)} payload fields differ, e.g. {wrong[:SHOWN]}")
        if problems:
            out[entity] = problems
    return out


def key_counts(expected: Expected) -> dict[str, Counter[str]]:
    """entity → account → how many keys the world has (for tests that need a number)."""
    return {entity: Counter({a: len(keys) for a, keys in per.items()}) for entity, per in expected.items()}


def assert_equals_world(
    dsn: str, source: str, expected: Expected, only: str | None = None, entities: Iterable[str] | None = None
) -> None:
    """Every raw entity of ``source`` holds exactly the world's keys per account, and the latest payload of each
    key carries the world's values (see ``world_differences``)."""
    differences = world_differences(dsn, source, expected, only, entities)
    assert differences == {}, "\n".join(f"{e}: {p}" for e, problems in differences.items() for p in problems)
