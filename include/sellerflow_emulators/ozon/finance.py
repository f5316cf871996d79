"""Realization reports and accruals, rendered from ``reports`` / ``report_lines``.

- ``/v2/finance/realization`` (``{"month", "year"}`` → ``{"result": {"header", "rows"}}``, no posting
  number) and ``/v1/finance/realization/posting`` (no ``result`` wrapper, rows carry
  ``order{posting_number, created_date}`` and ``legal_entity_document``) — OZ-ZH-2026 schemas
  ``GetRealizationReportResponseV2*`` / ``v1GetRealizationReportPosting*``; ``header.doc_amount`` and
  ``vat_amount`` were removed on 2025-12-25 and are not sent. Only ``sale``/``return`` lines are
  realization rows. A report is visible once ``published_at`` ≤ clock; a month without a visible report
  answers 404 ``{"code": 5, "message": "Report was not found"}`` ([community] observation).
  A row's block follows the spec's fields and the identity verified on live data (docs/vendors/ozon.md):
  ``total`` = amount + bonus + bank_coinvestment + stars + compensation − standard_fee − commission — it
  holds no logistics; Ozon's reward is sent as ``commission`` (``standard_fee`` 0 [?: Ozon's split]). The
  other side of a row is ``null``, as live rows have it.
- ``/v1/finance/accrual/postings`` (≤ 200 numbers), ``/by-day`` (``date`` + ``last_id`` paging) and
  ``/types`` — OZ-ZH-2026 ``finance.v1.*``; money as ``{amount: "<string>", currency}``. Accruals are the
  report lines' amounts split by component, visible from ``operation_at``: logistics, last mile, acquiring,
  storage, penalties and compensations live here and not in the realization report. ``type_id``s are Ozon's
  own (``/v1/finance/accrual/types`` as live on 2026-09-23, rastropovich-dot/mp-analytics
  ``knowledge/ozon/accrual_types_2026-09-23.json``); the revenue components of ``/postings`` have no known
  Ozon type and use emulator ids 1001/1002 [?]. A line without a posting is a ``NON_ITEM`` accrual.
- ``/v3/finance/transaction/list`` and ``/totals`` were switched off on 2026-09-08: HTTP 400
  ``{"code": 9, "message": "obsolete method cannot be used"}`` (mp-analytics docs/ozon_finance_migration.md).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sellerflow_emulators.ozon.common import (
    CURRENCY,
    Ctx,
    decode_cursor,
    encode_cursor,
    int_field,
    rub_num,
    rub_text,
    stable_int,
    str_list,
    vendor_json,
)
from sellerflow_emulators.ozon.errors import bad_request, not_found, obsolete_method

OZON_PAYER = {"payer_name": 'ООО "Интернет Решения"', "payer_inn": "7704217370", "payer_kpp": "997750001"}

# type_id -> (name, description): Ozon's catalog (see the module docstring) for the kinds the world charges
ACCRUAL_TYPES = {
    1: ("Acquiring", "Эквайринг"),
    10: ("Compensation", "Компенсация"),
    29: ("LastMileCourier", "Доставка до места выдачи"),
    32: ("Logistic", "Логистика"),
    46: ("Placements", "Размещение товаров на складах Ozon"),
    54: ("Promotion", "Продвижение товара"),
    59: ("ReturnFlowLogistic", "Обратная логистика"),
    69: ("SaleCommission", "Вознаграждение за продажу"),
    93: ("DefectFineErrors", "Превышение индекса ошибок"),
    1001: ("SaleRevenue", "Выручка (emulator-only id)"),
    1002: ("ReturnRevenue", "Возврат выручки (emulator-only id)"),
}
REVENUE, RETURN_REVENUE, COMMISSION, LOGISTIC, RETURN_LOGISTIC, PENALTY = 1001, 1002, 69, 32, 59, 93
# canonical charge operation -> Ozon type
OPERATION_TYPE = {
    "storage": 46,
    "acquiring": 1,
    "last_mile": 29,
    "other": 10,
    "penalty": PENALTY,
    "logistics": LOGISTIC,
    "deduction": 54,
    "commission": COMMISSION,
}
BY_DAY_PAGE = 1000


def _money(kop: int) -> dict[str, str]:
    return {"amount": rub_text(kop), "currency": CURRENCY}


def _month_report(ctx: Ctx, body: dict[str, Any], message: str) -> sqlite3.Row:
    month = int_field(body, "month", f"{message}.Month")
    year = int_field(body, "year", f"{message}.Year")
    if not 1 <= month <= 12:
        raise bad_request(f"invalid {message}.Month: value must be inside range [1, 12]")
    if (year, month) < (2023, 8):
        raise bad_request("reports are available from August 2023")
    fault = ctx.fault
    if fault is not None and fault.kind == "report_late":
        raise not_found("Report was not found")
    row = ctx.conn.execute(
        "select * from reports where account_id = ? and period_start = ? and published_at <= ? "
        "order by published_at desc limit 1",
        (ctx.account_id, f"{year:04d}-{month:02d}-01", ctx.now),
    ).fetchone()
    if row is None:
        raise not_found("Report was not found")
    return row


def _header(ctx: Ctx, report: sqlite3.Row) -> dict[str, Any]:
    entity = ctx.conn.execute(
        "select * from legal_entities where id = ?", (ctx.account["legal_entity_id"],)
    ).fetchone()
    account_vendor = vendor_json(ctx.account)
    return {
        "number": str(report["id"]),
        "doc_date": str(report["published_at"])[:10],
        "start_date": report["period_start"],
        "stop_date": report["period_end"],
        "contract_number": str(
            account_vendor.get("contract_number") or f"ИР-{stable_int(ctx.account_id, 6)}/21"
        ),
        "contract_date": str(account_vendor.get("contract_date") or "2021-01-01"),
        **OZON_PAYER,
        "receiver_name": entity["name"] if entity else "",
        "receiver_inn": entity["inn"] if entity else "",
        "receiver_kpp": (entity["kpp"] or "") if entity else "",
        "currency_sys_name": CURRENCY,
    }


def commission_total(block: dict[str, float]) -> float:
    """``total`` «Итого к начислению» of a realization block by the identity Ozon's live rows satisfy."""
    plus = ("amount", "bonus", "bank_coinvestment", "stars", "pick_up_point_coinvestment", "compensation")
    value = (
        sum(block.get(k, 0.0) for k in plus) - block.get("standard_fee", 0.0) - block.get("commission", 0.0)
    )
    return round(value, 2)


