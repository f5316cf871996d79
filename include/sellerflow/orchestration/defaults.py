"""Default task arguments and DAG settings every sellerflow DAG starts from."""

from __future__ import annotations

from datetime import datetime, timedelta

START_DATE = datetime(2026, 1, 1)

DEFAULT_ARGS: dict[str, object] = {
    "owner": "sellerflow",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}
