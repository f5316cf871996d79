"""Reading postings out of the canonical world and rendering them in Ozon's shapes.

Field names and types follow OZ-ZH-2026 ``posting.v4.PostingFbsListResponse.Postings`` (v4 FBS lists),
``v3FbsPostingDetail`` (``/v3/posting/fbs/get``) and OZ-RU-2025 ``v2FboPosting`` (``/v2/posting/fbo/get``);
the ``/v3/posting/fbo/list`` posting is ``v2FboPosting`` with ``products[].price`` as ``{amount, currency}``
(fact sheet "(a) Orders / postings", [community]). Values with no canonical column are derived
deterministically from the row (or read from its ``vendor`` JSON): ``order_id``, delivery method ids,
label barcodes, commission percent (offer ``vendor.commission_percent``, default 15).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from typing import Any

from sellerflow_emulators.ozon.common import CURRENCY, Ctx, money, rub_num, rub_text, stable_int, vendor_json

# Ozon substatus per status (v3FbsPosting.substatus enum).
SUBSTATUS = {
    "awaiting_registration": "posting_awaiting_registration",
    "acceptance_in_progress": "posting_acceptance_in_progress",
    "awaiting_approve": "posting_created",
    "awaiting_packaging": "posting_created",
    "awaiting_deliver": "posting_transferring_to_delivery",
    "arbitration": "posting_in_arbitration",
    "client_arbitration": "posting_in_client_arbitration",
    "delivering": "posting_on_way_to_city",
    "driver_pickup": "posting_driver_pick_up",
    "delivered": "posting_delivered",
    "cancelled": "posting_canceled",
    "not_accepted": "posting_not_in_sort_center",
}

ACTIONS = {
    "awaiting_packaging": ["cancel", "product_cancel", "ship"],
    "awaiting_deliver": ["cancel", "label_download"],
    "arbitration": ["awaiting_delivery", "cancel"],
}

CANCEL_TYPES = {  # actor of the cancelling history entry -> (cancellation_type, cancellation_initiator)
    "seller": ("seller", "Продавец"),
    "buyer": ("client", "Покупатель"),
    "marketplace": ("ozon", "Ozon"),
}

DEFAULT_COMMISSION_PERCENT = 15


def postings_sql(ctx: Ctx, schemes: tuple[str, ...], where: str, params: list[Any]) -> tuple[str, list[Any]]:
    """SELECT of the cabinet's visible postings with current status (``vstatus``) and warehouse columns.

    ``where`` is extra SQL on ``o`` with ``?`` placeholders bound from ``params``; rows without a status
    at the clock are left out.
    """
    marks = ",".join("?" * len(schemes))
    sql = (
        "select * from (select o.*, (select h.vendor_status from order_status_history h "
        "where h.order_id = o.id and h.at <= ? order by h.at desc, h.rowid desc limit 1) as vstatus, "
        "(select max(h.at) from order_status_history h where h.order_id = o.id and h.at <= ?) as vchanged, "
        "w.external_id as wh_ext, w.name as wh_name "
        "from orders o left join warehouses w on w.id = o.warehouse_id "
        f"where o.account_id = ? and o.created_at <= ? and o.scheme in ({marks}) {where}) "
        "where vstatus is not null"
    )
    return sql, [ctx.now, ctx.now, ctx.account_id, ctx.now, *schemes, *params]


def find_posting(ctx: Ctx, posting_number: str, schemes: tuple[str, ...]) -> sqlite3.Row | None:
    """One visible posting of the calling cabinet by number, or None."""
    sql, params = postings_sql(ctx, schemes, "and o.posting_number = ?", [posting_number])
    return ctx.conn.execute(sql, params).fetchone()


class PostingRenderer:
    """Batch-loads lines and history for a page of orders, then renders each in a chosen shape."""

    def __init__(self, ctx: Ctx, orders: list[sqlite3.Row]) -> None:
        self.ctx = ctx
        self.lines: dict[int, list[sqlite3.Row]] = defaultdict(list)
        self.history: dict[int, list[sqlite3.Row]] = defaultdict(list)
        ids = [int(o["id"]) for o in orders]
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        for line in ctx.conn.execute(
            "select l.*, f.mp_sku, f.mp_product_id, f.name as offer_name, f.old_price_kop, "
            "f.vendor as offer_vendor, p.weight_g from order_lines l "
            "left join offers f on f.account_id = ? and f.offer_id = l.offer_id "
            f"left join products p on p.ref_key = f.product_ref where l.order_id in ({marks}) "
            "order by l.order_id, l.line_no",
            [ctx.account_id, *ids],
        ):
            self.lines[int(line["order_id"])].append(line)
        for entry in ctx.conn.execute(
            f"select * from order_status_history where order_id in ({marks}) and at <= ? order by at, rowid",
            [*ids, ctx.now],
        ):
            self.history[int(entry["order_id"])].append(entry)

    # -- pieces shared by the shapes -------------------------------------------------------------

    @staticmethod
    def order_id(order: sqlite3.Row) -> int:
        """Ozon ``order_id``: from ``vendor.order_id`` or derived from the order number."""
        return int(vendor_json(order).get("order_id") or stable_int(f"order:{order['order_number']}", 10))

    def _entered(self, order: sqlite3.Row, status: str) -> str | None:
        for entry in self.history[int(order["id"])]:
            if entry["status"] == status:
                return str(entry["at"])
        return None

    def _warehouse(self, order: sqlite3.Row) -> tuple[int, str]:
        if order["wh_ext"] is None:
            return 0, ""
        return int(order["wh_ext"]), str(order["wh_name"])

    def _delivery_method(self, order: sqlite3.Row) -> dict[str, Any]:
        wh_id, wh_name = self._warehouse(order)
        vendor = vendor_json(order)
        return {
            "id": int(vendor.get("delivery_method_id") or stable_int(f"dm:{wh_id}", 14)),
            "name": vendor.get("delivery_method_name") or f"Ozon Логистика самостоятельно, {wh_name}",
            "warehouse_id": wh_id,
            "warehouse": wh_name,
            "tpl_provider_id": int(vendor.get("tpl_provider_id") or 24),
            "tpl_provider": vendor.get("tpl_provider") or "Ozon Логистика",
        }

    def _cancellation(self, order: sqlite3.Row) -> dict[str, Any]:
        entries = self.history[int(order["id"])]
        cancel = next((e for e in reversed(entries) if e["status"] == "cancelled"), None)
        if cancel is None or order["vstatus"] != "cancelled":
            return {
                "cancel_reason_id": 0,
                "cancel_reason": "",
                "cancellation_type": "",
                "cancelled_after_ship": False,
                "affect_cancellation_rating": False,
                "cancellation_initiator": "",
            }
        vendor = vendor_json(order)
        ctype, initiator = CANCEL_TYPES.get(str(cancel["actor"]), ("ozon", "Ozon"))
        shipped = any(e["status"] in ("awaiting_deliver", "delivering") for e in entries)
        return {
            "cancel_reason_id": int(vendor.get("cancel_reason_id") or 0),
            "cancel_reason": str(vendor.get("cancel_reason") or ""),
            "cancellation_type": ctype,
            "cancelled_after_ship": shipped,
            "affect_cancellation_rating": ctype == "seller",
            "cancellation_initiator": initiator,
        }

    @staticmethod
    def _commission_percent(line: sqlite3.Row) -> int:
        try:
            offer_vendor = json.loads(line["offer_vendor"] or "{}")
        except ValueError:
            offer_vendor = {}
        value = offer_vendor.get("commission_percent") if isinstance(offer_vendor, dict) else None
        return int(value or DEFAULT_COMMISSION_PERCENT)

    def _amounts(self, line: sqlite3.Row) -> dict[str, Any]:
        qty = int(line["quantity"])
        price = int(line["price_kop"])
        old = int(line["old_price_kop"] or price)
        pct = self._commission_percent(line)
        commission = round(price * qty * pct / 100)
        discount = max(old - price, 0)
        return {
            "price": price,
            "old": old,
            "pct": pct,
            "commission": commission,
            "payout": price * qty - commission,
            "discount": discount,
            "discount_pct": round(discount * 100 / old, 2) if old else 0.0,
        }

    def _barcodes(self, order: sqlite3.Row) -> dict[str, str]:
        seed = stable_int(f"label:{order['posting_number']}", 12)
        return {"upper_barcode": f"%{seed}%", "lower_barcode": str(seed)}

    @staticmethod
    def _analytics_base(order: sqlite3.Row) -> dict[str, Any]:
        vendor = vendor_json(order)
        return {
            "region": str(vendor.get("region") or "Москва"),
            "city": str(vendor.get("city") or "Москва"),
            "delivery_type": str(vendor.get("delivery_type") or "PVZ"),
            "is_premium": bool(vendor.get("is_premium", False)),
            "payment_type_group_name": str(vendor.get("payment_type_group_name") or "Карты оплаты"),
            "is_legal": bool(vendor.get("is_legal", False)),
        }

    def _legal_info(self) -> dict[str, str]:
        return {"company_name": "", "inn": "", "kpp": ""}

    # -- FBS shapes --------------------------------------------------------------------------------

    def fbs_v4(self, order: sqlite3.Row, flags: dict[str, Any]) -> dict[str, Any]:
        """One posting of ``/v4/posting/fbs/list`` and ``/v4/posting/fbs/unfulfilled/list``."""
        status = str(order["vstatus"])
        wh_id, wh_name = self._warehouse(order)
        lines = self.lines[int(order["id"])]
        products = [
            {
                "sku": int(line["mp_sku"] or 0),
                "offer_id": line["offer_id"],
                "name": line["offer_name"] or "",
                "quantity": int(line["quantity"]),
                "price": money(int(line["price_kop"])),
                "imei": [],
                "is_blr_traceable": False,
                "is_marketplace_buyout": False,
                "product_color": "",
                "weight": round((line["weight_g"] or 0) / 1000, 3),
            }
            for line in lines
        ]
        posting: dict[str, Any] = {
            "posting_number": order["posting_number"],
            "order_id": self.order_id(order),
            "order_number": order["order_number"],
            "status": status,
            "substatus": SUBSTATUS.get(status, ""),
            "delivery_method": self._delivery_method(order),
            "tracking_number": "",
            "tpl_integration_type": "non_integrated" if order["scheme"] == "dbs" else "ozon",
            "in_process_at": order["created_at"],
            "shipment_date": order["ship_by"],
            "shipment_date_without_delay": order["ship_by"],
            "delivering_date": self._entered(order, "delivering"),
            "cancellation": self._cancellation(order),
            "customer": None,
            "addressee": None,
            "barcodes": self._barcodes(order) if flags.get("barcodes") else None,
            "analytics_data": None,
            "financial_data": None,
            "legal_info": self._legal_info() if flags.get("legal_info") else None,
            "is_express": False,
            "requirements": {
                "products_requiring_gtd": [],
                "products_requiring_country": [],
                "products_requiring_mandatory_mark": [],
                "products_requiring_jw_uin": [],
                "products_requiring_rnpt": [],
                "products_requiring_change_country": [],
                "products_requiring_imei": [],
                "products_requiring_weight": [],
            },
            "products": products,
            "parent_posting_number": str(vendor_json(order).get("parent_posting_number") or ""),
            "available_actions": ACTIONS.get(status, []),
            "multi_box_qty": 0,
            "is_multibox": False,
            "quantum_id": 0,
            "delivery_schema": "FBS",
            "destination_place_id": 0,
            "destination_place_name": "",
            "external_order": {"is_external": False, "platform_name": ""},
            "is_click_and_collect": False,
            "is_presortable": False,
            "tariffication": None,
            "tariffication_steps": [],
            "volume_weight": 0.0,
            "prr_option": "",
            "pickup_code_verified_at": None,
            "require_blr_traceable_attrs": False,
            "optional": {"products_with_possible_mandatory_mark": []},
        }
        if flags.get("analytics_data"):
            analytics = self._analytics_base(order)
            analytics.update(
                {
                    "warehouse_id": wh_id,
                    "warehouse": wh_name,
                    "tpl_provider_id": posting["delivery_method"]["tpl_provider_id"],
                    "tpl_provider": posting["delivery_method"]["tpl_provider"],
                    "delivery_date_begin": None,
                    "delivery_date_end": None,
                    "client_delivery_date_begin": None,
                    "client_delivery_date_end": None,
                }
            )
            posting["analytics_data"] = analytics
        if flags.get("financial_data"):
            fin = []
            for line in lines:
                a = self._amounts(line)
                fin.append(
                    {
                        "product_id": int(line["mp_sku"] or 0),
                        "price": rub_num(a["price"]),
                        "old_price": rub_num(a["old"]),
                        "payout": rub_num(a["payout"]),
                        "commission": {
                            "amount": rub_num(a["commission"]),
                            "currency": CURRENCY,
                            "percent": a["pct"],
                        },
                        "customer_price": money(a["price"]),
                        "quantity": int(line["quantity"]),
                        "total_discount_value": rub_num(a["discount"]),
                        "total_discount_percent": a["discount_pct"],
                        "actions": [],
                    }
                )
            posting["financial_data"] = {"products": fin, "cluster_from": "", "cluster_to": ""}
        return posting

    def fbs_v3_detail(self, order: sqlite3.Row, flags: dict[str, Any]) -> dict[str, Any]:
        """``result`` of ``/v3/posting/fbs/get`` (``v3FbsPostingDetail``): prices are strings here."""
        base = self.fbs_v4(order, {**flags, "financial_data": False})
        keep = (
            "posting_number", "order_id", "order_number", "status", "substatus", "delivery_method",
            "tracking_number", "tpl_integration_type", "in_process_at", "shipment_date",
            "shipment_date_without_delay", "delivering_date", "cancellation", "customer", "addressee",
            "barcodes", "analytics_data", "legal_info", "is_express", "requirements", "parent_posting_number",
            "available_actions", "optional", "tariffication_steps",
        )  # fmt: skip
        detail = {key: base[key] for key in keep}
        detail["requirements"] = {
            k: v for k, v in base["requirements"].items() if k != "products_requiring_weight"
        }
        detail["tariffication_steps"] = []
        lines = self.lines[int(order["id"])]
        detail["products"] = [
            {
                "sku": int(line["mp_sku"] or 0),
                "offer_id": line["offer_id"],
                "name": line["offer_name"] or "",
                "quantity": int(line["quantity"]),
                "price": rub_text(int(line["price_kop"])),
                "currency_code": CURRENCY,
                "mandatory_mark": [],
                "has_imei": False,
                # PostingProductDetail.dimensions: strings, mm and g; the world keeps the weight only
                "dimensions": {
                    "height": "0",
                    "length": "0",
                    "weight": str(int(line["weight_g"] or 0)),
                    "width": "0",
                },
            }
            for line in lines
        ]
        detail["additional_data"] = []
        detail["courier"] = None
        detail["delivery_price"] = ""
        detail["fact_delivery_date"] = self._entered(order, "delivered")
        detail["provider_status"] = ""
        detail["previous_substatus"] = ""
        detail["product_exemplars"] = None
        detail["related_postings"] = None
        detail["tariffication"] = None
        detail["financial_data"] = self._fin_v2(order) if flags.get("financial_data") else None
        return detail

    def _fin_v2(self, order: sqlite3.Row, customer: bool = True) -> dict[str, Any]:
        products = []
        for line in self.lines[int(order["id"])]:
            a = self._amounts(line)
            item = {
                "product_id": int(line["mp_sku"] or 0),
                "price": rub_num(a["price"]),
                "old_price": rub_num(a["old"]),
                "payout": rub_num(a["payout"]),
                "commission_amount": rub_num(a["commission"]),
                "commission_percent": a["pct"],
                "commissions_currency_code": CURRENCY,
                "currency_code": CURRENCY,
                "quantity": int(line["quantity"]),
                "total_discount_value": rub_num(a["discount"]),
                "total_discount_percent": a["discount_pct"],
                "actions": [],
            }
            if customer:
                item["customer_price"] = rub_num(a["price"])
                item["customer_currency_code"] = CURRENCY
            products.append(item)
        return {"products": products, "cluster_from": "", "cluster_to": ""}

    # -- FBO shapes --------------------------------------------------------------------------------

    def fbo(self, order: sqlite3.Row, flags: dict[str, Any], money_prices: bool) -> dict[str, Any]:
        """An FBO posting: ``/v3/posting/fbo/list`` (``money_prices``) or ``/v2/posting/fbo/get``."""
        wh_id, wh_name = self._warehouse(order)
        vendor = vendor_json(order)
        products = []
        for line in self.lines[int(order["id"])]:
            item: dict[str, Any] = {
                "sku": int(line["mp_sku"] or 0),
                "name": line["offer_name"] or "",
                "offer_id": line["offer_id"],
                "quantity": int(line["quantity"]),
                "digital_codes": [],
                "is_marketplace_buyout": False,
            }
            if money_prices:
                item["price"] = money(int(line["price_kop"]))
            else:
                item["price"] = rub_text(int(line["price_kop"]))
                item["currency_code"] = CURRENCY
            products.append(item)
        posting: dict[str, Any] = {
            "order_id": self.order_id(order),
            "order_number": order["order_number"],
            "posting_number": order["posting_number"],
            "status": order["vstatus"],
            "cancel_reason_id": int(vendor.get("cancel_reason_id") or 0),
            "created_at": order["created_at"],
            "in_process_at": order["created_at"],
            "products": products,
            "analytics_data": None,
            "financial_data": None,
            "additional_data": [],
            "legal_info": self._legal_info() if flags.get("legal_info") else None,
        }
        if flags.get("analytics_data"):
            analytics = self._analytics_base(order)
            analytics.pop("region")
            analytics.update({"warehouse_id": wh_id, "warehouse_name": wh_name})
            posting["analytics_data"] = analytics
        if flags.get("financial_data"):
            posting["financial_data"] = self._fin_v2(order, customer=False)
        return posting
