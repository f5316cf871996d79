"""Month iteration shared by the monthly report streams (Ozon, Megamarket, Yandex Market)."""

from __future__ import annotations

from datetime import date

from sellerflow.extract.windows import months


def test_months_run_inclusive_across_a_year_end() -> None:
    assert months(date(2025, 11, 30), date(2026, 2, 1)) == [(2025, 11), (2025, 12), (2026, 1), (2026, 2)]


def test_one_month_when_both_days_fall_in_it() -> None:
    assert months(date(2026, 3, 5), date(2026, 3, 20)) == [(2026, 3)]