def _commission_block(line: sqlite3.Row) -> dict[str, Any]:
    qty = int(line["quantity"]) or 1
    amount = int(line["amount_kop"])
    fee = int(line["commission_kop"])
    block: dict[str, Any] = {
        "amount": rub_num(amount),
        "bonus": 0.0,
        "commission": rub_num(fee),
        "compensation": 0.0,
        "price_per_instance": rub_num(round(amount / qty)),
        "quantity": int(line["quantity"]),
        "standard_fee": 0.0,
        "bank_coinvestment": 0.0,
        "stars": 0.0,
    }
    block["total"] = commission_total(block)
    return block


def _realization_rows(ctx: Ctx, report: sqlite3.Row, by_posting: bool) -> list[dict[str, Any]]:
    lines = ctx.conn.execute(
        "select l.*, f.name as offer_name, f.barcode, f.mp_sku, o.created_at as order_created "
        "from report_lines l left join offers f on f.account_id = ? and f.offer_id = l.offer_id "
        "left join orders o on o.account_id = ? and o.posting_number = l.posting_number "
        "where l.report_id = ? and l.operation in ('sale', 'return') order by l.line_no",
        (ctx.account_id, ctx.account_id, report["id"]),
    ).fetchall()
    rows = []
    for number, line in enumerate(lines, start=1):
        amount = int(line["amount_kop"])
        qty = int(line["quantity"]) or 1
        block = _commission_block(line)
        row: dict[str, Any] = {
            "item": {
                "name": line["offer_name"] or "",
                "offer_id": line["offer_id"],
                "barcode": line["barcode"] or "",
                "sku": int(line["mp_sku"] or 0),
            },
            "commission_ratio": round(int(line["commission_kop"]) / amount, 4) if amount else 0.0,
            "seller_price_per_instance": rub_num(round(amount / qty)),
            "delivery_commission": block if line["operation"] == "sale" else None,
            "return_commission": block if line["operation"] == "return" else None,
        }
        if by_posting:
            vendor = vendor_json(line)
            created = line["order_created"] or line["operation_at"]
            row["row_number"] = number
            row["order"] = {"posting_number": line["posting_number"] or "", "created_date": str(created)[:10]}
            row["legal_entity_document"] = {
                "number": str(vendor.get("document_number") or ""),
                "sale_date": str(vendor.get("sale_date") or str(line["operation_at"])[:10]),
            }
        else:
            row["rowNumber"] = number
        rows.append(row)
    return rows


