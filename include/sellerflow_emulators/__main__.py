"""Command line: ``python -m sellerflow_emulators {scenario,serve} ...``."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from sellerflow_emulators.scenario.params import DEFAULT_BASE_PORT, DEFAULT_START


def _scenario(args: argparse.Namespace) -> int:
    from sellerflow_emulators.scenario import ScenarioParams, generate

    params = ScenarioParams(
        seed=args.seed, days=args.days, orders_per_day=args.orders_per_day, start=args.start
    )
    summary = generate(Path(args.out), params)
    print(f"world:        {summary.world}")
    print(f"ground truth: {summary.ground_truth}")
    print(f"accounts:     {summary.accounts}")
    print(f"{summary.orders} orders, {summary.report_lines} report lines in {summary.seconds:.1f} s")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from sellerflow_emulators.server import serve

    return serve(Path(args.world), host=args.host, base_port=args.base_port)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and --help)."""
    parser = argparse.ArgumentParser(
        prog="python -m sellerflow_emulators",
        description="Local emulators of the Ozon, Wildberries, Yandex Market, Megamarket and 1C OData APIs.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{scenario,serve}")

    scenario = sub.add_parser(
        "scenario",
        help="generate a deterministic world (world.sqlite, ground_truth.json, accounts.json)",
        description="Fill OUT/world.sqlite with a seeded world and write OUT/ground_truth.json and "
        "OUT/accounts.json. The same seed gives byte-identical output.",
    )
    scenario.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    scenario.add_argument("--days", type=int, default=30, help="length of the simulated period (default 30)")
    scenario.add_argument(
        "--orders-per-day", type=int, default=1000, help="orders per day across all cabinets (default 1000)"
    )
    scenario.add_argument(
        "--start",
        type=date.fromisoformat,
        default=DEFAULT_START,
        help=f"first day, YYYY-MM-DD (default {DEFAULT_START}); the clock starts at start + days",
    )
    scenario.add_argument("--out", required=True, help="output directory (created if missing)")
    scenario.set_defaults(func=_scenario)

    serve = sub.add_parser(
        "serve",
        help="serve the admin app and every vendor emulator over HTTP",
        description="Serve the admin app on BASE_PORT and the vendor apps on BASE_PORT+1.. "
        "(ozon +1, wildberries +2, yandex_market +3, megamarket +4, onec +5) in one process.",
    )
    serve.add_argument("--world", required=True, help="path to world.sqlite made by the scenario command")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument(
        "--base-port", type=int, default=DEFAULT_BASE_PORT, help=f"admin port (default {DEFAULT_BASE_PORT})"
    )
    serve.set_defaults(func=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
