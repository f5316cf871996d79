"""Extract one marketplace account: build its client and limiter, run its streams, return XCom-safe counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sellerflow.extract.runner import StreamRunner, account_summary
from sellerflow.extract.stream import DEFAULT_HORIZON, DEFAULT_OVERLAP, RunContext
from sellerflow.extract.vendors import vendor
from sellerflow.sources.account import MarketplaceAccount
from sellerflow.sources.ratelimit import Limiter, PostgresLimiter, resolve_limits


def _delta(settings: dict[str, Any], key: str, unit: str, default: timedelta) -> timedelta:
    value = settings.get(key)
    return default if value is None else timedelta(**{unit: float(value)})


def extract_account(
    account: MarketplaceAccount,
    dsn: str,
    run_id: str,
    now: datetime,
    *,
    streams: Sequence[str] | None = None,
    force: bool = False,
    limiter: Limiter | None = None,
    client_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the account's due streams (or the named ones) up to ``now``; raise on failure, return counts."""
    spec = vendor(account.source)
    settings = dict(account.settings)
    if limiter is None:
        limiter = PostgresLimiter(dsn, {account.source: resolve_limits(account.source, account.rate_limits)})
    with spec.client(account, limiter, **(client_options or {})) as client:
        ctx = RunContext(
            account=account,
            client=client,
            dsn=dsn,
            run_id=run_id,
            now=now,
            horizon=_delta(settings, "horizon_days", "days", DEFAULT_HORIZON),
            overlap=_delta(settings, "overlap_minutes", "minutes", DEFAULT_OVERLAP),
            backfill_slice=_delta(settings, "backfill_slice_days", "days", timedelta(days=30)),
        )
        out = account_summary(ctx, StreamRunner(ctx).run(spec.select(streams), force=force))
    if isinstance(limiter, PostgresLimiter):
        limiter.close()
    return out
