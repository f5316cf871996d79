"""Ground truth rule 6 rests on what a reconciliation can observe: the 1C shipment moment, not the delivery.

The vendors' order lists do not carry the delivery moment, so "missing_in_report" must be decidable from the
shipment (Реализация date) plus the marketplace's delivery window (the reconciliation's dbt var) and the reports
that are out at the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sellerflow_emulators.scenario.orders import DELIVERY_WINDOW
from sellerflow_emulators.scenario.windows import delivery_window


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_no_delivery_takes_longer_than_the_window(small_world) -> None:
    conn = small_world.connect()
    rows = conn.execute(
        "select o.id, max(case when h.status = 'delivering' then h.at end) as shipped, "
        "max(case when h.status = 'delivered' then h.at end) as delivered "
        "from orders o join order_status_history h on h.order_id = o.id group by o.id"
    ).fetchall()
    gaps = [_ts(r["delivered"]) - _ts(r["shipped"]) for r in rows if r["delivered"] and r["shipped"]]
    assert len(gaps) > 100
    assert max(gaps) <= DELIVERY_WINDOW
    assert max(gaps) > DELIVERY_WINDOW - timedelta(hours=12), "the window is the real longest delivery"


def test_missing_or_awaiting_follows_the_report_of_shipment_plus_window(small_world) -> None:
    conn = small_world.connect()
    clock = small_world.truth["clock"]
    seen: dict[str, int] = {}
    for row in small_world.truth["expected"]:
        if row["status"] not in ("missing_in_report", "awaiting_report"):
            continue
        (shipped,) = conn.execute(
            "select min(s.date) from onec_documents s join onec_documents c on c.ref_key = s.base_doc_ref "
            "where s.doc_type = 'РеализацияТоваровУслуг' and c.customer_order_number = ? "
            "and c.base_id = (select base_id from onec_documents where customer_order_number = ? limit 1)",
            (row["order_number"], row["order_number"]),
        ).fetchone()
        assert shipped is not None, row
        due = (_ts(shipped) + delivery_window(row["marketplace"])).date().isoformat()
        published = conn.execute(
            "select published_at from reports where account_id = ? and period_start <= ? and period_end >= ?",
            (row["account"], due, due),
        ).fetchone()
        out = published is not None and published[0] <= clock
        assert row["status"] == ("missing_in_report" if out else "awaiting_report"), row
        seen[row["status"]] = seen.get(row["status"], 0) + 1
    assert seen.get("missing_in_report"), seen
    assert seen.get("awaiting_report"), seen
