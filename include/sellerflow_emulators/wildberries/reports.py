"""finance-api sales reports (current) and the retired statistics-api v5 report (legacy mode).

Sources:
- WB OpenAPI 13-finances (2026-07-22), tag "Финансовые отчёты": ``POST /api/finance/v1/sales-reports/list``
  ``{dateFrom, dateTo, period, limit<=1000, offset}`` -> bare array of reports, 204 when empty;
  ``POST .../sales-reports/detailed`` ``{dateFrom, dateTo, period=weekly|daily, limit<=100000, rrdId,
  fields}`` and ``POST .../sales-reports/detailed/{reportId}`` ``{limit, rrdId, fields}`` -> rows with
  camelCase names and money as strings; page with the last row's ``rrdId`` until 204. 400 is
  problem+json (``response400FinancialReports``); 403 ``base token is not allowed`` for Basic tokens.
- WB OpenAPI 13-finances snapshot 2025-12-26 (``13-finances.legacy-2025-12.yaml``):
  ``GET /api/v5/supplier/reportDetailByPeriod`` (dateFrom, dateTo, limit, rrdid, period), snake_case rows,
  money as numbers, 204 at the end. WB switched it off on 2026-07-15, so it answers 404 "path not
  found" unless the cabinet's ``accounts.vendor`` has ``{"legacy_v5": true}``.
Canonical mapping: ``report_lines.line_no`` is the ``rrdId``; ``reports.id`` is the ``reportId`` (a
stable integer is derived when it is not numeric); a report covering one day is ``daily``, longer is
``weekly``. Money follows the canonical signs: ``payout_kop`` is signed (a return, logistics,
storage or penalty line pays out negative), and WB's rows carry positive amounts whose meaning the
operation gives: ``forPay`` only on sale/return rows, ``deliveryService`` / ``penalty`` /
``paidStorage`` on charge rows. Report-list sums are the sums of the rendered rows' fields (``forPaySum`` and
``retailAmountSum`` net returns off sales); ``bankPaymentSum`` is the world's stated payout
(``reports.totals.payout_kop``) — a client ties out to it and must not derive it. ``reports.totals`` may
override any sum by WB's own name. Charge operations put their amount into their own field
(``CHARGE_FIELDS``: paidStorage, paidAcceptance, deduction, rebillLogisticCost, acquiringFee,
additionalPayment); ``ppvzSupplierInn``/``ppvzSupplierName`` are the pickup point's partner the world's
line names (WB: «ИНН партнёра», «Партнёр»), never the seller. ``report_lines.vendor`` may override documented row fields only (``assemblyId`` -> ``orderId``,
``barcode`` -> ``sku``).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from sellerflow_emulators.runtime import EmulatorState, format_ts, parse_ts
from sellerflow_emulators.wildberries.common import (
    MSK,
    CallContext,
    WbError,
    finance_error,
    gateway_error,
    money,
    money_number,
    path_not_found,
    stable_int,
)
from sellerflow_emulators.wildberries.guard import guard, list_fault, mutate_items
from sellerflow_emulators.wildberries.world import vendor_json, wb_order_id, wb_order_uid, wb_srid

MAX_ROWS = 100_000

# report_lines.vendor keys that name a WB row field differently
VENDOR_ALIASES = {"assemblyId": "orderId", "barcode": "sku"}
# canonical operation -> (docTypeName, sellerOperName)
OPERATIONS = {
    "sale": ("Продажа", "Продажа"),
    "return": ("Возврат", "Возврат"),
    "logistics": ("", "Логистика"),
    "penalty": ("", "Штраф"),
    "storage": ("", "Хранение"),
    "acquiring": ("", "Эквайринг"),
    "commission": ("", "Удержание"),
    "other": ("", "Удержание"),
    "deduction": ("", "Удержание"),
    "acceptance": ("", "Платная приемка"),
    "rebill_logistics": ("", "Возмещение издержек по перемещению и операционной обработке товара"),
    "cashback": ("", "Компенсация скидки по программе лояльности"),
    "additional_payment": ("", "Корректировка Вознаграждения Вайлдберриз (ВВ)"),
}
# canonical charge operation -> the row field that carries its amount (13-finances ``DetailReportItem``)
CHARGE_FIELDS = {
    "storage": "paidStorage",
    "acceptance": "paidAcceptance",
    "commission": "deduction",
    "other": "deduction",
    "deduction": "deduction",
    "rebill_logistics": "rebillLogisticCost",
    "acquiring": "acquiringFee",
    "additional_payment": "additionalPayment",
}
MONEY_FIELDS = [
    "retailPrice",
    "retailAmount",
    "retailPriceWithDisc",
    "deliveryService",
    "ppvzSalesCommission",
    "forPay",
    "ppvzReward",
    "acquiringFee",
    "vw",
    "vwNds",
    "penalty",
    "additionalPayment",
    "rebillLogisticCost",
    "paidStorage",
    "deduction",
    "paidAcceptance",
    "installmentCofinancingAmount",
    "cashbackAmount",
    "cashbackDiscount",
    "cashbackCommissionChange",
]
LIST_SUMS = [
    "retailAmountSum",
    "forPaySum",
    "deliveryServiceSum",
    "paidStorageSum",
    "paidAcceptanceSum",
    "deductionSum",
    "penaltySum",
    "additionalPaymentSum",
    "cashbackAmountSum",
    "cashbackDiscountSum",
    "cashbackCommissionChangeSum",
    "bankPaymentSum",
]
# v5 names whose v1 counterpart is not the plain camelCase of the snake_case name
V5_RENAMES = {
    "realizationreport_id": "reportId",
    "create_dt": "createDate",
    "currency_name": "currency",
    "sa_name": "vendorCode",
    "ts_name": "techSize",
    "barcode": "sku",
    "supplier_oper_name": "sellerOperName",
    "rr_dt": "rrDate",
    "retail_price_withdisc_rub": "retailPriceWithDisc",
    "delivery_rub": "deliveryService",
    "supplier_promo": "sellerPromo",
    "ppvz_spp_prc": "spp",
    "ppvz_kvw_prc_base": "kvwBase",
    "ppvz_kvw_prc": "kvw",
    "sup_rating_prc_up": "supRatingUp",
    "ppvz_for_pay": "forPay",
    "ppvz_vw": "vw",
    "ppvz_vw_nds": "vwNds",
    "ppvz_inn": "ppvzSupplierInn",
    "site_country": "country",
    "storage_fee": "paidStorage",
    "acceptance": "paidAcceptance",
    "assembly_id": "orderId",
    "is_legal_entity": "isB2b",
    "wibes_wb_discount_percent": "wibesDiscountPercent",
}
V5_FIELDS = [
    "realizationreport_id",
    "date_from",
    "date_to",
    "create_dt",
    "currency_name",
    "suppliercontract_code",
    "rrd_id",
    "gi_id",
    "dlv_prc",
    "fix_tariff_date_from",
    "fix_tariff_date_to",
    "subject_name",
    "nm_id",
    "brand_name",
    "sa_name",
    "ts_name",
    "barcode",
    "doc_type_name",
    "quantity",
    "retail_price",
    "retail_amount",
    "sale_percent",
    "commission_percent",
    "office_name",
    "supplier_oper_name",
    "order_dt",
    "sale_dt",
    "rr_dt",
    "shk_id",
    "retail_price_withdisc_rub",
    "delivery_amount",
    "return_amount",
    "delivery_rub",
    "gi_box_type_name",
    "product_discount_for_report",
    "supplier_promo",
    "ppvz_spp_prc",
    "ppvz_kvw_prc_base",
    "ppvz_kvw_prc",
    "sup_rating_prc_up",
    "is_kgvp_v2",
    "ppvz_sales_commission",
    "ppvz_for_pay",
    "ppvz_reward",
    "acquiring_fee",
    "acquiring_percent",
    "payment_processing",
    "acquiring_bank",
    "ppvz_vw",
    "ppvz_vw_nds",
    "ppvz_office_name",
    "ppvz_office_id",
    "ppvz_supplier_id",
    "ppvz_supplier_name",
    "ppvz_inn",
    "declaration_number",
    "bonus_type_name",
    "sticker_id",
    "site_country",
    "srv_dbs",
    "penalty",
    "additional_payment",
    "rebill_logistic_cost",
    "rebill_logistic_org",
    "storage_fee",
    "deduction",
    "acceptance",
    "assembly_id",
    "kiz",
    "srid",
    "report_type",
    "is_legal_entity",
    "trbx_id",
    "installment_cofinancing_amount",
    "wibes_wb_discount_percent",
    "cashback_amount",
    "cashback_discount",
    "cashback_commission_change",
    "order_uid",
    "payment_schedule",
    "delivery_method",
]


def report_id(row: sqlite3.Row) -> int:
    """The WB ``reportId`` of a canonical report."""
    text = str(row["id"])
    return int(text) if text.isdigit() else stable_int("report", text, digits=9)


def _period(row: sqlite3.Row) -> str:
    return "daily" if row["period_start"] == row["period_end"] else "weekly"


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _day(text: Any, name: str) -> date:
    if not isinstance(text, str) or not text:
        raise finance_error(f"missing {name} params")
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise finance_error(f"parsing {name}: invalid date {text!r}") from exc


def visible_reports(conn: sqlite3.Connection, ctx: CallContext) -> list[sqlite3.Row]:
    """The cabinet's published reports; ``report_late`` hides the newest one."""
    rows = conn.execute(
        "select * from reports where account_id = ? and published_at <= ? order by published_at, id",
        (ctx.account_id, format_ts(ctx.now)),
    ).fetchall()
    if rows and list_fault(ctx, "report_late"):
        rows = rows[:-1]
    return rows


