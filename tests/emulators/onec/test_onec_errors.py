"""Auth, error bodies, rate-limit refusals and injected faults of the 1C emulator."""

from __future__ import annotations

import httpx
import pytest

from sellerflow_emulators.runtime import Fault

from .conftest import SECOND_AUTH, Served


def odata_error(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["odata.error"]
    assert error["message"]["lang"] == "ru"
    assert error["message"]["value"]
    return response.status_code, error["code"]


@pytest.mark.parametrize(
    "auth",
    [None, ("Администратор", "wrong"), SECOND_AUTH],
    ids=["missing", "wrong-password", "other-base-user"],
)
def test_wrong_credentials_get_401_with_basic_challenge(served: Served, auth: tuple[str, str] | None) -> None:
    response = served.client(auth=auth).get("Catalog_Номенклатура")
    assert odata_error(response) == (401, "20")
    assert response.headers["www-authenticate"].startswith("Basic")


def test_unknown_base_is_a_web_server_404(served: Served) -> None:
    response = httpx.get(f"{served.url}/nope/odata/standard.odata/Catalog_Номенклатура")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("Catalog_Несуществующий", {}, (404, "8")),
        ("Catalog_Номенклатура(guid'11111111-1111-1111-1111-111111111111')", {}, (404, "9")),
        ("Catalog_Номенклатура", {"$filter": "Артикул eq 'ART"}, (400, "14")),
        ("Catalog_Номенклатура", {"$filter": "НетТакого eq 1"}, (400, "14")),
        ("Catalog_Номенклатура", {"$filter": "tolower(Артикул) eq 'art-001'"}, (501, "21")),
        ("Catalog_Номенклатура", {"$top": "-1"}, (400, "14")),
        ("Catalog_Номенклатура", {"$orderby": "Артикул sideways"}, (400, "14")),
        ("Catalog_Номенклатура", {"$format": "atom"}, (406, "3")),
        ("Document_ЗаказКлиента(guid'11111111-1111-1111-1111-111111111111')/Провести", {}, (400, "11")),
        ("InformationRegister_ЦеныНоменклатуры/Turnovers()", {}, (400, "11")),
    ],
    ids=["unknown-set", "not-found", "bad-filter", "unknown-property", "unsupported-function", "bad-top",
         "bad-orderby", "atom", "unknown-action", "unknown-function"],
)  # fmt: skip
def test_error_bodies_carry_1c_codes(
    served: Served, path: str, params: dict, expected: tuple[int, str]
) -> None:
    assert odata_error(served.client().get(path, params=params)) == expected


def test_method_not_allowed_code_19(served: Served) -> None:
    assert odata_error(served.client().delete("Document_ЗаказКлиента")) == (405, "19")


def test_writing_a_catalog_is_not_emulated(served: Served) -> None:
    assert odata_error(served.client().post("Catalog_Номенклатура", json={"Description": "x"})) == (501, "0")


def test_rate_limit_refusal_is_503_with_retry_after(served: Served) -> None:
    served.limits.refuse = 1
    refused = served.client().get("Catalog_Номенклатура")
    assert odata_error(refused) == (503, "-1")
    assert refused.headers["retry-after"] == "3"
    assert served.client().get("Catalog_Номенклатура").status_code == 200


def test_limit_is_released_after_each_request(served: Served) -> None:
    before = served.limits.released
    served.client().get("Catalog_Номенклатура", params={"$filter": "bad eq"})
    served.client().get("Catalog_Склады")
    assert served.limits.released == before + 2


def test_expired_token_fault_is_an_html_login_page_with_200(served: Served) -> None:
    served.faults.plan.append(("Catalog_Склады", Fault("expired_token", status=401)))
    response = served.client().get("Catalog_Склады")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<form" in response.text


def test_server_error_faults(served: Served) -> None:
    served.faults.plan += [
        ("Catalog_Склады", Fault("server_error", status=500)),
        ("Catalog_Склады", Fault("server_error", status=503)),
    ]
    assert odata_error(served.client().get("Catalog_Склады")) == (500, "-1")
    gateway = served.client().get("Catalog_Склады")
    assert gateway.status_code == 503
    assert gateway.headers["content-type"].startswith("text/html")


def test_slow_fault_still_answers(served: Served) -> None:
    served.faults.plan.append(("Catalog_Склады", Fault("slow", delay_s=0.05)))
    assert len(served.client().get("Catalog_Склады").json()["value"]) == 2


def test_duplicate_page_fault_serves_the_previous_page(served: Served) -> None:
    client = served.client()
    page1 = client.get("Catalog_Номенклатура", params={"$top": 1, "$skip": 0}).json()["value"]
    served.faults.plan.append(("Catalog_Номенклатура", Fault("duplicate_page")))
    page2 = client.get("Catalog_Номенклатура", params={"$top": 1, "$skip": 1}).json()["value"]
    assert page2 == page1


def test_shifted_page_fault_moves_the_offset(served: Served) -> None:
    client = served.client()
    page3 = client.get("Catalog_Номенклатура", params={"$top": 1, "$skip": 2}).json()["value"]
    served.faults.plan.append(("Catalog_Номенклатура", Fault("shifted_page", shift=1)))
    shifted = client.get("Catalog_Номенклатура", params={"$top": 1, "$skip": 1}).json()["value"]
    assert shifted == page3


def test_schema_faults_change_list_items(served: Served) -> None:
    served.faults.plan += [
        ("Document_ЗаказКлиента", Fault("schema_extra_field", field="НовыйРеквизит")),
        ("Document_ЗаказКлиента", Fault("schema_renamed_field", field="НомерПоДаннымКлиента")),
    ]
    extra = served.client().get("Document_ЗаказКлиента").json()["value"][0]
    assert extra["НовыйРеквизит"] == ""
    renamed = served.client().get("Document_ЗаказКлиента").json()["value"][0]
    assert "НомерПоДаннымКлиента" not in renamed
    assert renamed["УдалитьНомерПоДаннымКлиента"] == "38423510-0001-1"
