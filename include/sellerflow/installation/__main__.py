"""`python -m sellerflow.installation`: the setup's steps that decide which databases are this installation's.

    env    --root DIR --state DIR --admin-dsn DSN   print the installation's export lines (and save its settings)
    claim                                          create or verify both databases (stops if one is not ours)
    fernet-key                                     keep, find or ask for the Airflow Fernet key

`claim` and `fernet-key` read the installation from the environment (`. .sellerflow/env`).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from sellerflow.installation import fernet, ownership, settings


def say(message: str) -> None:
    print(f"[installation] {message}", file=sys.stderr, flush=True)


def cmd_env(args: argparse.Namespace) -> int:
    state = Path(args.state)
    if settings.sourced_elsewhere(os.environ, Path(args.root)):
        say(
            f"this shell sourced the environment of another checkout ({os.environ['SELLERFLOW_ROOT']}); its "
            "installation settings are ignored here"
        )
    given = settings.given_settings(os.environ, state, Path(args.root))
    installation = settings.resolve(Path(args.root), args.admin_dsn, given)
    taken = ownership.ports_of_other_installations(args.admin_dsn, installation.instance)
    airflow_port, emulator_port = settings.choose_ports(installation.instance, given, taken)
    given = {
        **given,
        "SELLERFLOW_AIRFLOW_PORT": str(airflow_port),
        "SELLERFLOW_EMULATOR_BASE_PORT": str(emulator_port),
    }
    saved = {**given, "SELLERFLOW_INSTANCE": installation.instance}
    state.mkdir(parents=True, exist_ok=True)
    (state / "installation.env").write_text(
        "# The settings this checkout's installation was set up with (scripts/write_env.sh keeps them).\n"
        + "".join(f"export {n}={shlex.quote(v)}\n" for n, v in saved.items())
    )
    say(
        f"instance {installation.instance} ({installation.purpose}): databases {installation.airflow_db}, "
        f"{installation.warehouse_db}; Airflow on port {airflow_port}, emulators from port {emulator_port}"
    )
    print("\n".join(settings.env_lines(installation, given)))
    return 0


def cmd_claim(_: argparse.Namespace) -> int:
    installation = settings.from_env(os.environ)
    take_over = {n.strip() for n in os.environ.get("SELLERFLOW_TAKE_OVER", "").split(",") if n.strip()}
    try:
        ports = {
            "airflow": int(os.environ["SELLERFLOW_AIRFLOW_PORT"]),
            "emulators": int(os.environ["SELLERFLOW_EMULATOR_BASE_PORT"]),
        }
        done = ownership.claim(os.environ["SELLERFLOW_PG_ADMIN_DSN"], installation, take_over, ports)
    except ownership.NotOurDatabaseError as exc:
        say(f"STOP: {exc}")
        return 2
    for line in done or ["both databases are this installation's"]:
        say(line)
    return 0


def cmd_fernet_key(_: argparse.Namespace) -> int:
    installation = settings.from_env(os.environ)
    try:
        say(
            fernet.ensure_key(
                installation.instance, Path(os.environ["AIRFLOW_HOME"]), installation.airflow_dsn
            )
        )
    except fernet.MissingFernetKeyError as exc:
        say(f"STOP: {exc}")
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m sellerflow.installation", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    env = sub.add_parser("env", help="print the installation's export lines for .sellerflow/env")
    env.add_argument("--root", required=True, help="the checkout")
    env.add_argument("--state", required=True, help="the checkout's state folder (.sellerflow)")
    env.add_argument("--admin-dsn", required=True, help="superuser DSN of the server")
    env.set_defaults(run=cmd_env)
    sub.add_parser("claim", help="create or verify the installation's databases").set_defaults(run=cmd_claim)
    sub.add_parser("fernet-key", help="keep, find or ask for the Fernet key").set_defaults(run=cmd_fernet_key)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except settings.SettingsError as exc:
        say(f"STOP: {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
