"""Yandex Market Partner API emulator (seller side): ``create_app(state) -> FastAPI``.

Faithful to the official OpenAPI spec of yandex-market/yandex-market-partner-api @ 1318e9b8
(vendored with its BSD-3 licence in tests/contracts/yandex_market/) and the docs at
yandex.ru/dev/market/partner-api (concepts: api-key, oauth-2.0, limits, pagination, error-codes;
reference: campaigns, orders, stocks, prices, reports). Modules: :mod:`.app` (routing, faults, errors),
:mod:`.auth`, :mod:`.guard` (limits), :mod:`.catalog`, :mod:`.orders`, :mod:`.stock_price`,
:mod:`.reports`.
"""

from sellerflow_emulators.yandex_market.app import create_app

__all__ = ["create_app"]
