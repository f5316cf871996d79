"""``python -m sellerflow.reverse_etl status|replay|approve|dry-run``: show and drive the outbox.

The warehouse DSN comes from ``--dsn`` or ``SELLERFLOW_WAREHOUSE_DSN`` (as every sellerflow command). Sending
is the push DAGs' job (every minute); ``replay`` and ``approve`` only make items due, the next run sends them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, TypedDict

import psycopg

from sellerflow.reverse_etl import outbox
from sellerflow.reverse_etl.targets import TARGET_NAMES


def _dsn(args: argparse.Namespace) -> str:
    dsn = args.dsn or os.environ.get("SELLERFLOW_WAREHOUSE_DSN")
    if not dsn:
        raise SystemExit("give --dsn or set SELLERFLOW_WAREHOUSE_DSN (the warehouse database)")
    return dsn


def _status(args: argparse.Namespace) -> int:
    with psycopg.connect(_dsn(args), autocommit=True) as conn:
        rows = outbox.status(conn, args.target)
        problems = outbox.problems(conn, args.target, args.limit)
    if args.json:
        print(json.dumps({"states": rows, "problems": problems}, default=str, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("the outbox is empty")
    for row in rows:
        print(
            f"{row['target']:<22} {row['state']:<13} {row['items']:>8}   oldest {row['oldest_s'] or 0:,.0f} s"
        )
    if problems:
        print("\nparked, failed and held items (newest first):")
    for item in problems:
        reason = " ".join(str(item["reason"] or "").split())
        print(
            f"  #{item['id']} {item['target']} {item['item_key']} [{item['state']}, {item['attempts']} attempts]"
        )
        print(f"      {reason[:300]}")
    return 0


class _Selection(TypedDict):
    target: str | None
    ids: list[int] | None
    item_keys: list[str] | None


def _selection(args: argparse.Namespace) -> _Selection:
    if not (args.ids or args.keys or args.all):
        raise SystemExit("name the items: --id N (repeatable), --key ITEM_KEY (repeatable) or --all")
    return {"target": args.target, "ids": args.ids, "item_keys": args.keys}


def _replay(args: argparse.Namespace) -> int:
    with psycopg.connect(_dsn(args), autocommit=True) as conn:
        moved = outbox.replay(conn, include_failed=not args.parked_only, **_selection(args))
    print(f"{len(moved)} items are pending again; the next push run sends them: {moved[:50]}")
    return 0


def _approve(args: argparse.Namespace) -> int:
    with psycopg.connect(_dsn(args), autocommit=True) as conn:
        moved = outbox.approve(conn, **_selection(args))
    print(f"{len(moved)} held items approved; the next push run sends them: {moved[:50]}")
    return 0


def _dry_run(args: argparse.Namespace) -> int:
    from sellerflow.reverse_etl.push import push
    from sellerflow.reverse_etl.sender import Target
    from sellerflow.reverse_etl.targets import MARKETPLACE_TARGETS, marketplace_target
    from sellerflow.reverse_etl.targets.onec_assembled import OneCAssembled
    from sellerflow.reverse_etl.targets.onec_reservations import OneCReservations

    def no_connection(key: str) -> NoReturn:  # a dry run contacts no vendor
        raise RuntimeError("a dry run does not connect to any vendor")

    target: Target
    if args.target in MARKETPLACE_TARGETS:
        target = marketplace_target(args.target, no_connection)
    elif args.target == "onec_assembled":
        target = OneCAssembled(no_connection)
    else:
        target = OneCReservations(no_connection)
    out = push(_dsn(args), target, dry_run=True)
    print(json.dumps(out, default=str, ensure_ascii=False, indent=2))
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = argparse.ArgumentParser(
        prog="python -m sellerflow.reverse_etl",
        description="Show and drive the reverse-ETL outbox (ops.outbox). Sending is done by the push DAGs.",
    )
    top.add_argument("--dsn", help="warehouse database (default: $SELLERFLOW_WAREHOUSE_DSN)")
    sub = top.add_subparsers(dest="command", required=True)

    status = sub.add_parser("status", help="items per target and state; parked, failed and held items")
    status.add_argument("--target", choices=TARGET_NAMES)
    status.add_argument("--limit", type=int, default=50, help="problem items to list (default 50)")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(run=_status)

    for name, helptext, run in (
        ("replay", "send parked (and failed) items again at the next push run", _replay),
        ("approve", "release held items (e.g. price drops) to the sender", _approve),
    ):
        cmd = sub.add_parser(name, help=helptext)
        cmd.add_argument("--target", choices=TARGET_NAMES)
        cmd.add_argument("--id", dest="ids", type=int, action="append", help="outbox id (repeatable)")
        cmd.add_argument("--key", dest="keys", action="append", help="item key (repeatable)")
        cmd.add_argument("--all", action="store_true", help="every matching item of --target")
        if name == "replay":
            cmd.add_argument(
                "--parked-only", action="store_true", help="leave failed items to their back-off"
            )
        cmd.set_defaults(run=run)

    dry = sub.add_parser(
        "dry-run", help="enqueue the desired state and record what would be sent, sending nothing"
    )
    dry.add_argument("--target", choices=TARGET_NAMES, default="onec_reservations")
    dry.set_defaults(run=_dry_run)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
