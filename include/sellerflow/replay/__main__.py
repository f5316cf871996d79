"""``python -m sellerflow.replay --from 2026-10-01 --to 2026-10-31``: see :mod:`sellerflow.replay`."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

from sellerflow.replay import scratch
from sellerflow.replay.build import BuildError, build
from sellerflow.replay.compare import LIVE, compare_all, render

EQUAL, DIFFERENT, FAILED = 0, 1, 2


def replay(
    dsn: str, span: tuple[date, date], *, keep: bool = False, sample: int = 3, out: TextIO = sys.stdout
) -> int:
    """Build from raw into fresh schemas, compare the marts of ``span``, print the table; the exit code."""
    own = scratch.new_scratch()
    note = {"from": span[0].isoformat(), "to": span[1].isoformat()}
    scratch.create(dsn, own, note)
    print(f"replay {own.token}: building the dbt project from raw into {own.prefix}* …", file=out, flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix=f"sellerflow-replay-{own.token}-") as work:
            try:
                build(dsn, own, Path(work))
            except BuildError as exc:
                print(exc, file=out)
                return FAILED
            finally:
                scratch.adopt(dsn, own, note)
        results = compare_all(dsn, own.schema(LIVE), span, sample)
        print(render(results, span), file=out)
        return EQUAL if all(r.equal for r in results) else DIFFERENT
    finally:
        if keep:
            print(f"kept: schemas {own.prefix}* (drop them with --drop {own.token})", file=out)
        else:
            scratch.drop(dsn, own)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and replay (or drop a kept replay's schemas)."""
    parser = argparse.ArgumentParser(
        prog="python -m sellerflow.replay",
        description="Re-derive a period from raw (no vendor is called) and compare every mart with the live one.",
    )
    parser.add_argument("--from", dest="since", type=date.fromisoformat, help="first day of the period")
    parser.add_argument("--to", dest="until", type=date.fromisoformat, help="last day of the period")
    parser.add_argument("--dsn", default=os.environ.get("SELLERFLOW_WAREHOUSE_DSN"), help="the warehouse")
    parser.add_argument("--keep", action="store_true", help="keep the replay's schemas to look at them")
    parser.add_argument("--sample", type=int, default=3, help="differing rows shown per side and mart")
    parser.add_argument(
        "--drop", metavar="TOKEN", help="drop the schemas a --keep replay left (nothing else)"
    )
    args = parser.parse_args(argv)
    if not args.dsn:
        parser.error("give --dsn or set SELLERFLOW_WAREHOUSE_DSN")
    if args.drop:
        dropped = scratch.drop(args.dsn, scratch.Scratch(args.drop))
        print(f"dropped {dropped or 'nothing'}")
        return EQUAL
    if args.since is None or args.until is None or args.since > args.until:
        parser.error("give --from and --to, the first and the last day of the period")
    return replay(args.dsn, (args.since, args.until), keep=args.keep, sample=args.sample)


if __name__ == "__main__":
    sys.exit(main())
