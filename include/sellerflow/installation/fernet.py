"""The installation's Fernet key, kept outside the checkout so that a re-clone finds it again.

Airflow encrypts connections and variables with it. The key lives in
``$SELLERFLOW_KEYS_DIR/<instance>/fernet_key`` (default ``~/.config/sellerflow``), mode 0600, and Airflow reads it
through ``AIRFLOW__CORE__FERNET_KEY_CMD`` (written to .sellerflow/env), so the key itself is never in the
environment file, in a log or in the checkout.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path

import psycopg
from cryptography.fernet import Fernet

from sellerflow.warehouse.connection import scalar


class MissingFernetKeyError(RuntimeError):
    """The metadata database holds encrypted secrets and no key for them was found; the message says where to put it."""


def keys_dir() -> Path:
    """Where instances keep their keys."""
    configured = os.environ.get("SELLERFLOW_KEYS_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "sellerflow"


def key_path(instance: str) -> Path:
    """The key file of an instance."""
    return keys_dir() / instance / "fernet_key"


def key_in_airflow_cfg(airflow_home: Path) -> str | None:
    """The fernet_key an existing airflow.cfg holds (an AIRFLOW_HOME from before the key store), if any."""
    cfg = airflow_home / "airflow.cfg"
    if not cfg.exists():
        return None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(cfg)
    return parser.get("core", "fernet_key", fallback="").strip() or None


def encrypted_secrets(airflow_dsn: str) -> int:
    """How many connections and variables of the metadata database are encrypted (0 for a new database)."""
    with psycopg.connect(airflow_dsn, autocommit=True) as conn:
        if scalar(conn, "select to_regclass('public.connection') is null"):
            return 0
        return scalar(
            conn,
            "select (select count(*) from connection where is_encrypted or is_extra_encrypted)"
            " + (select count(*) from variable where is_encrypted)",
        )


def _write(path: Path, key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")


def ensure_key(instance: str, airflow_home: Path, airflow_dsn: str) -> str:
    """Make sure the instance's key file exists; return a line saying where the key came from.

    Sources, in order: the key file itself; ``AIRFLOW__CORE__FERNET_KEY`` given by the user; the fernet_key of
    an existing airflow.cfg; a new key when the metadata database holds nothing encrypted. Otherwise raises
    ``MissingFernetKeyError`` (nothing is dropped: the key must be supplied).
    """
    path = key_path(instance)
    given = os.environ.get("AIRFLOW__CORE__FERNET_KEY", "").strip()
    if path.exists():
        kept = path.read_text().strip()
        if given and given != kept:
            raise MissingFernetKeyError(
                f"AIRFLOW__CORE__FERNET_KEY differs from the key kept for instance {instance!r} in {path}; "
                "unset it, or replace the file's content if the given key is the right one"
            )
        return f"Fernet key: {path}"
    if given:
        Fernet(given.encode())  # raises ValueError on a malformed key
        _write(path, given)
        return f"Fernet key: from AIRFLOW__CORE__FERNET_KEY, kept in {path}"
    from_cfg = key_in_airflow_cfg(airflow_home)
    if from_cfg:
        _write(path, from_cfg)
        return f"Fernet key: from {airflow_home / 'airflow.cfg'}, kept in {path}"
    secrets = encrypted_secrets(airflow_dsn)
    if secrets:
        raise MissingFernetKeyError(
            f"the Airflow metadata database of instance {instance!r} holds {secrets} encrypted connections or "
            "variables, and this machine has no Fernet key for them. Nothing was changed. Put the key that "
            f"installation used in {path} (one line, mode 600), or export AIRFLOW__CORE__FERNET_KEY=<key> and "
            "run the setup again."
        )
    _write(path, Fernet.generate_key().decode())
    return f"Fernet key: new, kept in {path}"
