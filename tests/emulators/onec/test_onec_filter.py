"""$filter operators, literals and functions as 1C documents them (Developer Guide §17.4.5.2)."""

from __future__ import annotations

import pytest

from sellerflow_emulators.onec.errors import ODataError
from sellerflow_emulators.onec.odata_filter import BinOp, Lambda, Literal, Not, Path, parse_filter

from .conftest import ORDER_DRAFT, ORDER_POSTED, P1, P2, P3, WH_MSK, Served


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ("Артикул eq 'ART-001'", [P1]),
        ("Артикул ne 'ART-001'", [P2, P3]),
        ("Description eq 'Кружка ''Утро'''", [P2]),
        ("ВесЧислитель gt 0.3", [P1, P3]),
        ("ВесЧислитель ge 0.5", [P1, P3]),
        ("ВесЧислитель lt 0.5", [P2]),
        ("ВесЧислитель le 0.5", [P2, P3]),
        ("ВесЧислитель mul 1000 eq 300", [P2]),
        ("Артикул eq 'ART-001' or Артикул eq 'ART-003'", [P1, P3]),
        ("DeletionMark eq false and ВесЧислитель gt 0.5", [P1]),
        ("not (Артикул eq 'ART-001')", [P2, P3]),
        ("not DeletionMark", [P1, P2]),
        (f"Ref_Key eq guid'{P2.upper()}'", [P2]),
        ("substringof('Утро', Description)", [P2]),
        ("startswith(Артикул, 'ART-00') and endswith(Артикул, '3')", [P3]),
        ("like(Description, 'Ч%')", [P1]),
        ("substring(Артикул, 5, 3) eq '002'", [P2]),
        ("concat(Артикул, '/x') eq 'ART-003/x'", [P3]),
    ],
)
def test_filter_on_catalog(served: Served, flt: str, expected: list[str]) -> None:
    response = served.client().get("Catalog_Номенклатура", params={"$filter": flt, "$select": "Ref_Key"})
    assert response.status_code == 200, response.text
    assert [item["Ref_Key"] for item in response.json()["value"]] == expected


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ("Date ge datetime'2024-04-30T11:00:00'", [ORDER_DRAFT]),
        ("Date lt datetime'2024-04-30T11:00:00'", [ORDER_POSTED]),
        ("year(Date) eq 2024 and month(Date) eq 4 and hour(Date) eq 10", [ORDER_POSTED]),
        ("Posted eq true", [ORDER_POSTED]),
        ("Статус eq 'НеСогласован'", [ORDER_DRAFT]),
        (f"Склад_Key eq guid'{WH_MSK}' and НомерПоДаннымКлиента eq 'WB-777'", [ORDER_DRAFT]),
        (f"Товары/any(d: d/Номенклатура_Key eq guid'{P1}')", [ORDER_POSTED]),
        ("Товары/all(d: d/Количество ge 2)", [ORDER_DRAFT]),
        ("Товары/any(d: d/Цена mul d/Количество gt 2000)", [ORDER_POSTED]),
        ("СуммаДокумента gt 1000 and СуммаДокумента le 1500", [ORDER_DRAFT]),
    ],
)
def test_filter_on_orders(served: Served, flt: str, expected: list[str]) -> None:
    response = served.client().get("Document_ЗаказКлиента", params={"$filter": flt, "$select": "Ref_Key"})
    assert response.status_code == 200, response.text
    assert [item["Ref_Key"] for item in response.json()["value"]] == expected


def test_parser_builds_precedence_tree() -> None:
    tree = parse_filter("not A eq 1 or B eq 'x' and C/any(d: d/E gt 2)")
    assert isinstance(tree, BinOp)
    assert tree.op == "or"
    assert tree.left == BinOp("eq", Not(Path(("A",))), Literal("number", 1))
    assert isinstance(tree.right, BinOp)
    assert tree.right.op == "and"
    assert isinstance(tree.right.right, Lambda)
    assert tree.right.right.collection == ("C",)


@pytest.mark.parametrize(
    ("text", "status", "code"),
    [
        ("A eq", 400, "14"),
        ("A eq 'unterminated", 400, "14"),
        ("(A eq 1", 400, "14"),
        ("A eq guid'not-a-guid'", 400, "14"),
        ("indexof(A, 'x') eq 1", 501, "21"),
        ("startswith(A) eq true", 501, "21"),
        ("A eq 1 B", 400, "14"),
    ],
)
def test_parser_rejects_bad_filters_with_1c_codes(text: str, status: int, code: str) -> None:
    with pytest.raises(ODataError) as caught:
        parse_filter(text)
    assert (caught.value.status, caught.value.code) == (status, code)
