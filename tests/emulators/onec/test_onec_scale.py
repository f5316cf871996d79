"""A 1,000-order page comes from one indexed query per page, whatever the world's size."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sellerflow_emulators import store

from .conftest import ORG_MAIN, P1, P2, Served, _serve, build_world

ORDERS = 2500


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    path = build_world(tmp_path_factory.mktemp("onec_big") / "world.sqlite")
    conn = store.connect(path)
    docs, lines = [], []
    for n in range(ORDERS):
        ref = f"1a000000-0000-4000-8000-{n:012d}"
        docs.append((ref, "ut_main", "ЗаказКлиента", f"ЗК-{n:06d}", "2024-04-01T00:00:00Z", ORG_MAIN,
                     None, "onec:ut_main:msk", f"MP-{n}", None, 0, 0, "AAAAAAAAAAE=", "{}"))  # fmt: skip
        lines += [
            (ref, 1, P1, 1, 100000, 100000, json.dumps({"ВариантОбеспечения": "СоСклада"})),
            (ref, 2, P2, 2, 50000, 100000, "{}"),
        ]
    conn.executemany("insert into onec_documents values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", docs)
    conn.executemany("insert into onec_document_lines values (?, ?, ?, ?, ?, ?, ?)", lines)
    conn.commit()
    conn.close()
    yield from _serve(Path(path))


def test_thousand_orders_page_by_page(big: Served) -> None:
    client = big.client()
    seen: list[str] = []
    skip = 0
    while True:
        page = client.get(
            "Document_ЗаказКлиента", params={"$top": 1000, "$skip": skip, "$orderby": "Ref_Key"}
        )
        assert page.status_code == 200
        value = page.json()["value"]
        seen += [order["Ref_Key"] for order in value]
        if len(value) < 1000:
            break
        assert all(len(order["Товары"]) == 2 for order in value if order["Number"].startswith("ЗК-"))
        skip += 1000
    assert len(seen) == ORDERS + 2  # plus the two visible fixture orders
    assert len(set(seen)) == len(seen)
    assert seen == sorted(seen)


def test_filter_on_lines_over_a_big_base(big: Served) -> None:
    response = big.client().get(
        "Document_ЗаказКлиента/$count",
        params={"$filter": "Товары/any(l: l/ВариантОбеспечения eq 'СоСклада')"},
    )
    assert response.text.lstrip("\ufeff") == str(ORDERS + 2)
