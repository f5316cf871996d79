"""The goods-realization report file («Отчет по реализации»), built from canonical report lines.

Docs: reference/reports/generateGoodsRealizationReport ("Explanation of the report columns", FBY/FBS/
Express tab) and the ``ReportFormatType`` schema: ``FILE`` is one XLSX (the default), ``CSV`` and ``JSON``
are ZIP archives with one file per sheet (``transferred_to_delivery``, ``delivered``, ``unredeemed``,
``returned``, ``lost_items``; the DBS tab documents the first four only). CSV headers are the UPPER_SNAKE
names, JSON keys the camelCase names, XLSX headers the Russian "group/column" titles written as two header rows.
The documented columns are transcribed in ``tests/contracts/yandex_market/report_columns.json``.

Kept to the order columns; the "sales to businesses" columns (ORGANIZATION, INN, UPD/UKD documents) are
left out because emulated buyers are persons. [?] Only the first sheet's Russian title and its first
nine XLSX column titles are confirmed by the Russian page; the other Russian titles are translations
of the English page. A line goes to ``vendor.sheet`` when given, else ``sale`` → ``delivered`` and
``return`` → ``returned``; other operations (commissions, logistics) are not in this report.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sellerflow_emulators.yandex_market.render import rub
from sellerflow_emulators.yandex_market.report_file import ReportFile

SHEET_TITLES = {
    "transferred_to_delivery": "Товары, переданные в доставку",
    "delivered": "Доставленные товары",
    "unredeemed": "Невыкупленные товары",
    "returned": "Возвращённые товары",
    "lost_items": "Утерянные товары",
}

# CSV name -> XLSX title (group "Заказы" unless given as "Группа/Колонка").
TITLES = {
    "ORDER_ID": "Номер заказа",
    "YOUR_ORDER_ID": "Ваш номер заказа",
    "ORDER_TYPE": "Тип заказа",
    "OFFER_NAME": "Название товара",
    "YOUR_SKU": "Ваш SKU",
    "SHOP_SKU": "$",
    "TRANSFERRED_TO_DELIVERY_COUNT": "Количество переданных в доставку, шт.",
    "DELIVERED_COUNT": "Доставлено, шт.",
    "UNREDEEMED_COUNT": "Не выкуплено, шт.",
    "RETURNED_COUNT": "Возвращено, шт.",
    "ORDER_CREATION_DATE": "Дата оформления заказа",
    "TRANSFERRED_TO_DELIVERY_DATE": "Дата передачи товара в доставку",
    "DELIVERY_DATE": "Дата доставки товара",
    "UNREDEEMED_WAREHOUSE_OR_SC_ACCEPT_DATE": "Дата приёмки невыкупа складом или сортировочным центром",
    "RETURN_WAREHOUSE_OR_SC_ACCEPT_DATE": "Дата приёмки возврата складом или сортировочным центром",
    "PAYMENT_TYPE": "Способ оплаты",
    "VAT": "Ставка НДС",
    "PRICE_WITH_VAT_AND_NO_DISCOUNT": "Цена с НДС без скидок за 1 шт.",
    "SHOP_MARKETPLACE_DISCOUNT": "Ваша скидка по акции маркетплейса за 1 шт.",
    "SPASIBO_DISCOUNT": "Ваша скидка по бонусам СберСпасибо за 1 шт.",
    "YANDEX_PLUS_DISCOUNT": "Ваша скидка по баллам Яндекс Плюса за 1 шт.",
    "PRICE_WITH_VAT_AND_ALL_DISCOUNTS": "Цена с НДС с учётом всех скидок за 1 шт.",
    "RNPT": "РНПТ",
    "COMPENSATION_DATE": "Компенсации/Дата автокомпенсации",
    "COMPENSATION_AMOUNT": "Компенсации/Сумма автокомпенсации",
}
_SUM_TITLES = {
    "TRANSFERRED_TO_DELIVERY": "переданных в доставку",
    "DELIVERED": "доставленных",
    "UNREDEEMED": "невыкупленных",
    "RETURN": "возвращённых",
}

_HEAD = ["ORDER_ID", "YOUR_ORDER_ID", "ORDER_TYPE", "OFFER_NAME", "YOUR_SKU", "SHOP_SKU"]
_DATES = ["ORDER_CREATION_DATE", "TRANSFERRED_TO_DELIVERY_DATE", "DELIVERY_DATE"]
_PRICES = [
    "PAYMENT_TYPE",
    "VAT",
    "PRICE_WITH_VAT_AND_NO_DISCOUNT",
    "SHOP_MARKETPLACE_DISCOUNT",
    "SPASIBO_DISCOUNT",
    "YANDEX_PLUS_DISCOUNT",
    "PRICE_WITH_VAT_AND_ALL_DISCOUNTS",
]


def _sums(prefix: str) -> list[str]:
    return [
        f"{prefix}_PRICE_SUM_WITH_VAT_AND_NO_DISCOUNTS",
        f"{prefix}_DISCOUNT_SUM",
        f"{prefix}_PRICE_SUM_WITH_VAT_AND_DISCOUNTS",
    ]


SHEETS: dict[str, list[str]] = {
    "transferred_to_delivery": [
        *_HEAD,
        "TRANSFERRED_TO_DELIVERY_COUNT",
        *_DATES,
        *_PRICES,
        *_sums("TRANSFERRED_TO_DELIVERY"),
        "RNPT",
    ],
    "delivered": [
        *_HEAD,
        "TRANSFERRED_TO_DELIVERY_COUNT",
        "DELIVERED_COUNT",
        *_DATES,
        *_PRICES,
        *_sums("DELIVERED"),
        "RNPT",
    ],
    "unredeemed": [
        *_HEAD,
        "TRANSFERRED_TO_DELIVERY_COUNT",
        "UNREDEEMED_COUNT",
        *_DATES,
        "UNREDEEMED_WAREHOUSE_OR_SC_ACCEPT_DATE",
        *_PRICES,
        *_sums("UNREDEEMED"),
        "RNPT",
    ],
    "returned": [
        *_HEAD,
        "DELIVERED_COUNT",
        "RETURNED_COUNT",
        *_DATES,
        "RETURN_WAREHOUSE_OR_SC_ACCEPT_DATE",
        *_PRICES,
        *_sums("RETURN"),
        "RNPT",
    ],
    "lost_items": [
        *_HEAD,
        "TRANSFERRED_TO_DELIVERY_COUNT",
        *_DATES,
        *_PRICES,
        *_sums("TRANSFERRED_TO_DELIVERY"),
        "RNPT",
        "COMPENSATION_DATE",
        "COMPENSATION_AMOUNT",
    ],
}
SHEET_BY_OPERATION = {"sale": "delivered", "return": "returned"}
VAT_TEXT = {"НДС20": "20%", "НДС22": "22%", "НДС10": "10%", "НДС0": "0%", "БезНДС": "Без НДС"}


def xlsx_title(csv_name: str) -> tuple[str, str]:
    """(group, column) XLSX header of a column."""
    for prefix, words in _SUM_TITLES.items():
        if csv_name.startswith(f"{prefix}_") and "_SUM" in csv_name:
            tail = csv_name[len(prefix) + 1 :]
            text = {
                "PRICE_SUM_WITH_VAT_AND_NO_DISCOUNTS": f"Стоимость всех {words} штук с НДС без учёта скидок",
                "DISCOUNT_SUM": f"Сумма всех скидок за {words} штуки",
                "PRICE_SUM_WITH_VAT_AND_DISCOUNTS": f"Стоимость всех {words} штук с НДС с учётом всех скидок",
            }[tail]
            return "Заказы", text
    title = TITLES[csv_name]
    group, _, column = title.rpartition("/")
    return group or "Заказы", column


FILE = ReportFile(SHEETS, SHEET_TITLES, lambda _sheet, column: xlsx_title(column))


def fetch_lines(
    conn: sqlite3.Connection, account_id: str, year: int, month: int, now: str
) -> list[sqlite3.Row]:
    """Report lines of the campaign's realization reports for the month, published by ``now``."""
    start = f"{year:04d}-{month:02d}-01"
    end = f"{year:04d}-{month:02d}-31"
    return conn.execute(
        """
        select rl.*, o.created_at as order_created_at, o.order_number as o_order_number,
               o.vendor as order_vendor, f.name as offer_name, p.vat_rate
        from report_lines rl
        join reports r on r.id = rl.report_id
        left join orders o on o.account_id = r.account_id and o.posting_number = rl.posting_number
        left join offers f on f.account_id = r.account_id and f.offer_id = rl.offer_id
        left join products p on p.ref_key = f.product_ref
        where r.account_id = ? and r.period_start >= ? and r.period_start <= ? and r.published_at <= ?
        order by r.id, rl.line_no
        """,
        (account_id, start, end, now),
    ).fetchall()


