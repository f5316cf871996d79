"""The scenario's delivery windows are the reconciliation's (dbt var delivery_window_days), and its report delays
draw a WB tail past 40 days."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml

from sellerflow_emulators.scenario.windows import DELIVERY_WINDOW_DAYS, report_delay

DBT_PROJECT = Path(__file__).resolve().parents[3] / "dbt" / "dbt_project.yml"


def test_the_truth_uses_the_dbt_windows() -> None:
    dbt_vars = yaml.safe_load(DBT_PROJECT.read_text())["vars"]
    assert dbt_vars["delivery_window_days"] == DELIVERY_WINDOW_DAYS
    assert DELIVERY_WINDOW_DAYS["wildberries"] == 45


def test_some_wildberries_sales_come_more_than_40_days_late_and_others_on_time() -> None:
    delays = [report_delay("wildberries", order_id) for order_id in range(5000)]
    late = [d for d in delays if d]
    assert 20 <= len(late) <= 100
    assert all(d > timedelta(days=40) for d in late)
    assert not any(report_delay("ozon", order_id) for order_id in range(1000))
