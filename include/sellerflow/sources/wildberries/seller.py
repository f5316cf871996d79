"""common-api stream: who the cabinet's seller is (``GET /api/v1/seller-info``).

WB OpenAPI 01-general ``getV1SellerInfo`` (snapshot 2026-07-22): any token category, ``{name, sid, tin,
tradeMark}``, 1 request/min (burst 10). ``tin`` is the seller's ИНН — the one sellerflow takes a cabinet's
legal entity from (``int_accounts``), since the realization rows' ``ppvzSupplierInn`` names the pickup
point's partner (docs/vendors/wildberries.md). The connection's own ``legal_entity_inn`` (when the
connection names one) is stored beside the record as context and wins in dbt. One call a day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sellerflow.extract.stream import Page, RunContext, Slice, Stream, required_fields
from sellerflow.sources.wildberries.client import WildberriesClient

PATH = "/api/v1/seller-info"


class WbSellerInfo(Stream):
    """The seller behind the token, keyed by the seller's ``sid``."""

    name = "seller_info"
    entity = "seller_info"
    key = "sid"
    cadence = timedelta(days=1)

    def validate(self, record: dict[str, Any]) -> str | None:
        """The seller needs an id and an ИНН."""
        return required_fields(record, ("sid", "tin"))

    def pages(
        self, ctx: RunContext[WildberriesClient], piece: Slice, state: dict[str, Any]
    ) -> Iterator[Page]:
        """The one object, with the connection's ИНН as context."""
        data = ctx.client.get(PATH)
        records = [data] if isinstance(data, dict) else []
        yield Page(records, context={"connection_inn": ctx.account.legal_entity_inn})
