"""Reverse-ETL targets: one module per place sellerflow writes to (see ``sellerflow.reverse_etl``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sellerflow.sources.account import MarketplaceAccount
from sellerflow.sources.onec import OneCBase

if TYPE_CHECKING:  # the targets are imported when asked for
    from sellerflow.reverse_etl.targets.onec_assembled import OneCAssembled
    from sellerflow.reverse_etl.targets.onec_reservations import OneCReservations
    from sellerflow.reverse_etl.vendor_target import MarketplaceTarget

# target name → (module, class); the marketplace targets take ``accounts(account_id)`` (the cabinet's connection)
MARKETPLACE_TARGETS: dict[str, tuple[str, str]] = {
    "ozon_stocks": ("ozon_stocks", "OzonStocks"),
    "wildberries_stocks": ("wildberries_stocks", "WildberriesStocks"),
    "yandex_market_stocks": ("yandex_market_stocks", "YandexMarketStocks"),
    "megamarket_stocks": ("megamarket_stocks", "MegamarketStocks"),
    "ozon_prices": ("ozon_prices", "OzonPrices"),
    "wildberries_prices": ("wildberries_prices", "WildberriesPrices"),
    "yandex_market_prices": ("yandex_market_prices", "YandexMarketPrices"),
    "megamarket_prices": ("megamarket_prices", "MegamarketPrices"),
    "ozon_statuses": ("ozon_statuses", "OzonStatuses"),
    "wildberries_statuses": ("wildberries_statuses", "WildberriesStatuses"),
    "yandex_market_statuses": ("yandex_market_statuses", "YandexMarketStatuses"),
    "megamarket_statuses": ("megamarket_statuses", "MegamarketStatuses"),
    "ozon_shortages": ("ozon_shortages", "OzonShortages"),
    "wildberries_shortages": ("marketplace_shortages", "WildberriesShortages"),
    "yandex_market_shortages": ("marketplace_shortages", "YandexMarketShortages"),
    "megamarket_shortages": ("marketplace_shortages", "MegamarketShortages"),
}
STOCK_TARGETS = ("ozon_stocks", "wildberries_stocks", "yandex_market_stocks", "megamarket_stocks")
PRICE_TARGETS = ("ozon_prices", "wildberries_prices", "yandex_market_prices", "megamarket_prices")
STATUS_TARGETS = ("ozon_statuses", "wildberries_statuses", "yandex_market_statuses", "megamarket_statuses")
# no sync model: request_assembled enqueues the units a finished pick list did not find; push_statuses drains them
SHORTAGE_TARGETS = (
    "ozon_shortages",
    "wildberries_shortages",
    "yandex_market_shortages",
    "megamarket_shortages",
)
# 1C targets; onec_assembled has no sync model: the TSD's request_assembled enqueues it, push_statuses drains it
ONEC_TARGETS = ("onec_reservations", "onec_assembled")
TARGET_NAMES = (*ONEC_TARGETS, *MARKETPLACE_TARGETS)


def onec_reservations(bases: Callable[[str], OneCBase]) -> OneCReservations:
    """The 1C reservations target (``bases(base_id)`` gives a base's connection settings)."""
    from sellerflow.reverse_etl.targets.onec_reservations import OneCReservations

    return OneCReservations(bases)


def onec_assembled(bases: Callable[[str], OneCBase]) -> OneCAssembled:
    """The 1C «assembled» target: the reserved order to КОтгрузке, units not found released."""
    from sellerflow.reverse_etl.targets.onec_assembled import OneCAssembled

    return OneCAssembled(bases)


def marketplace_target(
    name: str,
    accounts: Callable[[str], MarketplaceAccount],
    client_options: dict[str, Any] | None = None,
) -> MarketplaceTarget:
    """A marketplace target by name (``accounts(account_id)`` gives a cabinet's connection)."""
    module, cls = MARKETPLACE_TARGETS[name]
    target_class = getattr(importlib.import_module(f"sellerflow.reverse_etl.targets.{module}"), cls)
    return target_class(accounts, client_options)
