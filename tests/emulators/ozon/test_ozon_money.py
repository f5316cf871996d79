"""Ozon money as Ozon sends it (docs/vendors/ozon.md): the realization total identity, one side null, real accrual
types, and the transaction list switched off."""

from __future__ import annotations

from typing import Any

import httpx

from sellerflow_emulators.ozon.finance import commission_total

PLUS = ("amount", "bonus", "bank_coinvestment", "stars", "pick_up_point_coinvestment", "compensation")


def test_realization_total_is_the_spec_identity_and_holds_no_logistics(ozon: Any) -> None:
    rows = ozon.post("/v1/finance/realization/posting", {"month": 8, "year": 2026}).json()["rows"]
    assert rows
    for row in rows:
        sides = [row["delivery_commission"], row["return_commission"]]
        assert sum(side is None for side in sides) == 1, "live rows carry one side and null for the other"
        block = next(side for side in sides if side is not None)
        expected = sum(block.get(k, 0.0) for k in PLUS) - block["standard_fee"] - block["commission"]
        assert block["total"] == round(expected, 2) == commission_total(block)
    sale = rows[0]["delivery_commission"]
    assert sale["total"] == round(sale["amount"] - sale["commission"], 2), (
        "logistics is an accrual, not in total"
    )


def test_accrual_types_are_ozons_own_ids(ozon: Any) -> None:
    types = {t["id"]: t["name"] for t in ozon.post("/v1/finance/accrual/types", {}).json()["accrual_types"]}
    assert types[32] == "Logistic"
    assert types[29] == "LastMileCourier"
    assert types[1] == "Acquiring"
    assert types[46] == "Placements"


def test_the_transaction_list_is_switched_off_like_ozon_does(ozon: Any) -> None:
    body = {"filter": {"date": {"from": "2026-09-01T00:00:00Z", "to": "2026-09-30T00:00:00Z"}}, "page": 1}
    for path in ("/v3/finance/transaction/list", "/v3/finance/transaction/totals"):
        answer: httpx.Response = ozon.post(path, {**body, "page_size": 100})
        assert answer.status_code == 400
        assert answer.json() == {"code": 9, "message": "obsolete method cannot be used", "details": []}
