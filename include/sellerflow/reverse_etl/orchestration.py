"""What the push DAGs' tasks do, importable without Airflow running (Airflow objects are imported inside).

- :func:`poll_new_orders_all`: for every configured marketplace cabinet, land its new-order list (one
  failing cabinet does not stop the others), then copy the cabinets' non-secret settings into
  ``ops.reverse_etl_accounts`` for the sync models.
- :func:`push_target`: enqueue the target's sync model and drain the outbox (dry run when the Variable
  ``sellerflow_reverse_etl_dry_run`` is ``true`` or lists the target); :func:`push_targets` does several
  (push_stock: the four ``*_stocks`` targets), a failing one not stopping the others.
- :func:`store_settings`: the cabinets' settings for the sync models (push_stock refreshes them each run).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sellerflow.orchestration.accounts import MARKETPLACES
from sellerflow.reverse_etl import accounts as account_settings
from sellerflow.reverse_etl.new_orders import ensure_tables, poll_new_orders

logger = logging.getLogger(__name__)

DRY_RUN_VARIABLE = "sellerflow_reverse_etl_dry_run"


def is_dry_run(raw: str | None, target: str) -> bool:
    """Whether the Variable's value (``true``/``false`` or a JSON list of target names) asks a dry run."""
    if raw is None or not raw.strip():
        return False
    text = raw.strip()
    if text.lower() in ("true", "1", "yes", "on"):
        return True
    if text.lower() in ("false", "0", "no", "off"):
        return False
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError(f"Variable {DRY_RUN_VARIABLE}: give true, false or a JSON list of targets") from None
    return target in value if isinstance(value, list) else bool(value)


def _onec_organizations() -> dict[str, str | None]:
    from sellerflow.orchestration.accounts import configured_accounts
    from sellerflow.orchestration.connections import onec_base

    out: dict[str, str | None] = {}
    for conn_id in configured_accounts("onec"):
        base = onec_base(conn_id)
        out[base.base_id] = base.organization_key
    return out


def poll_new_orders_all(dsn: str, run_id: str, now: datetime) -> dict[str, Any]:
    """Poll every cabinet's new-order list; store the cabinets' settings. Failures are counted, not raised."""
    from sellerflow.orchestration.accounts import configured_accounts
    from sellerflow.orchestration.marketplaces import marketplace_account

    ensure_tables(dsn)
    organizations = _onec_organizations()
    polled, failed, rows = [], [], []
    for marketplace in MARKETPLACES:
        for conn_id in configured_accounts(marketplace):
            try:
                account = marketplace_account(conn_id)
                rows.append((account, account_settings.reservation_settings(account, organizations)))
                polled.append(poll_new_orders(account, dsn, run_id, now))
            except Exception as exc:  # one cabinet's outage must not delay the others' reservations
                logger.error("%s: new-order poll failed: %s", conn_id, exc)
                failed.append(f"{conn_id}: {type(exc).__name__}: {exc}"[:300])
    account_settings.store(dsn, rows)
    return {
        "accounts": len(polled),
        "new_versions": sum(p["new_versions"] for p in polled),
        "failed": failed,
    }


def cabinet_accounts(marketplace: str) -> dict[str, Any]:
    """account_id → MarketplaceAccount of every configured cabinet of ``marketplace`` (read at run time)."""
    from sellerflow.orchestration.accounts import configured_accounts
    from sellerflow.orchestration.marketplaces import marketplace_account

    accounts = [marketplace_account(conn_id) for conn_id in configured_accounts(marketplace)]
    return {account.account_id: account for account in accounts}


def store_settings(dsn: str) -> int:
    """Copy every cabinet's non-secret settings into ``ops.reverse_etl_accounts`` (the sync models read them)."""
    organizations = _onec_organizations()
    rows = []
    for marketplace in MARKETPLACES:
        for account in cabinet_accounts(marketplace).values():
            rows.append((account, account_settings.reservation_settings(account, organizations)))
    return account_settings.store(dsn, rows)


def _target(target_name: str) -> Any:
    from sellerflow.orchestration.connections import onec_base
    from sellerflow.reverse_etl.targets import MARKETPLACE_TARGETS, marketplace_target

    # The classes from their modules: the package's factory functions of the same names are replaced by the
    # submodules as soon as anything imports those (e.g. the plugin's pick-list code via reverse_etl.statuses).
    if target_name == "onec_reservations":
        from sellerflow.reverse_etl.targets.onec_reservations import OneCReservations

        return OneCReservations(lambda base_id: onec_base(f"onec_{base_id}"))
    if target_name == "onec_assembled":
        from sellerflow.reverse_etl.targets.onec_assembled import OneCAssembled

        return OneCAssembled(lambda base_id: onec_base(f"onec_{base_id}"))
    if target_name in MARKETPLACE_TARGETS:
        accounts = cabinet_accounts(target_name.rsplit("_", 1)[0])

        def account(account_id: str) -> Any:
            if account_id not in accounts:
                raise LookupError(f"no configured connection for cabinet {account_id}")
            return accounts[account_id]

        return marketplace_target(target_name, account)
    raise ValueError(f"unknown target {target_name!r}")


def enqueue_missing_assembled(dsn: str) -> int:
    """1C's «assembled» for finished pick lists whose reservation was acknowledged only after the finish."""
    import psycopg

    from sellerflow.reverse_etl.statuses import request_missing_onec_assembled

    with psycopg.connect(dsn, autocommit=True) as conn:
        return request_missing_onec_assembled(conn)


def push_targets(dsn: str, target_names: list[str]) -> dict[str, Any]:
    """Push several targets; one failing target is logged and counted, the others still run."""
    out: dict[str, Any] = {"failed_targets": []}
    for name in target_names:
        try:
            out[name] = push_target(dsn, name)
        except Exception as exc:  # one vendor's outage must not hold back the others' stock
            logger.error("%s: push failed: %s", name, exc)
            out["failed_targets"].append(f"{name}: {type(exc).__name__}: {exc}"[:300])
    return out


def push_target(dsn: str, target_name: str) -> dict[str, Any]:
    """Enqueue and drain one target (dry run per the Variable)."""
    from airflow.sdk import Variable

    from sellerflow.reverse_etl.push import push
    from sellerflow.sources.ratelimit import PostgresLimiter

    dry_run = is_dry_run(Variable.get(DRY_RUN_VARIABLE, default=None), target_name)
    if target_name == "onec_assembled":
        enqueue_missing_assembled(dsn)
    target = _target(target_name)
    limiter = PostgresLimiter(dsn)
    try:
        return push(dsn, target, dry_run=dry_run, limiter=limiter)
    finally:
        target.close()
        limiter.close()
