"""Megamarket (ex-SberMegaMarket, ex-goods.ru) merchant API emulator.

Renders the canonical world (``emulators/store.py``) as Megamarket's merchant API: orderService
(order/search, order/get, confirm, reject, packing, shipping, close, cancelResult) and offerService
(stock/update, manualPrice/save), plus the commission report as a cabinet-style XLSX download from
emulator-only paths. Sources: shared/docs/sources/yandex-market-megamarket-1c.md part B (B1
transport and envelope, B2 ids and lots, B3 order flow, B4 stocks and prices, B5 reports) and the
vendor wiki page on order/packing cited there (S9).

Modules: ``app`` (routing, auth, limits, faults), ``orders_read``, ``orders_write``, ``offers``,
``reports``, ``render`` (world rows -> vendor shapes), ``world`` (SQL), ``envelope`` (bodies).
"""

from sellerflow_emulators.megamarket.app import create_app

__all__ = ["create_app"]
