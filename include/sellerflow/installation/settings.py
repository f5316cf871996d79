"""The installation's name and databases, resolved from the environment, the saved settings and defaults.

Order: a variable given in the environment wins, then what an earlier setup saved in
``.sellerflow/installation.env``, then the defaults: an instance name derived from the checkout's path and the
demo databases ``sellerflow_<instance>_demo_airflow`` / ``sellerflow_<instance>_demo_warehouse``. A value that
only came from sourcing ``.sellerflow/env`` (equal to what that file holds) is not an override.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import socket
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

APP_ROLE, APP_PASSWORD = "sellerflow", "sellerflow"  # the role scripts/ensure_postgres.sh creates
INSTANCE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
# The settings a user may give; the ones given are saved so later runs (and re-runs of make) keep them.
SETTING_NAMES = (
    "SELLERFLOW_INSTANCE",
    "SELLERFLOW_AIRFLOW_DB",
    "SELLERFLOW_WAREHOUSE_DB",
    "SELLERFLOW_AIRFLOW_DB_URL",
    "SELLERFLOW_WAREHOUSE_DSN",
    "SELLERFLOW_AIRFLOW_PORT",
    "SELLERFLOW_EMULATOR_BASE_PORT",
)
# Ports of one installation: the Airflow api-server and its two log servers from the first, the emulators (admin
# and five vendors) from the second. Each installation starts its search at its own offset (from its name) so two
# checkouts on one machine rarely collide, and it skips the blocks other installations recorded in their database
# marks (``ownership.ports_of_other_installations``), so one that is stopped keeps its ports.
PORT_BLOCK, PORT_SLOTS, FIRST_PORT = 20, 40, 18080


class SettingsError(ValueError):
    """A setting is malformed; the message says which and how to fix it."""


def derive_instance(root: Path) -> str:
    """A short name that stays the same for a checkout: its folder name and a hash of its absolute path."""
    base = re.sub(r"[^a-z0-9]+", "_", root.name.lower()).strip("_")[:12] or "checkout"
    if not base[0].isalpha():
        base = f"sf_{base}"[:12]
    return f"{base}_{hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:6]}"


def demo_database(instance: str, role: str) -> str:
    """The demo database of ``role`` ('airflow' or 'warehouse') of an instance."""
    return f"sellerflow_{instance}_demo_{role}"


@dataclass(frozen=True)
class Installation:
    """One installation: its name and the DSNs of its two databases."""

    instance: str
    airflow_dsn: str  # libpq DSN of the Airflow metadata database
    warehouse_dsn: str

    @property
    def airflow_db(self) -> str:
        return str(conninfo_to_dict(self.airflow_dsn)["dbname"])

    @property
    def warehouse_db(self) -> str:
        return str(conninfo_to_dict(self.warehouse_dsn)["dbname"])

    @property
    def airflow_url(self) -> str:
        """The metadata database as the SQLAlchemy URL Airflow wants."""
        return self.airflow_dsn.replace("postgresql://", "postgresql+psycopg2://", 1)

    @property
    def purpose(self) -> str:
        """'demo' when both databases are the instance's demo databases, else 'installation'."""
        demo = (demo_database(self.instance, "airflow"), demo_database(self.instance, "warehouse"))
        return "demo" if (self.airflow_db, self.warehouse_db) == demo else "installation"

    def databases(self) -> dict[str, str]:
        """Role → DSN of each database."""
        return {"airflow": self.airflow_dsn, "warehouse": self.warehouse_dsn}


def read_env_file(path: Path) -> dict[str, str]:
    """``export NAME=value`` lines of a file written by this module or scripts/write_env.sh."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        if line.startswith("export ") and "=" in line:
            name, _, raw = line.removeprefix("export ").partition("=")
            try:
                parts = shlex.split(raw)
            except ValueError:
                continue
            values[name] = parts[0] if parts else ""
    return values


def sourced_elsewhere(environ: Mapping[str, str], root: Path) -> bool:
    """Whether the environment comes from sourcing another checkout's .sellerflow/env (its settings are not ours)."""
    other = environ.get("SELLERFLOW_ROOT")
    if not other:
        return False
    return Path(other).resolve() != root.resolve()


def given_settings(environ: Mapping[str, str], state_dir: Path, root: Path) -> dict[str, str]:
    """The settings in force: the environment's (unless merely sourced from a .sellerflow/env), then the saved ones."""
    sourced = read_env_file(state_dir / "env")
    saved = read_env_file(state_dir / "installation.env")
    settings = dict(saved)
    if sourced_elsewhere(environ, root):
        environ = {}
    for name in SETTING_NAMES:
        value = environ.get(name, "")
        if value and sourced.get(name) != value:
            settings[name] = value
    # A new instance name starts from its own defaults, not from the databases saved for the old one.
    if settings.get("SELLERFLOW_INSTANCE") != saved.get("SELLERFLOW_INSTANCE") and saved:
        for name in SETTING_NAMES[1:]:
            if environ.get(name, "") in ("", sourced.get(name)):
                settings.pop(name, None)
    return {k: v for k, v in settings.items() if k in SETTING_NAMES and v}


def _free(port: int, count: int) -> bool:
    for candidate in range(port, port + count):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                return False
    return True


