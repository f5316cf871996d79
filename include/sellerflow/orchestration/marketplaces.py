"""Marketplace accounts from Airflow connections, and their token expiry/scopes recorded in ``ops``.

A connection ``mp_<source>_<account>`` (architecture.md "Accounts"; the scenario generator's accounts.json
writes them): host = API base URL, password = token, login = Ozon Client-Id, extra = ``account_id``,
``client_id`` / ``business_id`` / ``campaign_id`` / ``merchant_id``, ``legal_entity_id``,
``legal_entity_inn``, ``token_expires_at``, ``scopes``, and optional tuning: ``horizon_days``,
``overlap_minutes``, ``backfill_slice_days``, ``rate_limits`` (``{"<group>": {"rate", "window_s",
"burst", "parallel"}}``). Where a vendor does not expose a token's expiry or scopes (Ozon), what the
connection declares is stored with ``scopes_source = 'connection'``; where the token itself carries them
(a Wildberries JWT), the vendor module's ``token_details(token)`` reads them and they are stored with
``scopes_source = 'token'``.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from sellerflow.extract.runner import AccountExtractionError
from sellerflow.extract.vendors import VENDOR_MODULES
from sellerflow.extract.windows import parse_time
from sellerflow.orchestration.accounts import MARKETPLACES, source_of
from sellerflow.sources.account import MarketplaceAccount

EXPIRY_WARNING = timedelta(days=14)
_KNOWN_EXTRA = {
    "account_id",
    "marketplace",
    "client_id",
    "legal_entity_id",
    "legal_entity_inn",
    "token_expires_at",
    "scopes",
    "rate_limits",
}
CREDENTIAL_FIX = {
    "ozon": "create a new API key in the Ozon seller cabinet (Settings → Seller API) and put it into the "
    "connection's password",
    "wildberries": "create a new token in the WB seller cabinet (Profile → Settings → Access to API) and put it "
    "into the connection's password",
}


def _extra(raw: object) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        return dict(raw)
    if isinstance(raw, str) and raw.strip():
        value = json.loads(raw)
        return value if isinstance(value, dict) else {}
    return {}


def account_from_fields(
    conn_id: str, host: str | None, login: str | None, password: str | None, extra: object
) -> MarketplaceAccount:
    """Build the account from a connection's fields; raise ``AccountExtractionError`` naming what to fix."""
    source = source_of(conn_id)
    if source not in MARKETPLACES:
        raise AccountExtractionError(
            f"connection {conn_id} is not a marketplace account (mp_<source>_<name>)"
        )
    settings = _extra(extra)
    account_id = str(settings.get("account_id") or f"{source}_{conn_id.removeprefix(f'mp_{source}_')}")
    problems = []
    if not host or not host.startswith("http"):
        problems.append("host must be the API base URL (e.g. https://api-seller.ozon.ru)")
    if not password:
        problems.append("password must hold the API token")
    client_id = str(settings.get("client_id") or login or "") or None
    if source == "ozon" and not client_id:
        problems.append("login (or extra client_id) must hold the Ozon Client-Id")
    if problems:
        raise AccountExtractionError(
            f"{source} account {account_id} (connection {conn_id}): " + "; ".join(problems), permanent=True
        )
    scopes = settings.get("scopes") or []
    return MarketplaceAccount(
        source=source,
        account_id=account_id,
        conn_id=conn_id,
        base_url=str(host),
        token=str(password),
        client_id=client_id,
        legal_entity_id=settings.get("legal_entity_id"),
        legal_entity_inn=settings.get("legal_entity_inn"),
        token_expires_at=parse_time(settings.get("token_expires_at")),
        scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else (),
        rate_limits=settings.get("rate_limits") or {},
        settings={k: v for k, v in settings.items() if k not in _KNOWN_EXTRA},
    )


def marketplace_account(conn_id: str) -> MarketplaceAccount:
    """The account behind an Airflow connection (read at task run time)."""
    from airflow.sdk import Connection

    conn = Connection.get(conn_id)
    return account_from_fields(conn_id, conn.host, conn.login, conn.password, conn.extra)


def read_token(account: MarketplaceAccount) -> tuple[MarketplaceAccount, str]:
    """The account with the expiry and scopes its token declares, where the vendor can read them.

    Returns the account and where its scopes came from (``token`` or ``connection``).
    """
    module = VENDOR_MODULES.get(account.source)
    reader = getattr(importlib.import_module(module[0]), "token_details", None) if module else None
    details = reader(account.token) if reader is not None else None
    if details is None:
        return account, "connection"
    expires = details.expires_at or account.token_expires_at
    return replace(account, token_expires_at=expires, scopes=tuple(details.scopes)), "token"


def check_credentials(
    account: MarketplaceAccount, dsn: str, now: datetime, scopes_source: str = "connection"
) -> str:
    """Record the token's expiry and scopes in ``ops.account_credentials``; fail early when it has expired."""
    expires = account.token_expires_at
    status, message = "ok", None
    expired: AccountExtractionError | None = None
    fix = CREDENTIAL_FIX.get(account.source, "put a new token into the connection's password")
    if expires is not None and expires <= now:
        status = "expired"
        message = (
            f"{account.source} account {account.account_id} (connection {account.conn_id}): the token expired "
            f"at {expires:%Y-%m-%d %H:%M}Z. Fix: {fix}, and update extra.token_expires_at."
        )
        expired = AccountExtractionError(message, permanent=True)
    elif expires is not None and expires - now <= EXPIRY_WARNING:
        status, message = "expiring", f"the token expires at {expires:%Y-%m-%d %H:%M}Z"
    record_credentials(dsn, account, status, message, scopes_source)
    if expired is not None:
        raise expired
    return status


def record_credentials(
    dsn: str, account: MarketplaceAccount, status: str, message: str | None, scopes_source: str = "connection"
) -> None:
    """Upsert what is known about the account's token (never the token itself)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            """
            insert into ops.account_credentials
                (source, account_id, conn_id, token_expires_at, scopes, scopes_source, status, message, checked_at)
            values (%s, %s, %s, %s, %s, %s, %s, %s, now())
            on conflict (source, account_id) do update set
                conn_id = excluded.conn_id, token_expires_at = excluded.token_expires_at,
                scopes = excluded.scopes, scopes_source = excluded.scopes_source, status = excluded.status,
                message = excluded.message, checked_at = excluded.checked_at
            """,
            (
                account.source,
                account.account_id,
                account.conn_id,
                account.token_expires_at,
                Jsonb(list(account.scopes)),
                scopes_source,
                status,
                message,
            ),
        )


def extract_marketplace_account(
    conn_id: str, dsn: str, run_id: str, now: datetime, force: bool = False
) -> dict[str, Any]:
    """The body of a DAG's mapped task: connection → checks → streams; failures name the account and fix."""
    from sellerflow.extract.account import extract_account

    account, scopes_source = read_token(marketplace_account(conn_id))
    check_credentials(account, dsn, now, scopes_source)
    try:
        return extract_account(account, dsn, run_id, now, force=force)
    except AccountExtractionError as exc:
        if exc.permanent:
            record_credentials(dsn, account, "failed", str(exc)[:500], scopes_source)
        raise


def new_versions_in_run(dsn: str, source: str, run_id: str) -> int:
    """New raw versions the loader wrote for ``source`` in DAG run ``run_id`` (from ``ops.load_runs``)."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "select coalesce(sum(inserted), 0) from ops.load_runs where source = %s and run_id = %s",
            (source, run_id),
        ).fetchone()
    return int(row[0]) if row else 0
