"""Account discovery: the sellerflow_accounts Variable and connection-id conventions."""

from __future__ import annotations

import pytest

from sellerflow.orchestration.accounts import AccountConfigError, parse_accounts, source_of


def test_parse_accounts_returns_the_sources_connections() -> None:
    raw = '{"onec": ["onec_ut_main", "onec_ut_second"], "ozon": ["mp_ozon_main"]}'
    assert parse_accounts(raw, "onec") == ["onec_ut_main", "onec_ut_second"]
    assert parse_accounts(raw, "wildberries") == []


def test_missing_variable_says_how_to_fix_it() -> None:
    with pytest.raises(AccountConfigError, match="Admin → Variables"):
        parse_accounts(None, "onec")


@pytest.mark.parametrize("raw", ["not json", '{"onec": "onec_ut_main"}', "[1, 2]"])
def test_malformed_variable_is_refused(raw: str) -> None:
    with pytest.raises(AccountConfigError):
        parse_accounts(raw, "onec")


@pytest.mark.parametrize(
    ("conn_id", "source"),
    [
        ("onec_ut_main", "onec"),
        ("mp_ozon_main", "ozon"),
        ("mp_yandex_market_main", "yandex_market"),
        ("mp_wildberries_second", "wildberries"),
        ("mp_megamarket_main", "megamarket"),
    ],
)
def test_source_of_connection_ids(conn_id: str, source: str) -> None:
    assert source_of(conn_id) == source


def test_source_of_rejects_unknown_prefixes() -> None:
    with pytest.raises(AccountConfigError, match="mp_<marketplace>_<account>"):
        source_of("wb_main")
