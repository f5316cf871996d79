"""Default task arguments and DAG settings every sellerflow DAG starts from."""

from __future__ import annotations

from datetime import datetime, timedelta

from sellerflow.orchestration.pools import DBT_POOL, EXTRACT_PRIORITY, TRANSFORM_PRIORITY, WEIGHT_RULE

START_DATE = datetime(2026, 1, 1)

DEFAULT_ARGS: dict[str, object] = {
    "owner": "sellerflow",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}

# Extraction tasks and the transform compete for the same executor slots: see orchestration/pools.py.
EXTRACT_ARGS: dict[str, object] = {
    **DEFAULT_ARGS,
    "priority_weight": EXTRACT_PRIORITY,
    "weight_rule": WEIGHT_RULE,
}
TRANSFORM_ARGS: dict[str, object] = {
    **DEFAULT_ARGS,
    "retries": 1,
    "pool": DBT_POOL,
    "priority_weight": TRANSFORM_PRIORITY,
    "weight_rule": WEIGHT_RULE,
}
