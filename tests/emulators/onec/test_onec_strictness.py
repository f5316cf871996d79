"""The 1C emulator refuses what real 1C refuses: enum values, references, fill checks, a second Ref_Key."""

from __future__ import annotations

import pytest

from sellerflow_emulators.onec import partner_ref

from .conftest import ORG_MAIN, P1, WH_MSK, Served
from .test_onec_writes import order_body, reserved


def error_of(response) -> tuple[int, str, str]:
    error = response.json()["odata.error"]
    return response.status_code, error["code"], error["message"]["value"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("Статус", "ВРезерве"), ("Статус", "к обеспечению"), ("Партнер_Key", "ozon"), ("Склад_Key", "1")],
)
def test_a_header_value_outside_its_type_is_code_4(fresh: Served, field: str, value: str) -> None:
    response = fresh.client().post("Document_ЗаказКлиента", json={**order_body(1), field: value})
    status, code, message = error_of(response)
    assert (status, code) == (400, "4")
    assert field in message
    assert fresh.query("select count(*) from push_log") == [(0,)], "nothing was written"


def test_a_line_enum_value_outside_the_enumeration_is_code_4(fresh: Served) -> None:
    body = order_body(1)
    body["Товары"][0]["ВариантОбеспечения"] = "Резервировать"
    status, code, message = error_of(fresh.client().post("Document_ЗаказКлиента", json=body))
    assert (status, code) == (400, "4")
    assert "ВариантОбеспечения" in message


def test_an_order_without_client_or_lines_cannot_be_posted(fresh: Served) -> None:
    client = fresh.client()
    body = {"Организация_Key": ORG_MAIN, "Склад_Key": WH_MSK, "Статус": "КОбеспечению", "Товары": []}
    ref = client.post("Document_ЗаказКлиента", json=body).json()["Ref_Key"]
    status, code, message = error_of(client.post(f"Document_ЗаказКлиента(guid'{ref}')/Post"))
    assert (status, code) == (500, "-1")
    assert 'Поле "Клиент" не заполнено.' in message
    assert 'Не заполнен список "Товары".' in message
    assert client.get(f"Document_ЗаказКлиента(guid'{ref}')").json()["Posted"] is False


def test_closing_needs_every_open_line_cancelled_and_then_releases_the_reserve(fresh: Served) -> None:
    client = fresh.client()
    before = reserved(fresh)
    ref = client.post("Document_ЗаказКлиента", json=order_body(3, status="КОбеспечению")).json()["Ref_Key"]
    assert client.post(f"Document_ЗаказКлиента(guid'{ref}')/Post").status_code == 200
    assert reserved(fresh) == before + 3
    line = {"Номенклатура_Key": P1, "Количество": 3, "Цена": 1200, "ВариантОбеспечения": "СоСклада"}
    client.patch(f"Document_ЗаказКлиента(guid'{ref}')", json={"Статус": "Закрыт", "Товары": [line]})
    status, code, message = error_of(client.post(f"Document_ЗаказКлиента(guid'{ref}')/Post"))
    assert (status, code) == (500, "-1")
    assert "не может быть закрыт" in message
    cancelled = {**line, "Отменено": True}
    client.patch(f"Document_ЗаказКлиента(guid'{ref}')", json={"Статус": "Закрыт", "Товары": [cancelled]})
    assert client.post(f"Document_ЗаказКлиента(guid'{ref}')/Post").status_code == 200
    assert reserved(fresh) == before


def test_the_customer_order_number_is_not_unique_only_the_ref_key_is(fresh: Served) -> None:
    """1C has no idempotency key: the same НомерПоДаннымКлиента twice makes two orders (clients must look up
    first); a repeated Ref_Key is refused with code 15."""
    client = fresh.client()
    body = {**order_body(1), "Партнер_Key": partner_ref("ut_main", "ozon")}
    first = client.post("Document_ЗаказКлиента", json=body).json()["Ref_Key"]
    second = client.post("Document_ЗаказКлиента", json=body).json()["Ref_Key"]
    assert first != second
    status, code, _ = error_of(client.post("Document_ЗаказКлиента", json={**body, "Ref_Key": first}))
    assert (status, code) == (400, "15")


def test_fill_checks_can_be_switched_off(tmp_path) -> None:
    from sellerflow_emulators.onec import create_app
    from sellerflow_emulators.runtime import EmulatorState
    from sellerflow_emulators.testing import serve_in_thread

    from .conftest import MAIN_AUTH, build_world

    state = EmulatorState(build_world(tmp_path / "world.sqlite"))
    with serve_in_thread(create_app(state, fill_checks=False)) as url:
        import httpx

        client = httpx.Client(
            base_url=f"{url}/ut_main/odata/standard.odata/",
            auth=MAIN_AUTH,
            params={"$format": "json"},
            timeout=10,
        )
        body = {"Организация_Key": ORG_MAIN, "Склад_Key": WH_MSK, "Товары": []}
        ref = client.post("Document_ЗаказКлиента", json=body).json()["Ref_Key"]
        assert client.post(f"Document_ЗаказКлиента(guid'{ref}')/Post").status_code == 200


def test_a_shipped_order_is_closed_and_its_reserve_consumed(fresh: Served) -> None:
    from sellerflow_emulators.onec.documents import close_shipped_order

    client = fresh.client()
    before = reserved(fresh)
    ref = client.post("Document_ЗаказКлиента", json=order_body(2, status="КОбеспечению")).json()["Ref_Key"]
    assert client.post(f"Document_ЗаказКлиента(guid'{ref}')/Post").status_code == 200
    assert reserved(fresh) == before + 2
    conn = fresh.state.conn()
    with conn:
        assert close_shipped_order(conn, ref) == 2
    assert reserved(fresh) == before
    assert client.get(f"Document_ЗаказКлиента(guid'{ref}')").json()["Статус"] == "Закрыт"