def realization(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v2/finance/realization``."""
    report = _month_report(ctx, body, "GetRealizationReportRequestV2")
    return {"result": {"header": _header(ctx, report), "rows": _realization_rows(ctx, report, False)}}


def realization_posting(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/finance/realization/posting``."""
    report = _month_report(ctx, body, "GetRealizationReportPostingRequest")
    return {"header": _header(ctx, report), "rows": _realization_rows(ctx, report, True)}


def _components(line: sqlite3.Row) -> list[tuple[int, int]]:
    """(type_id, signed kopecks) accruals of one report line."""
    op = str(line["operation"])
    amount = int(line["amount_kop"])
    out: list[tuple[int, int]] = []
    if op == "sale":
        out.append((REVENUE, amount))
    elif op == "return":
        out.append((RETURN_REVENUE, -amount))
    elif op in OPERATION_TYPE and amount:
        out.append((OPERATION_TYPE[op], -abs(amount)))
    sign = 1 if op == "return" else -1  # a return refunds the commission
    if int(line["commission_kop"]) and op in ("sale", "return"):
        out.append((COMMISSION, sign * int(line["commission_kop"])))
    if int(line["logistics_kop"]):
        out.append((RETURN_LOGISTIC if op == "return" else LOGISTIC, -int(line["logistics_kop"])))
    if int(line["penalty_kop"]):
        out.append((PENALTY, -int(line["penalty_kop"])))
    return out


def _visible_lines(ctx: Ctx, where: str, params: list[Any], limit: int = -1) -> list[sqlite3.Row]:
    return ctx.conn.execute(
        "select l.*, f.mp_sku from report_lines l join reports r on r.id = l.report_id "
        "left join offers f on f.account_id = r.account_id and f.offer_id = l.offer_id "
        f"where r.account_id = ? and l.operation_at <= ? {where} order by l.report_id, l.line_no limit ?",
        [ctx.account_id, ctx.now, *params, limit],
    ).fetchall()


def accrual_postings(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/finance/accrual/postings``."""
    message = "GetFinanceAccrualPostingsRequest"
    numbers = str_list(body.get("posting_numbers"), f"{message}.PostingNumbers", 200)
    if not numbers:
        raise bad_request(f"invalid {message}.PostingNumbers: value must contain at least 1 item(s)")
    marks = ",".join("?" * len(numbers))
    lines = _visible_lines(ctx, f"and l.posting_number in ({marks})", numbers)
    grouped: dict[str, list[dict[str, Any]]] = {n: [] for n in numbers}
    for line in lines:
        qty = int(line["quantity"]) or 1
        parts = [(t, kop) for t, kop in _components(line) if t not in (REVENUE, RETURN_REVENUE)]
        if line["operation"] in ("sale", "return") and not any(t == COMMISSION for t, _ in parts):
            parts.insert(0, (COMMISSION, 0))
        # the sale is the SaleCommission (69) accrual: seller_price × quantity = by-day's sale_amount (negative on a
        # return), accrued = the commission (rastropovich-dot/mp-analytics scripts/check_accrual_postings_quantity.py)
        sign = -1 if line["operation"] == "return" else 1
        for type_id, kop in parts:
            grouped[line["posting_number"]].append(
                {
                    "accrual_date": str(line["operation_at"])[:10],
                    "type_id": type_id,
                    "sku": int(line["mp_sku"] or 0),
                    "quantity": int(line["quantity"]),
                    "accrued": _money(kop),
                    "seller_price": _money(sign * round(int(line["amount_kop"]) / qty)),
                }
            )
    return {
        "posting_accruals": [
            {"posting_number": n, "accruals": accruals} for n, accruals in grouped.items() if accruals
        ]
    }


def accrual_by_day(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/finance/accrual/by-day``: one accrual per report line of that day, ``last_id`` paging."""
    message = "GetFinanceAccrualByDayRequest"
    day = str(body.get("date") or "")
    if len(day) != 10 or day[4] != "-" or day[7] != "-":
        raise bad_request(f"invalid {message}.Date: value must be a date YYYY-MM-DD")
    if day < "2022-01-01":
        raise bad_request(f"invalid {message}.Date: data is available from 2022-01-01")
    state = decode_cursor(body.get("last_id"), message)
    where = "and substr(l.operation_at, 1, 10) = ?"
    params: list[Any] = [day]
    if state.get("a"):
        where += " and (l.report_id > ? or (l.report_id = ? and l.line_no > ?))"
        params += [state["a"][0], state["a"][0], state["a"][1]]
    lines = _visible_lines(ctx, where, params, BY_DAY_PAGE + 1)
    more = len(lines) > BY_DAY_PAGE
    lines = lines[:BY_DAY_PAGE]
    accruals = [_by_day_item(line) for line in lines]
    last = lines[-1] if lines else None
    cursor = encode_cursor({"a": [last["report_id"], last["line_no"]]}) if more and last is not None else ""
    return {"accruals": accruals, "last_id": cursor}


def _by_day_item(line: sqlite3.Row) -> dict[str, Any]:
    parts = _components(line)
    total = sum(kop for _, kop in parts)
    item: dict[str, Any] = {
        "accrual_id": stable_int(f"{line['report_id']}:{line['line_no']}", 12),
        "date": str(line["operation_at"])[:10],
        "unit_number": line["posting_number"] or "",
        "total_amount": _money(total),
    }
    if not line["posting_number"]:
        type_id, kop = parts[0] if parts else (8, 0)
        item["accrued_category"] = "NON_ITEM"
        item["non_item_fee"] = {"type_id": type_id, "accrued": _money(kop)}
        return item
    sale = next((kop for t, kop in parts if t in (REVENUE, RETURN_REVENUE)), 0)
    commission = next((kop for t, kop in parts if t == COMMISSION), 0)
    services = [
        {"type_id": t, "accrued": _money(kop)}
        for t, kop in parts
        if t not in (REVENUE, RETURN_REVENUE, COMMISSION)
    ]
    qty = int(line["quantity"]) or 1
    item["accrued_category"] = "POSTING"
    item["posting"] = {
        "delivery_schema": str(json.loads(line["vendor"] or "{}").get("delivery_schema") or "FBS"),
        "delivery_speed": 0,
        "products": [
            {
                "sku": int(line["mp_sku"] or 0),
                "commission": {
                    "sale_amount": _money(sale),
                    "sale_commission": _money(commission),
                    "commission": _money(commission),
                    "commission_ratio": str(round(abs(commission) / abs(sale), 4)) if sale else "0",
                    "sale_price": _money(round(abs(sale) / qty)),
                    "seller_price": _money(round(int(line["amount_kop"]) / qty)),
                    "bonus": _money(0),
                    "coinvestment": _money(0),
                },
                "delivery": {
                    "services": services,
                    "total_accrued": _money(
                        sum(kop for t, kop in parts if t not in (REVENUE, RETURN_REVENUE, COMMISSION))
                    ),
                },
            }
        ],
    }
    return item


def accrual_types(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/finance/accrual/types``."""
    return {
        "accrual_types": [
            {"id": type_id, "name": name, "description": description}
            for type_id, (name, description) in ACCRUAL_TYPES.items()
        ]
    }


def transaction_list_retired(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """``/v3/finance/transaction/list`` and ``/totals``: switched off by Ozon on 2026-09-08."""
    raise obsolete_method()
