"""1C:УТ 11 documents for what the seller shipped: ЗаказКлиента → РеализацияТоваровУслуг → ВозвратТоваровОтКлиента.

Attribute names and enum values follow the УТ 11.5 metadata summarised in
yandex-market-megamarket-1c.md C7 (Статус ``Закрыт``/``Отгружено``, ВариантОбеспечения
``Отгрузить``, ХозяйственнаяОперация ``РеализацияКлиенту``). ``fields`` hold extra 1C
attributes; timestamps inside them use the store's UTC format like every other column.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sellerflow_emulators.runtime import format_ts
from sellerflow_emulators.scenario import ids
from sellerflow_emulators.scenario.jsonutil import dumps
from sellerflow_emulators.scenario.orders import Order

DOC_COLUMNS = (
    "ref_key",
    "base_id",
    "doc_type",
    "number",
    "date",
    "organization_ref",
    "partner_ref",
    "warehouse_id",
    "customer_order_number",
    "base_doc_ref",
    "posted",
    "deletion_mark",
    "data_version",
    "fields",
)
LINE_COLUMNS = ("doc_ref", "line_no", "product_ref", "quantity", "price_kop", "amount_kop", "fields")
ORDER, SALE, RETURN = "ЗаказКлиента", "РеализацияТоваровУслуг", "ВозвратТоваровОтКлиента"
MARKETPLACE_TITLES = {
    "ozon": "Ozon",
    "wildberries": "Wildberries",
    "yandex_market": "Яндекс Маркет",
    "megamarket": "Мегамаркет",
}


class OneCDocuments:
    """Accumulates document and line rows; numbering continues per (base, document type)."""

    def __init__(
        self,
        rng: random.Random,
        organizations: dict[str, str],
        partners: dict[str, dict[str, dict[str, str]]],
        vat_rates: dict[str, str],
        next_numbers: dict[tuple[str, str], int] | None = None,
    ) -> None:
        self.rng = rng
        self.organizations = organizations
        self.partners = partners
        self.vat_rates = vat_rates
        self.next_numbers = dict(next_numbers or {})
        self.documents: list[tuple[object, ...]] = []
        self.lines: list[tuple[object, ...]] = []

    def _number(self, base_id: str, doc_type: str) -> str:
        key = (base_id, doc_type)
        if key not in self.next_numbers:
            self.next_numbers[key] = 1000 + self.rng.randrange(20_000)
        self.next_numbers[key] += 1
        return ids.onec_number(self.next_numbers[key])

    def _document(
        self,
        order: Order,
        doc_type: str,
        date: datetime,
        base_doc_ref: str | None,
        fields: dict[str, object],
        line_fields: dict[str, object],
    ) -> str:
        account = order.account
        base_id = account.base_id
        ref = ids.guid(self.rng)
        self.documents.append(
            (
                ref,
                base_id,
                doc_type,
                self._number(base_id, doc_type),
                format_ts(date),
                self.organizations[base_id],
                self.partners[base_id][account.marketplace]["ref_key"],
                account.onec_warehouse[order.scheme],
                order.order_number if doc_type == ORDER else None,
                base_doc_ref,
                1,
                0,
                ids.data_version(self.rng),
                dumps(fields),
            )
        )
        for line_no, (offer, qty, amount) in enumerate(order.per_offer().values(), start=1):
            extra = {"СтавкаНДС": self.vat_rates.get(offer.product_ref, "НДС22"), "КодСтроки": line_no}
            extra.update(line_fields)
            self.lines.append(
                (
                    ref,
                    line_no,
                    offer.product_ref,
                    qty,
                    amount // qty,
                    amount,
                    dumps(extra),
                )
            )
        return ref

    def shipment(self, order: Order, shipped_at: datetime, existing_order_ref: str | None = None) -> str:
        """A posted ЗаказКлиента (unless one exists) and the Реализация based on it; returns the Реализация ref."""
        title = MARKETPLACE_TITLES[order.account.marketplace]
        order_ref = existing_order_ref
        if order_ref is None:
            ordered = min(order.created_at + timedelta(minutes=2 + order.id % 18), shipped_at)
            order_ref = self._document(
                order,
                ORDER,
                ordered,
                None,
                {
                    "Статус": "Закрыт",
                    "ХозяйственнаяОперация": "РеализацияКлиенту",
                    "ДатаПоДаннымКлиента": format_ts(order.created_at),
                    "ЦенаВключаетНДС": True,
                    "Согласован": True,
                    "Комментарий": f"{title} {order.scheme.upper()} {order.posting_number}",
                },
                {"ВариантОбеспечения": "Отгрузить"},
            )
        return self._document(
            order,
            SALE,
            shipped_at,
            order_ref,
            {
                "Статус": "Отгружено",
                "ХозяйственнаяОперация": "РеализацияКлиенту",
                "ЗаказКлиента": order_ref,
                "ЗаказКлиента_Type": "StandardODATA.Document_ЗаказКлиента",
                "ЦенаВключаетНДС": True,
            },
            {"ЗаказКлиента": order_ref},
        )

    def customer_return(self, order: Order, sale_ref: str, received_at: datetime) -> str:
        """A ВозвратТоваровОтКлиента based on the Реализация."""
        return self._document(
            order,
            RETURN,
            received_at,
            sale_ref,
            {
                "ХозяйственнаяОперация": "ВозвратОтКлиента",
                "ДокументРеализации": sale_ref,
                "ДокументРеализации_Type": "StandardODATA.Document_РеализацияТоваровУслуг",
            },
            {},
        )