def _row(line: sqlite3.Row, order_type: str) -> tuple[str, dict[str, Any]] | None:
    """(sheet, values by CSV name) of one canonical report line, or None when not in this report."""
    vendor = json.loads(line["vendor"] or "{}")
    sheet = vendor.get("sheet") or SHEET_BY_OPERATION.get(line["operation"])
    if sheet not in SHEETS:
        return None
    qty = int(line["quantity"]) or 1
    amount = int(line["amount_kop"])
    posting = str(line["posting_number"] or line["order_number"])
    order_vendor = json.loads(line["order_vendor"] or "{}")
    your_order = order_vendor.get("externalOrderId") or (
        line["order_number"] if str(line["order_number"]) != posting else ""
    )
    op_day = str(line["operation_at"])[:10]
    values: dict[str, Any] = {
        "ORDER_ID": int(posting) if posting.isdigit() else posting,
        "YOUR_ORDER_ID": your_order,
        "ORDER_TYPE": order_type,
        "OFFER_NAME": line["offer_name"] or line["offer_id"],
        "YOUR_SKU": line["offer_id"],
        "SHOP_SKU": line["offer_id"],
        "ORDER_CREATION_DATE": str(line["order_created_at"] or line["operation_at"])[:10],
        "TRANSFERRED_TO_DELIVERY_DATE": vendor.get("transferredToDeliveryDate", op_day),
        "DELIVERY_DATE": vendor.get("deliveryDate", op_day),
        "UNREDEEMED_WAREHOUSE_OR_SC_ACCEPT_DATE": op_day,
        "RETURN_WAREHOUSE_OR_SC_ACCEPT_DATE": op_day,
        "PAYMENT_TYPE": vendor.get("paymentType", "Предоплата"),
        "VAT": VAT_TEXT.get(line["vat_rate"] or "", "20%"),
        "PRICE_WITH_VAT_AND_NO_DISCOUNT": rub(amount // qty),
        "SHOP_MARKETPLACE_DISCOUNT": 0,
        "SPASIBO_DISCOUNT": 0,
        "YANDEX_PLUS_DISCOUNT": 0,
        "PRICE_WITH_VAT_AND_ALL_DISCOUNTS": rub(amount // qty),
        "RNPT": "",
        "COMPENSATION_DATE": op_day if sheet == "lost_items" else "",
        "COMPENSATION_AMOUNT": rub(int(line["payout_kop"])) if sheet == "lost_items" else 0,
        "TRANSFERRED_TO_DELIVERY_COUNT": qty,
        "DELIVERED_COUNT": qty,
        "UNREDEEMED_COUNT": qty,
        "RETURNED_COUNT": qty,
    }
    for prefix in _SUM_TITLES:
        values[f"{prefix}_PRICE_SUM_WITH_VAT_AND_NO_DISCOUNTS"] = rub(amount)
        values[f"{prefix}_DISCOUNT_SUM"] = 0
        values[f"{prefix}_PRICE_SUM_WITH_VAT_AND_DISCOUNTS"] = rub(amount)
    return sheet, values


def sheets_for(order_type: str) -> tuple[str, ...]:
    """The sheets of a campaign's report: the DBS page documents four, without ``lost_items`` (parcels lost in
    Market's logistics, which DBS does not use)."""
    return tuple(s for s in SHEETS if not (order_type == "DBS" and s == "lost_items"))


def build_sheets(lines: list[sqlite3.Row], order_type: str) -> dict[str, list[dict[str, Any]]]:
    """Rows per sheet (values keyed by CSV column name); every sheet of the model present, maybe empty."""
    sheets: dict[str, list[dict[str, Any]]] = {name: [] for name in sheets_for(order_type)}
    for line in lines:
        placed = _row(line, order_type)
        if placed and placed[0] in sheets:
            sheet, values = placed
            sheets[sheet].append({col: values[col] for col in SHEETS[sheet]})
    return sheets
