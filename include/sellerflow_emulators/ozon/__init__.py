"""Ozon Seller API emulator (``https://api-seller.ozon.ru``), current method versions as of 2026.

Sources (see /work/shared/docs/sources/ozon-wildberries.md, "OZON" and section 0):
- OZ-ZH-2026 official swagger subset (``/work/shared/specs/ozon/seller-api.zh.2026-06.subset.json``):
  ``/v4/posting/fbs/list``, ``/v4/posting/fbs/unfulfilled/list``, ``/v3/posting/fbs/get``,
  ``/v2/warehouse/list``, ``/v3/product/list``, ``/v4/product/info/stocks``, ``/v2/products/stocks``,
  ``/v5/product/info/prices``, ``/v1/product/import/prices``, ``/v4/posting/fbs/ship``,
  ``/v2/posting/fbs/cancel``, ``/v2/posting/fbs/product/cancel``, ``/v2/posting/fbs/cancel-reason/list``,
  ``/v2/posting/fbs/awaiting-delivery``, ``/v2/fbs/posting/delivering``, ``/v2/fbs/posting/delivered``,
  ``/v2/finance/realization``,
  ``/v1/finance/realization/posting``, ``/v1/finance/accrual/{postings,by-day,types}``.
- OZ-RU-2025 (``seller-api.ru.2025-08.subset.json``): ``/v2/posting/fbo/get``, the ``Errors`` tag
  (global error messages), ``Process`` (50 rps per Client-Id), ``Environment`` (auth headers).
- Community-observed contracts where no vendor schema is stored: ``/v3/posting/fbo/list`` (cursor, limit
  (0, 100], no ``result`` wrapper, ``price`` as ``{amount, currency}``), ``/v3/product/info/list``, the 429
  body ``{"code": 8, "message": "You have reached request rate limit per second"}``, 404/5 for an invalid
  Api-Key, 404/5 ``Report was not found`` for an unpublished realization month.

``create_app(state)`` is the entry point; see :mod:`sellerflow_emulators.ozon.app`.
"""

from sellerflow_emulators.ozon.app import create_app

__all__ = ["create_app"]