def _select(reports: list[sqlite3.Row], lo: date, hi: date, period: str) -> list[sqlite3.Row]:
    return [
        r
        for r in reports
        if _period(r) == period and r["period_start"] <= hi.isoformat() and r["period_end"] >= lo.isoformat()
    ]


def _lines(
    conn: sqlite3.Connection, reports: list[sqlite3.Row], after: int, limit: int, shift: int
) -> list[sqlite3.Row]:
    if not reports:
        return []
    marks = ",".join("?" * len(reports))
    ids = [r["id"] for r in reports]
    if shift < 0:
        back = conn.execute(
            f"select line_no from report_lines where report_id in ({marks}) and line_no <= ? "
            "order by line_no desc limit ?",
            (*ids, after, -shift),
        ).fetchall()
        after = back[-1]["line_no"] - 1 if back else after
    return conn.execute(
        f"select * from report_lines where report_id in ({marks}) and line_no > ? order by line_no limit ? offset ?",
        (*ids, after, limit, max(shift, 0)),
    ).fetchall()


class RowBuilder:
    """Renders canonical report lines as finance-api rows (money in kopecks until formatted)."""

    def __init__(self, conn: sqlite3.Connection, ctx: CallContext, reports: list[sqlite3.Row]) -> None:
        self.conn = conn
        self.ctx = ctx
        self.reports = {r["id"]: r for r in reports}
        le = conn.execute(
            "select l.* from legal_entities l join accounts a on a.legal_entity_id = l.id where a.id = ?",
            (ctx.account_id,),
        ).fetchone()
        self.seller_name = le["name"] if le else ""

    def build(self, lines: list[sqlite3.Row]) -> list[dict[str, Any]]:
        """Rows for ``lines``, with offers and orders looked up in batches."""
        offers = self._offers({ln["offer_id"] for ln in lines})
        orders = self._orders({ln["posting_number"] for ln in lines if ln["posting_number"]})
        return [self._row(ln, offers.get(ln["offer_id"]), orders.get(ln["posting_number"])) for ln in lines]

    def _offers(self, offer_ids: set[str]) -> dict[str, sqlite3.Row]:
        if not offer_ids:
            return {}
        marks = ",".join("?" * len(offer_ids))
        rows = self.conn.execute(
            f"select * from offers where account_id = ? and offer_id in ({marks})",
            (self.ctx.account_id, *offer_ids),
        ).fetchall()
        return {r["offer_id"]: r for r in rows}

    def _orders(self, postings: set[str]) -> dict[str, sqlite3.Row]:
        out: dict[str, sqlite3.Row] = {}
        items = sorted(postings)
        for start in range(0, len(items), 900):
            chunk = items[start : start + 900]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"select * from orders where account_id = ? and posting_number in ({marks})",
                (self.ctx.account_id, *chunk),
            ).fetchall()
            out.update({r["posting_number"]: r for r in rows})
        return out

    def _row(self, ln: sqlite3.Row, offer: sqlite3.Row | None, order: sqlite3.Row | None) -> dict[str, Any]:
        report = self.reports[ln["report_id"]]
        op = ln["operation"]
        doc_type, oper_name = OPERATIONS.get(op, OPERATIONS["other"])
        amount = int(ln["amount_kop"])
        # A charge line may carry its cost only as a negative payout (the generator does for storage).
        charge = amount or abs(int(ln["payout_kop"]))
        is_goods = op in {"sale", "return"}
        qty = int(ln["quantity"]) if is_goods else 0
        unit = amount // qty if qty else amount
        op_day = (parse_ts(ln["operation_at"]) + MSK).date().isoformat()
        order_dt = order["created_at"] if order else ln["operation_at"]
        row: dict[str, Any] = {
            "reportId": report_id(report),
            "dateFrom": report["period_start"],
            "dateTo": report["period_end"],
            "createDate": (parse_ts(report["published_at"]) + MSK).date().isoformat(),
            "currency": "RUB",
            "reportType": 1,
            "rrdId": int(ln["line_no"]),
            "giId": 0,
            "dlvPrc": 0,
            "fixTariffDateFrom": report["period_start"],
            "fixTariffDateTo": report["period_end"],
            "subjectName": "",
            "nmId": int(offer["mp_sku"]) if offer else 0,
            "brandName": "",
            "vendorCode": ln["offer_id"],
            "title": offer["name"] if offer else "",
            "techSize": "0",
            "sku": offer["barcode"] if offer else "",
            "docTypeName": doc_type,
            "quantity": qty,
            "retailPrice": unit if is_goods else 0,
            "retailAmount": amount if is_goods else 0,
            "salePercent": 0,
            "commissionPercent": round(ln["commission_kop"] * 100 / amount, 2) if is_goods and amount else 0,
            "officeName": "",
            "sellerOperName": oper_name,
            "orderDt": order_dt,
            "saleDt": ln["operation_at"],
            "rrDate": op_day,
            "shkId": stable_int("shk", ln["report_id"], ln["line_no"], digits=10),
            "retailPriceWithDisc": unit if is_goods else 0,
            "deliveryAmount": 1 if op == "logistics" else 0,
            "returnAmount": 1 if op == "return" else 0,
            "deliveryService": int(ln["logistics_kop"]),
            "giBoxTypeName": "",
            "productDiscountForReport": 0,
            "sellerPromo": 0,  # a number since WB's 2026-09 spec (was a string)
            "spp": 0,
            "kvwBase": 0,
            "kvw": 0,
            "supRatingUp": 0,
            "isKgvpV2": 0,
            "ppvzSalesCommission": int(ln["commission_kop"]),
            "forPay": abs(int(ln["payout_kop"])) if is_goods else 0,
            "ppvzReward": 0,
            "acquiringFee": 0,
            "acquiringPercent": 0,
            "paymentProcessing": "",
            "acquiringBank": "",
            "vw": 0,
            "vwNds": 0,
            "ppvzOfficeName": "",
            "ppvzOfficeId": 0,
            # the pickup point's partner (WB: «Партнёр», «ИНН партнёра»), never the seller: the world's line says
            "ppvzSupplierName": "",
            "ppvzSupplierInn": "",
            "declarationNumber": "",
            "bonusTypeName": "",
            "stickerId": "",
            "country": "Россия",
            "srvDbs": False,
            "penalty": int(ln["penalty_kop"]),
            "additionalPayment": 0,
            "rebillLogisticCost": 0,
            "paidStorage": 0,
            "deduction": 0,
            "paidAcceptance": 0,
            "orderId": wb_order_id(order) if order and order["scheme"] == "fbs" else 0,
            "isB2b": False,
            "trbxId": "",
            "installmentCofinancingAmount": 0,
            "wibesDiscountPercent": 0,
            "cashbackAmount": 0,
            "cashbackDiscount": 0,
            "cashbackCommissionChange": 0,
            "paymentSchedule": "0",
            "deliveryMethod": "FBS, (МГТ)" if order is None or order["scheme"] == "fbs" else "FBO",
            "sellerPromoId": 0,
            "sellerPromoDiscount": 0,
            "loyaltyId": 0,
            "loyaltyDiscount": 0,
            "uuidPromocode": "",
            "salePricePromocodeDiscountPrc": 0,
            "articleSubstitution": "",
            "salePriceAffiliatedDiscountPrc": 0,
            "salePriceWholesaleDiscountPrc": 0,
            "b2bCustomerTin": "",
            # added by WB after the 2026-07-22 spec (tests/contracts/wildberries/spec_updates/13-finances.yaml)
            "paidWithSocialCertificate": False,
            "warehouseLogisticsCoeff": 0,
            "buyerTaxRegistrationReasonCode": "",
            "utdUcdNumber": "",
            "utdUcdDate": (parse_ts(report["published_at"]) + MSK).date().isoformat(),
            "orderUid": wb_order_uid(order) if order else "",
            "srid": wb_srid(order) if order else "",
        }
        if op in CHARGE_FIELDS:
            row[CHARGE_FIELDS[op]] = charge
        for key, value in vendor_json(ln).items():
            target = VENDOR_ALIASES.get(key, key)
            if target in row and value is not None:  # only documented WB fields may be overridden
                row[target] = value
        return row


