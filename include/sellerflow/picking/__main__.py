"""``python -m sellerflow.picking``: device tokens, warehouses, a build on demand.

    token issue --device tsd-01 --warehouse <warehouse_key>   prints the token once (stored hashed)
    token revoke --device tsd-01
    token list                                                devices, warehouses, state (never tokens)
    warehouses                                                warehouse keys seen on pick lists
    build                                                     build pick lists now (as the DAG does)

The warehouse DSN comes from ``--dsn`` or ``SELLERFLOW_WAREHOUSE_DSN``.
"""

from __future__ import annotations

import argparse
import json
import sys

from sellerflow.picking import devices
from sellerflow.warehouse.connection import default_dsn


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sellerflow.picking", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--dsn", help="warehouse DSN (default: SELLERFLOW_WAREHOUSE_DSN)")
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token", help="device tokens").add_subparsers(dest="action", required=True)
    issue = token.add_parser("issue", help="issue a token for a device (printed once)")
    issue.add_argument("--device", required=True, help="device name, e.g. tsd-01")
    issue.add_argument(
        "--warehouse", required=True, help="warehouse_key the device works in (see `warehouses`)"
    )
    revoke = token.add_parser("revoke", help="revoke a device's token")
    revoke.add_argument("--device", required=True)
    token.add_parser("list", help="devices and their warehouses")
    commands.add_parser("warehouses", help="warehouse keys of the pick lists")
    commands.add_parser("build", help="build pick lists now")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    dsn = args.dsn or default_dsn()
    if args.command == "token":
        if args.action == "issue":
            try:
                token = devices.issue(dsn, args.device, args.warehouse)
            except ValueError as exc:
                print(exc, file=sys.stderr)
                return 1
            print(token)
            print(
                f"device {args.device} may work in warehouse {args.warehouse}; the token is shown only now",
                file=sys.stderr,
            )
            return 0
        if args.action == "revoke":
            if devices.revoke(dsn, args.device):
                print(f"revoked the token of {args.device}")
                return 0
            print(f"{args.device} has no valid token", file=sys.stderr)
            return 1
        for row in devices.list_devices(dsn):
            print(devices.describe(row))
        return 0
    if args.command == "warehouses":
        import psycopg

        with psycopg.connect(dsn) as conn:
            rows = conn.execute(
                "select warehouse_key, min(warehouse_name), count(*) filter (where status in ('open', 'claimed'))"
                " from ops.pick_lists group by 1 order by 2"
            ).fetchall()
        for key, name, open_lists in rows:
            print(f"{key}\t{name}\topen lists: {open_lists}")
        return 0
    from sellerflow.picking.orchestration import build

    print(json.dumps(build(dsn)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