def choose_ports(instance: str, settings: Mapping[str, str], taken: Collection[int] = ()) -> tuple[int, int]:
    """(Airflow api-server port, emulator base port): the saved or given ones, else a free block of the instance's.

    A block is free when none of its ports is bound now or in ``taken`` (the ports other installations on the
    server recorded in their database marks: they may be stopped now and start later).
    """
    if settings.get("SELLERFLOW_AIRFLOW_PORT") and settings.get("SELLERFLOW_EMULATOR_BASE_PORT"):
        return int(settings["SELLERFLOW_AIRFLOW_PORT"]), int(settings["SELLERFLOW_EMULATOR_BASE_PORT"])
    start, taken = int(hashlib.sha1(instance.encode()).hexdigest(), 16) % PORT_SLOTS, set(taken)
    for slot in range(start, start + PORT_SLOTS):
        base = FIRST_PORT + (slot % PORT_SLOTS) * PORT_BLOCK
        if taken.isdisjoint(range(base, base + PORT_BLOCK)) and _free(base, PORT_BLOCK):
            return base, base + 10
    raise SettingsError(
        f"no free block of {PORT_BLOCK} ports in {FIRST_PORT}-{FIRST_PORT + PORT_SLOTS * PORT_BLOCK}: set "
        "SELLERFLOW_AIRFLOW_PORT and SELLERFLOW_EMULATOR_BASE_PORT"
    )


def resolve(root: Path, admin_dsn: str, settings: Mapping[str, str]) -> Installation:
    """The installation these settings describe, on the server of ``admin_dsn``."""
    instance = settings.get("SELLERFLOW_INSTANCE") or derive_instance(root)
    if not INSTANCE_PATTERN.match(instance):
        raise SettingsError(
            f"SELLERFLOW_INSTANCE={instance!r} is not a usable instance name: use 1-30 characters, lower-case "
            "letters, digits and '_', starting with a letter (it becomes part of database names)"
        )
    server = conninfo_to_dict(admin_dsn)
    host, port = server.get("host") or "127.0.0.1", server.get("port") or "5432"

    def dsn(role: str, name_setting: str, dsn_setting: str) -> str:
        if settings.get(dsn_setting):
            given = settings[dsn_setting].replace("postgresql+psycopg2://", "postgresql://", 1)
            if not conninfo_to_dict(given).get("dbname"):
                raise SettingsError(f"{dsn_setting} names no database: add /<database> to the DSN")
            return given
        name = settings.get(name_setting) or demo_database(instance, role)
        return f"postgresql://{APP_ROLE}:{APP_PASSWORD}@{host}:{port}/{name}"

    return Installation(
        instance=instance,
        airflow_dsn=dsn("airflow", "SELLERFLOW_AIRFLOW_DB", "SELLERFLOW_AIRFLOW_DB_URL"),
        warehouse_dsn=dsn("warehouse", "SELLERFLOW_WAREHOUSE_DB", "SELLERFLOW_WAREHOUSE_DSN"),
    )


def from_env(environ: Mapping[str, str]) -> Installation:
    """The installation .sellerflow/env describes (after ``. .sellerflow/env``)."""
    missing = [
        n
        for n in ("SELLERFLOW_INSTANCE", "SELLERFLOW_AIRFLOW_DB_URL", "SELLERFLOW_WAREHOUSE_DSN")
        if n not in environ
    ]
    if missing:
        raise SettingsError(f"{', '.join(missing)} not set: run `make setup` and `. .sellerflow/env` first")
    return Installation(
        instance=environ["SELLERFLOW_INSTANCE"],
        airflow_dsn=environ["SELLERFLOW_AIRFLOW_DB_URL"].replace(
            "postgresql+psycopg2://", "postgresql://", 1
        ),
        warehouse_dsn=environ["SELLERFLOW_WAREHOUSE_DSN"],
    )


def env_lines(installation: Installation, settings: Mapping[str, str]) -> list[str]:
    """The ``export`` lines .sellerflow/env carries for the installation (no secret but the app role's)."""
    from sellerflow.installation.fernet import key_path

    warehouse = conninfo_to_dict(installation.warehouse_dsn)
    values = {
        **{name: settings[name] for name in SETTING_NAMES if name in settings},
        "SELLERFLOW_INSTANCE": installation.instance,
        "SELLERFLOW_PURPOSE": installation.purpose,
        "SELLERFLOW_WAREHOUSE_DSN": installation.warehouse_dsn,
        "SELLERFLOW_AIRFLOW_DB_URL": installation.airflow_url,
        "SELLERFLOW_AIRFLOW_DB": installation.airflow_db,
        "SELLERFLOW_WAREHOUSE_DB": installation.warehouse_db,
        "SELLERFLOW_WAREHOUSE_HOST": str(warehouse.get("host") or "127.0.0.1"),
        "SELLERFLOW_WAREHOUSE_PORT": str(warehouse.get("port") or 5432),
        "SELLERFLOW_WAREHOUSE_USER": str(warehouse.get("user") or APP_ROLE),
        "SELLERFLOW_WAREHOUSE_PASSWORD": str(warehouse.get("password") or ""),
        "AIRFLOW__CORE__FERNET_KEY_CMD": f"cat {shlex.quote(str(key_path(installation.instance)))}",
    }
    return [f"export {name}={shlex.quote(value)}" for name, value in values.items()]