def to_v1(row: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """Finance v1 row: money fields as strings; only ``fields`` when the client asked for some."""
    out = {k: (money(v) if k in MONEY_FIELDS and isinstance(v, int) else v) for k, v in row.items()}
    return {k: out[k] for k in fields if k in out} if fields else out


def to_v5(row: dict[str, Any]) -> dict[str, Any]:
    """Legacy v5 row: snake_case names, money as numbers."""
    out: dict[str, Any] = {}
    for name in V5_FIELDS:
        source = V5_RENAMES.get(name) or _camel(name)
        value = row.get(source)
        if source in MONEY_FIELDS and isinstance(value, int):
            value = money_number(value)
        out[name] = value
    out["currency_name"] = "руб"
    out["ppvz_supplier_id"] = 0
    out["payment_schedule"] = 0
    out["bonus_type_name"] = row.get("bonusTypeName", "")
    out["kiz"] = row.get("kiz", "")
    out["rebill_logistic_org"] = row.get("rebillLogisticOrg", "")
    out["delivery_method"] = str(row.get("deliveryMethod", "")).split(",")[0]
    return out


# list sum -> (row field, sign by document): the sums are WB's totals of the rows' fields (13-finances
# ``SalesReportListRes``); ``forPaySum`` and ``retailAmountSum`` net returns off sales [?: WB's rule]
SUM_OF_FIELD = {
    "retailAmountSum": "retailAmount",
    "forPaySum": "forPay",
    "deliveryServiceSum": "deliveryService",
    "paidStorageSum": "paidStorage",
    "paidAcceptanceSum": "paidAcceptance",
    "deductionSum": "deduction",
    "penaltySum": "penalty",
    "additionalPaymentSum": "additionalPayment",
    "cashbackAmountSum": "cashbackAmount",
    "cashbackDiscountSum": "cashbackDiscount",
    "cashbackCommissionChangeSum": "cashbackCommissionChange",
}
NETTED_SUMS = {"retailAmountSum", "forPaySum"}


def _list_item(conn: sqlite3.Connection, report: sqlite3.Row, builder: RowBuilder) -> dict[str, Any]:
    """One ``sales-reports/list`` entry: the sums of the report's rendered rows; ``bankPaymentSum`` is the
    world's stated payout (``reports.totals.payout_kop``), which a client must not assume equals any formula."""
    totals = json.loads(report["totals"] or "{}")
    lines = conn.execute(
        "select * from report_lines where report_id = ? order by line_no", (report["id"],)
    ).fetchall()
    computed = dict.fromkeys(SUM_OF_FIELD, 0)
    for row in builder.build(lines):
        sign = -1 if row["docTypeName"] == "Возврат" else 1
        for name, field in SUM_OF_FIELD.items():
            value = row.get(field) or 0
            computed[name] += sign * int(value) if name in NETTED_SUMS else int(value)
    computed["bankPaymentSum"] = int(totals.get("payout_kop", sum(int(ln["payout_kop"]) for ln in lines)))
    # the generator's own totals (kopecks) win where they map one to one
    if "sale_amount_kop" in totals:
        computed["retailAmountSum"] = totals["sale_amount_kop"] - totals.get("return_amount_kop", 0)
    for key, name in (("logistics_kop", "deliveryServiceSum"), ("penalty_kop", "penaltySum")):
        if key in totals:
            computed[name] = totals[key]
    item: dict[str, Any] = {
        "reportId": report_id(report),
        "sellerFinanceName": builder.seller_name,
        "dateFrom": report["period_start"],
        "dateTo": report["period_end"],
        "createDate": (parse_ts(report["published_at"]) + MSK).date().isoformat(),
        "currency": "RUB",
        "reportType": int(totals.get("reportType", 1)),
    }
    for name in LIST_SUMS:
        item[name] = money(int(totals.get(name, computed.get(name, 0))))
    item["avgSalePercent"] = 0
    item["paymentSchedule"] = "-1"
    return item


def build_router(state: EmulatorState) -> APIRouter:  # noqa: C901 - one closure per route
    """Routes of finance-api sales reports and the legacy statistics-api v5 report."""
    router = APIRouter()
    finance_guard = Depends(guard(state, "finance", "finance_reports"))
    legacy_guard = Depends(guard(state, "statistics", "reports_legacy"))

    def check_token_type(ctx: CallContext) -> None:
        if str(ctx.vendor_settings().get("token_type", "")).lower() == "basic":
            raise gateway_error(403, "forbidden", "base token is not allowed", "s2s-finance")

    async def body_of(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError as exc:
            raise finance_error("invalid character in request body") from exc
        if not isinstance(body, dict):
            raise finance_error("request body must be an object")
        return body

    def paging(body: dict[str, Any], max_limit: int) -> tuple[int, int]:
        limit = body.get("limit", max_limit)
        rrd = body.get("rrdId", 0)
        if not isinstance(limit, int) or not 1 <= limit <= max_limit:
            raise finance_error(f"limit must be between 1 and {max_limit}")
        if not isinstance(rrd, int) or rrd < 0:
            raise finance_error("rrdId must be a non-negative integer")
        return limit, rrd

    def detailed(ctx: CallContext, reports: list[sqlite3.Row], body: dict[str, Any]) -> Any:
        limit, rrd = paging(body, MAX_ROWS)
        fields = body.get("fields")
        if fields is not None and not (isinstance(fields, list) and all(isinstance(f, str) for f in fields)):
            raise finance_error("fields must be an array of strings")
        shift = fault.shift if (fault := list_fault(ctx, "shifted_page")) else 0
        conn = state.conn()
        lines = _lines(conn, reports, rrd, limit, shift)
        if not lines:
            return Response(status_code=204)
        rows = [to_v1(r, fields) for r in RowBuilder(conn, ctx, reports).build(lines)]
        return JSONResponse(mutate_items(rows, ctx.fault))

    @router.post("/api/finance/v1/sales-reports/list", response_model=None)
    async def reports_list(request: Request, ctx: CallContext = finance_guard) -> Any:
        check_token_type(ctx)
        body = await body_of(request)
        lo, hi = _day(body.get("dateFrom"), "dateFrom"), _day(body.get("dateTo"), "dateTo")
        period = body.get("period", "weekly")
        limit, offset = body.get("limit", 1000), body.get("offset", 0)
        if period not in {"weekly", "daily"}:
            raise finance_error(f"invalid period {period!r}")
        if not isinstance(limit, int) or not 1 <= limit <= 1000 or not isinstance(offset, int) or offset < 0:
            raise finance_error("limit must be between 1 and 1000, offset non-negative")
        conn = state.conn()
        chosen = _select(visible_reports(conn, ctx), lo, hi, period)[offset : offset + limit]
        if not chosen:
            return Response(status_code=204)
        builder = RowBuilder(conn, ctx, chosen)
        return JSONResponse([_list_item(conn, r, builder) for r in chosen])

    @router.post("/api/finance/v1/sales-reports/detailed", response_model=None)
    async def detailed_by_period(request: Request, ctx: CallContext = finance_guard) -> Any:
        check_token_type(ctx)
        body = await body_of(request)
        lo, hi = _day(body.get("dateFrom"), "dateFrom"), _day(body.get("dateTo"), "dateTo")
        period = body.get("period", "weekly")
        if period not in {"weekly", "daily"}:
            raise finance_error(f"invalid period {period!r}")
        return detailed(ctx, _select(visible_reports(state.conn(), ctx), lo, hi, period), body)

    @router.post("/api/finance/v1/sales-reports/detailed/{report}", response_model=None)
    async def detailed_by_id(report: str, request: Request, ctx: CallContext = finance_guard) -> Any:
        check_token_type(ctx)
        if not report.isdigit():
            raise finance_error(f"parsing reportId: invalid value {report!r}")
        body = await body_of(request)
        chosen = [r for r in visible_reports(state.conn(), ctx) if report_id(r) == int(report)]
        return detailed(ctx, chosen, body)

    @router.get("/api/v5/supplier/reportDetailByPeriod", response_model=None)
    def legacy_v5(request: Request, ctx: CallContext = legacy_guard) -> Any:
        if not ctx.vendor_settings().get("legacy_v5"):
            raise path_not_found()
        q = request.query_params
        for name in ("dateFrom", "dateTo"):
            if not q.get(name):
                raise _v5_error(f"missing {name} params")
        try:
            lo, hi = date.fromisoformat(q["dateFrom"][:10]), date.fromisoformat(q["dateTo"][:10])
            limit = int(q.get("limit") or MAX_ROWS)
            rrd = int(q.get("rrdid") or 0)
        except ValueError as exc:
            raise _v5_error("invalid query parameter") from exc
        period = q.get("period", "weekly")
        if not 1 <= limit <= MAX_ROWS or rrd < 0 or period not in {"weekly", "daily"}:
            raise _v5_error("invalid query parameter")
        conn = state.conn()
        reports = _select(visible_reports(conn, ctx), lo, hi, period)
        shift = fault.shift if (fault := list_fault(ctx, "shifted_page")) else 0
        lines = _lines(conn, reports, rrd, limit, shift)
        if not lines:
            return Response(status_code=204)
        rows = [to_v5(r) for r in RowBuilder(conn, ctx, reports).build(lines)]
        return JSONResponse(mutate_items(rows, ctx.fault))

    return router


def _v5_error(detail: str) -> WbError:
    body = {
        "status": 400,
        "title": "GetReportDetailByPeriodNB decode error",
        "detail": f"GetReportDetailByPeriodNB decode error: {detail}",
        "request_id": str(uuid.uuid4()),
        "origin": "open-api",
    }
    return WbError(400, body)
