"""Ground truth: the reconciliation status every shipped-or-reported line must get, derived from
what the generator did (never from reconciliation SQL), and the accounts file for Airflow.

Status of one (account, order_number, offer_id) at the clock, first rule that applies:

0. the offer is unmapped (no 1C article matches it)     → unmapped_product: one line, whatever the
   rules below would say (kept as ``status_if_mapped``)
1. two or more visible sale lines                      → duplicate_in_report
2. order cancelled and a visible sale line             → cancelled_but_reported
3. visible sale line, no РеализацияТоваровУслуг in 1C  → reported_not_shipped
4. visible return line: with a 1C return document      → returned, else → return_not_received
5. one visible sale line: quantity differs             → quantity_mismatch;
   amount differs by more than the tolerance           → amount_mismatch; else → matched
6. shipped in 1C, no visible sale line: the report of the period holding the shipment
   moment plus the marketplace's delivery window (``windows.DELIVERY_WINDOW_DAYS``, the dbt var's
   defaults) is published → missing_in_report,
   otherwise (that period open or its report not yet out) → awaiting_report

"Visible" means the report's published_at is at or before the clock. Rule 6 reads the shipment
moment, not the delivery one: the vendors' order lists do not carry the delivery moment, so a
reconciliation cannot know it, while every sale delivered by then is in the reports up to that period.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sellerflow_emulators.runtime import format_ts
from sellerflow_emulators.scenario import reports
from sellerflow_emulators.scenario.catalog import Catalog
from sellerflow_emulators.scenario.discrepancies import Injections
from sellerflow_emulators.scenario.orders import Order
from sellerflow_emulators.scenario.params import DEFAULT_BASE_PORT, VENDOR_PORT_OFFSETS, ScenarioParams
from sellerflow_emulators.scenario.windows import delivery_window, report_delay

STATUS_RULES = __doc__.split("Status of one", 1)[1].strip() if __doc__ else ""
UNMAPPED = "unmapped_product"
LINE_KIND_STATUS = {
    "missing": "missing_in_report",
    "amount": "amount_mismatch",
    "quantity": "quantity_mismatch",
    "duplicate": "duplicate_in_report",
}


@dataclass
class _Facts:
    order: Order
    offer_id: str
    article: str
    mapped: bool
    shipped_qty: int = 0
    shipped_amount: int = 0
    shipped: bool = False
    return_doc: bool = False
    sales: int = 0
    sale_qty: int = 0
    sale_amount: int = 0
    returns: int = 0


def line_status(f: _Facts, sale_period_published: bool, tolerance_kop: int) -> str | None:
    """Apply the documented precedence; None when the line is neither shipped nor reported."""
    if f.sales >= 2:
        return "duplicate_in_report"
    if f.order.cancelled_at is not None and f.sales:
        return "cancelled_but_reported"
    if f.sales and not f.shipped:
        return "reported_not_shipped"
    if f.returns:
        return "returned" if f.return_doc else "return_not_received"
    if f.sales == 1:
        if f.sale_qty != f.shipped_qty:
            return "quantity_mismatch"
        if abs(f.sale_amount - f.shipped_amount) > tolerance_kop:
            return "amount_mismatch"
        return "matched"
    if f.shipped:
        return "missing_in_report" if sale_period_published else "awaiting_report"
    return None


def _collect_facts(
    orders: list[Order],
    inj: Injections,
    clock: datetime,
    report_lines: list[tuple[object, ...]],
    report_meta: dict[str, tuple[str, str]],
) -> dict[tuple[str, str, str], _Facts]:
    """What 1C holds and what the visible reports say, per (account, order_number, offer_id)."""
    clock_text = format_ts(clock)
    facts: dict[tuple[str, str, str], _Facts] = {}
    for order in orders:
        shipped = order.shipped_at is not None and order.shipped_at <= clock and order.id not in inj.no_onec
        for offer_id, (offer, qty, amount) in order.per_offer().items():
            f = _Facts(order, offer_id, offer.article, offer.mapped)
            if shipped:
                f.shipped, f.shipped_qty, f.shipped_amount = True, qty, amount
                f.return_doc = order.returned_at is not None and order.id not in inj.no_return_doc
            facts[(order.account.id, order.order_number, offer_id)] = f
    for line in report_lines:
        rid, _, order_number, _, offer_id, operation, qty, amount = line[:8]
        account_id, published = report_meta[str(rid)]
        f = facts.get((account_id, str(order_number), str(offer_id)))
        if f is None or operation not in ("sale", "return") or published > clock_text:
            continue
        if operation == "sale":
            f.sales += 1
            f.sale_qty += int(qty)  # type: ignore[call-overload]
            f.sale_amount += int(amount)  # type: ignore[call-overload]
        else:
            f.returns += 1
    return facts


def build_ground_truth(
    params: ScenarioParams,
    clock: datetime,
    catalog: Catalog,
    orders: list[Order],
    inj: Injections,
    report_lines: list[tuple[object, ...]],
    report_meta: dict[str, tuple[str, str]],
    report_for: Callable[[str, datetime], tuple[str, datetime] | None],
) -> dict[str, object]:
    """The ground_truth.json document."""
    facts = _collect_facts(orders, inj, clock, report_lines, report_meta)
    unmapped: dict[tuple[str, str], dict[str, object]] = {
        (view.id, offer.offer_id): {
            "marketplace": view.marketplace,
            "account": view.id,
            "offer_id": offer.offer_id,
            "article": offer.article,
            "lines": [],
        }
        for view in catalog.accounts.values()
        for offer in view.offers
        if not offer.mapped
    }
    expected: list[dict[str, object]] = []
    statuses: dict[tuple[str, str, str], str] = {}
    for key, f in facts.items():
        order = f.order
        period_published = False
        if f.shipped and order.shipped_at is not None:
            report = report_for(
                order.account.id, order.shipped_at + delivery_window(order.account.marketplace)
            )
            period_published = report is not None and report[1] <= clock
        status = line_status(f, period_published, params.amount_tolerance_kop)
        if status is None:
            continue
        statuses[key] = status
        if not f.mapped:
            lines = unmapped[(order.account.id, f.offer_id)]["lines"]
            line = {"order_number": order.order_number, "status": UNMAPPED, "status_if_mapped": status}
            lines.append(line)  # type: ignore[attr-defined]
            continue
        expected.append(
            {
                "marketplace": order.account.marketplace,
                "account": order.account.id,
                "order_number": order.order_number,
                "offer_id": f.offer_id,
                "article": f.article,
                "status": status,
            }
        )
    expected.sort(key=lambda r: (r["marketplace"], r["account"], r["order_number"], r["offer_id"]))
    for entry in unmapped.values():
        entry["lines"].sort(key=lambda r: r["order_number"])  # type: ignore[attr-defined]
    counts: dict[str, int] = {}
    for row in expected:
        counts[str(row["status"])] = counts.get(str(row["status"]), 0) + 1
    return {
        "scenario": params.to_json(),
        "clock": format_ts(clock),
        "amount_tolerance_kop": params.amount_tolerance_kop,
        "status_rules": STATUS_RULES,
        "status_counts": dict(sorted(counts.items())),
        "expected": expected,
        "discrepancies": _discrepancies(orders, inj, facts, statuses, report_for, clock, params.seed),
        "unmapped_offers": [unmapped[k] for k in sorted(unmapped)],
    }


def _discrepancies(
    orders: list[Order],
    inj: Injections,
    facts: dict[tuple[str, str, str], _Facts],
    statuses: dict[tuple[str, str, str], str],
    report_for: Callable[[str, datetime], tuple[str, datetime] | None],
    clock: datetime,
    seed: int = 0,
) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []

    def record(order: Order, offer_id: str, kind: str, moment: datetime, details: dict[str, object]) -> None:
        key = (order.account.id, order.order_number, offer_id)
        report = report_for(order.account.id, moment)
        out.append(
            {
                "kind": kind,
                "marketplace": order.account.marketplace,
                "account": order.account.id,
                "order_number": order.order_number,
                "posting_number": order.posting_number,
                "offer_id": offer_id,
                "article": facts[key].article,
                "report_id": report[0] if report else None,
                "report_published_at": format_ts(report[1]) if report else None,
                "status_at_clock": statuses.get(key),
                "details": details,
            }
        )

    for order in orders:
        per_offer = order.per_offer()
        delay = report_delay(order.account.marketplace, order.id, seed)
        for offer_id, (_, qty, amount) in per_offer.items():
            if (
                delay
                and order.delivered_at is not None
                and (order.account.id, order.order_number, offer_id) in facts
            ):
                at = order.delivered_at + delay
                record(order, offer_id, "report_delay", at, _late_sale_details(order, delay))
            tamper = inj.lines.get((order.id, offer_id))
            if tamper and tamper[0] in LINE_KIND_STATUS:
                kind, delta = tamper
                details: dict[str, object] = {"onec_quantity": qty, "onec_amount_kop": amount}
                if kind == "amount":
                    details["reported_amount_kop"] = amount + delta
                elif kind == "quantity":
                    details["reported_quantity"] = qty + delta
                elif kind == "duplicate":
                    details["sale_lines_in_report"] = 2
                record(order, offer_id, LINE_KIND_STATUS[kind], order.delivered_at, details)  # type: ignore[arg-type]
            if order.id in inj.no_onec:
                record(
                    order, offer_id, "reported_not_shipped", order.delivered_at, {"reported_quantity": qty}
                )  # type: ignore[arg-type]
            if order.id in inj.cancelled_reported:
                record(
                    order,
                    offer_id,
                    "cancelled_but_reported",
                    inj.cancelled_reported[order.id],
                    {"cancelled_at": format_ts(order.cancelled_at), "reported_quantity": qty},  # type: ignore[arg-type]
                )
            if (
                order.returned_at is not None
                and order.returned_at <= clock
                and report_for(order.account.id, order.returned_at)
            ):
                kind = "return_not_received" if order.id in inj.no_return_doc else "returned"
                record(
                    order, offer_id, kind, order.returned_at, {"returned_at": format_ts(order.returned_at)}
                )
    out.sort(key=lambda d: (str(d["kind"]), str(d["account"]), str(d["order_number"]), str(d["offer_id"])))
    return out


def _vendor_published_at(marketplace: str, moment: datetime) -> datetime:
    """When the vendor publishes the report of the period holding ``moment`` (built yet or not)."""
    return reports.published_at(marketplace, reports.period_of(marketplace, moment.astimezone(UTC).date())[1])


def _late_sale_details(order: Order, delay: timedelta) -> dict[str, object]:
    """A late sale's facts and the status its line takes as the clock moves on, if nothing else happens to it
    (rule 6 then 5 of the module doc): awaiting_report from the shipment, missing_in_report once the report due
    by the delivery window is out without the sale, matched once the report holding the sale is out."""
    marketplace = order.account.marketplace
    reported_at = order.delivered_at + delay  # type: ignore[operator]
    statuses: list[dict[str, object]] = []
    if order.shipped_at is not None:
        due = _vendor_published_at(marketplace, order.shipped_at + delivery_window(marketplace))
        in_report = _vendor_published_at(marketplace, reported_at)
        statuses.append({"from": format_ts(order.shipped_at), "status": "awaiting_report"})
        if due < in_report:
            statuses.append({"from": format_ts(due), "status": "missing_in_report"})
        statuses.append({"from": format_ts(in_report), "status": "matched"})
    return {"delay_days": delay.days, "reported_at": format_ts(reported_at), "status_over_time": statuses}


def accounts_document(catalog: Catalog, host: str = "127.0.0.1") -> dict[str, object]:
    """accounts.json: one Airflow connection per cabinet and per 1C base (architecture.md "Accounts")."""
    rows = {r[0]: r for r in catalog.rows["accounts"]}
    legal = {r[0]: r for r in catalog.rows["legal_entities"]}
    connections = []
    for account_id, view in catalog.accounts.items():
        _, mp, name, le, token, client_id, campaign_id, expires, scopes, _vendor = rows[account_id]
        suffix = account_id[len(mp) + 1 :]
        port = DEFAULT_BASE_PORT + VENDOR_PORT_OFFSETS[mp]
        extra: dict[str, object] = {
            "account_id": account_id,
            "marketplace": mp,
            "legal_entity_id": le,
            "legal_entity_inn": legal[le][2],
            "onec_base": view.base_id,
            # marketplace warehouse id -> 1C warehouse (world id, and its Catalog_Склады Ref_Key)
            "warehouse_mapping": view.vendor.get("warehouse_mapping", {}),
            "warehouse_onec_refs": {
                ext: catalog.onec_warehouse_guids[str(wid)]
                for ext, wid in dict(view.vendor.get("warehouse_mapping", {})).items()  # type: ignore[call-overload]
            },
            "token_expires_at": expires,
            "scopes": json.loads(str(scopes)),
        }
        if mp == "ozon":
            extra["client_id"] = client_id
        elif mp == "yandex_market":
            extra.update(
                business_id=client_id, campaign_id=campaign_id, campaigns=view.vendor.get("campaigns")
            )
        elif mp == "megamarket":
            extra["merchant_id"] = client_id
        elif mp == "wildberries":
            extra["seller_id"] = view.vendor.get("seller_id")
        connections.append(
            {
                "conn_id": f"mp_{mp}_{suffix}",
                "conn_type": "http",
                "description": name,
                "host": f"http://{host}:{port}",
                "login": client_id if mp == "ozon" else None,
                "password": token,
                "extra": extra,
            }
        )
    onec_port = DEFAULT_BASE_PORT + VENDOR_PORT_OFFSETS["onec"]
    for base_id, name, username, password in catalog.rows["onec_bases"]:
        org_le = next(r[2] for r in catalog.rows["onec_organizations"] if r[1] == base_id)
        connections.append(
            {
                "conn_id": f"onec_{base_id}",
                "conn_type": "http",
                "description": name,
                "host": f"http://{host}:{onec_port}/{base_id}/odata/standard.odata",
                "login": username,
                "password": password,
                "extra": {
                    "onec_base": base_id,
                    "legal_entity_id": org_le,
                    "organization_ref": catalog.organizations[str(base_id)],
                },
            }
        )
    return {"admin": f"http://{host}:{DEFAULT_BASE_PORT}", "connections": connections}
