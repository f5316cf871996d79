"""Command line: ``python -m sellerflow.warehouse migrate|status [--dsn DSN]``."""

from __future__ import annotations

import argparse
import logging
import sys

from sellerflow.warehouse.connection import WAREHOUSE_DSN_ENV, default_dsn
from sellerflow.warehouse.migrations import MigrationError, migrate, status


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the warehouse CLI."""
    parser = argparse.ArgumentParser(
        prog="python -m sellerflow.warehouse",
        description="Manage the sellerflow warehouse database (schemas raw, ops, quarantine).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in (
        ("migrate", "apply pending migrations (safe to run concurrently and repeatedly)"),
        ("status", "list migrations and whether each is applied; changes nothing"),
    ):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--dsn",
            help=f"libpq connection string or URI of the warehouse database (default: ${WAREHOUSE_DSN_ENV})",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        dsn = args.dsn or default_dsn()
        if args.command == "migrate":
            applied = migrate(dsn)
            print("applied: " + ", ".join(applied) if applied else "up to date: nothing to apply")
        else:
            for version, is_applied in status(dsn):
                print(f"{'applied' if is_applied else 'pending'}  {version}")
    except (MigrationError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
