"""Which accounts a DAG maps over: Airflow connections named in the ``sellerflow_accounts`` Variable.

The Variable holds ``{"<source>": ["<conn_id>", ...]}`` (for example
``{"onec": ["onec_ut_main"], "ozon": ["mp_ozon_main", "mp_ozon_second"]}``). A listing is needed
because tasks under Airflow 3 cannot scan the metadata database for connections; one
Variable keeps the set explicit and visible in the UI (Admin → Variables).
"""

from __future__ import annotations

import json

ACCOUNTS_VARIABLE = "sellerflow_accounts"
MARKETPLACES = ("ozon", "wildberries", "yandex_market", "megamarket")


class AccountConfigError(RuntimeError):
    """The account listing is missing or malformed; the message says how to fix it."""


def parse_accounts(raw: str | None, source: str) -> list[str]:
    """Connection ids configured for ``source`` in the Variable's JSON text."""
    if not raw:
        raise AccountConfigError(
            f"Variable {ACCOUNTS_VARIABLE!r} is not set: add it (Admin → Variables) as JSON like "
            f'{{"{source}": ["<conn_id>"]}} listing the Airflow connections of your {source} accounts'
        )
    try:
        listing = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise AccountConfigError(f"Variable {ACCOUNTS_VARIABLE!r} is not valid JSON: {exc}") from exc
    conn_ids = listing.get(source, []) if isinstance(listing, dict) else None
    if not isinstance(conn_ids, list) or not all(isinstance(c, str) for c in conn_ids):
        raise AccountConfigError(
            f"Variable {ACCOUNTS_VARIABLE!r}: {source!r} must map to a list of connection ids"
        )
    return conn_ids


def configured_accounts(source: str) -> list[str]:
    """Connection ids of ``source`` accounts, read at task run time."""
    from airflow.sdk import Variable

    return parse_accounts(Variable.get(ACCOUNTS_VARIABLE, default=None), source)


def accounts_after_migrating(source: str) -> list[str]:
    """The first task of an extract DAG: apply pending warehouse migrations (idempotent; said in the log when one
    applies), then the connection ids of ``source`` accounts. One task, not two: each task of an extraction round
    waits for a worker slot."""
    from sellerflow.warehouse.connection import default_dsn
    from sellerflow.warehouse.migrations import migrate

    applied = migrate(default_dsn())
    if applied:
        print(f"applied warehouse migrations: {', '.join(applied)}")
    return configured_accounts(source)


def source_of(conn_id: str) -> str:
    """The source a connection id belongs to: ``onec_<base>`` → onec, ``mp_<marketplace>_<account>`` → marketplace."""
    if conn_id.startswith("onec_"):
        return "onec"
    for marketplace in MARKETPLACES:
        if conn_id.startswith(f"mp_{marketplace}_"):
            return marketplace
    raise AccountConfigError(
        f"connection id {conn_id!r} follows neither onec_<base> nor mp_<marketplace>_<account> "
        f"(marketplaces: {', '.join(MARKETPLACES)})"
    )
