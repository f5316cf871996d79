"""Creating, changing, posting and deleting 1C documents through the emulator."""

from __future__ import annotations

from urllib.parse import unquote

from sellerflow_emulators.onec import create_app, partner_ref
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread

from .conftest import (
    MAIN_AUTH,
    ORDER_DRAFT,
    ORDER_POSTED,
    ORG_MAIN,
    P1,
    P2,
    SALE,
    WH_MSK,
    Served,
    build_world,
)


def order_body(quantity: int, variant: str = "СоСклада", status: str = "КОтгрузке") -> dict:
    return {
        "Date": "2024-05-01T11:00:00",
        "Организация_Key": ORG_MAIN,
        "Партнер_Key": partner_ref("ut_main", "ozon"),
        "Склад_Key": WH_MSK,
        "Статус": status,
        "НомерПоДаннымКлиента": "0500-1",
        "Товары": [
            {
                "LineNumber": "1",
                "Номенклатура_Key": P1,
                "Количество": quantity,
                "Цена": 1200,
                "ВариантОбеспечения": variant,
            }
        ],
    }


def reserved(served: Served, product: str = P1) -> int:
    return served.query(
        "select reserved from onec_stock where warehouse_id = 'onec:ut_main:msk' and product_ref = ?", product
    )[0][0]


def test_post_creates_order_with_201_and_location(fresh: Served) -> None:
    response = fresh.client().post("Document_ЗаказКлиента", json=order_body(3))
    assert response.status_code == 201
    body = response.json()
    assert unquote(response.headers["location"]).endswith(
        f"/ut_main/odata/standard.odata/Document_ЗаказКлиента(guid'{body['Ref_Key']}')"
    )
    assert body["Number"] == "УТ-000004"
    assert body["Posted"] is False
    assert body["НомерПоДаннымКлиента"] == "0500-1"
    assert body["Date"] == "2024-05-01T11:00:00"
    assert body["Товары"][0]["LineNumber"] == "1"
    assert body["Товары"][0]["Сумма"] == 3600
    assert fresh.query("select method, account_id from push_log") == [("POST", "ut_main")]


def test_patch_replaces_tabular_section_and_changes_data_version(fresh: Served) -> None:
    client = fresh.client()
    before = client.get(f"Document_ЗаказКлиента(guid'{ORDER_DRAFT}')").json()
    patch = {
        "Комментарий": "из маркетплейса",
        "Товары": [{"Номенклатура_Key": P1, "Количество": 1, "Цена": 1000}],
    }
    after = client.patch(f"Document_ЗаказКлиента(guid'{ORDER_DRAFT}')", json=patch).json()
    assert after["DataVersion"] != before["DataVersion"]
    assert after["Комментарий"] == "из маркетплейса"
    assert [(line["Номенклатура_Key"], line["Количество"]) for line in after["Товары"]] == [(P1, 1)]
    assert after["НомерПоДаннымКлиента"] == before["НомерПоДаннымКлиента"]


def test_post_reserves_and_unpost_frees_stock(fresh: Served) -> None:
    client = fresh.client()
    ref = client.post("Document_ЗаказКлиента", json=order_body(3)).json()["Ref_Key"]
    version = client.get(f"Document_ЗаказКлиента(guid'{ref}')").json()["DataVersion"]
    assert (
        client.post(
            f"Document_ЗаказКлиента(guid'{ref}')/Post", params={"PostingModeOperational": "false"}
        ).status_code
        == 200
    )
    assert reserved(fresh) == 5
    posted = client.get(f"Document_ЗаказКлиента(guid'{ref}')").json()
    assert posted["Posted"] is True
    assert posted["DataVersion"] != version
    balance = client.get(
        "AccumulationRegister_ЗапасыИПотребности/Balance",
        params={"$filter": f"Номенклатура_Key eq guid'{P1}' and Склад_Key eq guid'{WH_MSK}'"},
    )
    assert balance.json()["value"][0]["РезервироватьНаСкладеBalance"] == 5
    assert client.post(f"Document_ЗаказКлиента(guid'{ref}')/Unpost").status_code == 200
    assert reserved(fresh) == 2
    assert client.get(f"Document_ЗаказКлиента(guid'{ref}')").json()["Posted"] is False


def test_posting_fails_with_code_minus_one_when_free_stock_is_short(fresh: Served) -> None:
    client = fresh.client()
    ref = client.post("Document_ЗаказКлиента", json=order_body(9)).json()["Ref_Key"]
    response = client.post(f"Document_ЗаказКлиента(guid'{ref}')/Post()")
    assert response.status_code == 500
    error = response.json()["odata.error"]
    assert error["code"] == "-1"
    assert error["message"]["value"].startswith(
        'Не удалось провести "Заказ клиента УТ-000004 от 01.05.2024 11:00:00"'
    )
    assert "Требуется: 9 шт, доступно: 8 шт" in error["message"]["value"]
    assert reserved(fresh) == 2
    assert client.get(f"Document_ЗаказКлиента(guid'{ref}')").json()["Posted"] is False


def test_lines_that_do_not_reserve_post_without_stock_check(fresh: Served) -> None:
    client = fresh.client()
    ref = client.post("Document_ЗаказКлиента", json=order_body(50, variant="Отгрузить")).json()["Ref_Key"]
    assert client.post(f"Document_ЗаказКлиента(guid'{ref}')/Post").status_code == 200
    assert reserved(fresh) == 2


def test_unagreed_status_does_not_reserve(fresh: Served) -> None:
    client = fresh.client()
    ref = client.post("Document_ЗаказКлиента", json=order_body(4, status="НеСогласован")).json()["Ref_Key"]
    assert client.post(f"Document_ЗаказКлиента(guid'{ref}')/Post").status_code == 200
    assert reserved(fresh) == 2


def test_patch_of_posted_order_reposts_its_reserve(fresh: Served) -> None:
    client = fresh.client()
    patch = {
        "Товары": [{"Номенклатура_Key": P1, "Количество": 5, "Цена": 1200, "ВариантОбеспечения": "СоСклада"}]
    }
    assert client.patch(f"Document_ЗаказКлиента(guid'{ORDER_POSTED}')", json=patch).status_code == 200
    assert reserved(fresh) == 5
    too_much = {
        "Товары": [{"Номенклатура_Key": P1, "Количество": 11, "Цена": 1200, "ВариантОбеспечения": "СоСклада"}]
    }
    failed = client.patch(f"Document_ЗаказКлиента(guid'{ORDER_POSTED}')", json=too_much)
    assert failed.status_code == 500
    assert failed.json()["odata.error"]["code"] == "-1"
    assert reserved(fresh) == 5
    lines = client.get(f"Document_ЗаказКлиента(guid'{ORDER_POSTED}')").json()["Товары"]
    assert [line["Количество"] for line in lines] == [5]


def test_deletion_marked_order_cannot_be_posted(fresh: Served) -> None:
    client = fresh.client()
    client.patch(f"Document_ЗаказКлиента(guid'{ORDER_DRAFT}')", json={"DeletionMark": True})
    response = client.post(f"Document_ЗаказКлиента(guid'{ORDER_DRAFT}')/Post")
    assert response.status_code == 500
    assert "Помеченный на удаление" in response.json()["odata.error"]["message"]["value"]


def test_delete_removes_order_and_releases_reserve(fresh: Served) -> None:
    client = fresh.client()
    assert client.delete(f"Document_ЗаказКлиента(guid'{ORDER_POSTED}')").status_code == 204
    assert reserved(fresh) == 0
    gone = client.get(f"Document_ЗаказКлиента(guid'{ORDER_POSTED}')")
    assert gone.status_code == 404
    assert gone.json()["odata.error"]["code"] == "9"


def test_sale_posting_takes_goods_off_hand(fresh: Served) -> None:
    client = fresh.client()
    body = {
        "Склад_Key": WH_MSK,
        "ЗаказКлиента": ORDER_POSTED,
        "Товары": [{"Номенклатура_Key": P2, "Количество": 2, "Цена": 500}],
    }
    created = client.post("Document_РеализацияТоваровУслуг", json=body).json()
    assert created["ЗаказКлиента"] == ORDER_POSTED
    assert client.post(f"Document_РеализацияТоваровУслуг(guid'{created['Ref_Key']}')/Post").status_code == 200
    assert fresh.query("select in_stock from onec_stock where product_ref = ?", P2) == [(3,)]
    assert client.post(f"Document_РеализацияТоваровУслуг(guid'{SALE}')/Unpost").status_code == 200
    assert fresh.query(
        "select in_stock from onec_stock where warehouse_id = 'onec:ut_main:msk' and product_ref = ?", P1
    ) == [(12,)]


def test_unknown_item_in_lines_is_a_bad_property_value(fresh: Served) -> None:
    body = order_body(1)
    body["Товары"][0]["Номенклатура_Key"] = "11111111-1111-1111-1111-111111111111"
    response = fresh.client().post("Document_ЗаказКлиента", json=body)
    assert response.status_code == 400
    assert response.json()["odata.error"]["code"] == "4"
    assert fresh.query("select count(*) from push_log") == [(0,)]


def test_create_with_existing_ref_key_fails_with_code_15(fresh: Served) -> None:
    response = fresh.client().post("Document_ЗаказКлиента", json={"Ref_Key": ORDER_DRAFT})
    assert response.status_code == 400
    assert response.json()["odata.error"]["code"] == "15"


def test_rows_of_tabular_section_cannot_be_created_directly(fresh: Served) -> None:
    response = fresh.client().post("Document_ЗаказКлиента_Товары", json={"Ref_Key": ORDER_DRAFT})
    assert response.status_code == 400
    assert response.json()["odata.error"]["code"] == "13"


def test_if_match_is_enforced_when_switched_on(tmp_path) -> None:
    state = EmulatorState(build_world(tmp_path / "world.sqlite"))
    with serve_in_thread(create_app(state, enforce_if_match=True)) as url:
        import httpx

        client = httpx.Client(
            base_url=f"{url}/ut_main/odata/standard.odata/", auth=MAIN_AUTH, params={"$format": "json"}
        )
        stale = client.patch(
            f"Document_ЗаказКлиента(guid'{ORDER_DRAFT}')",
            json={"Комментарий": "x"},
            headers={"If-Match": "stale"},
        )
        assert stale.status_code == 412
        current = client.get(f"Document_ЗаказКлиента(guid'{ORDER_DRAFT}')").json()["DataVersion"]
        ok = client.patch(
            f"Document_ЗаказКлиента(guid'{ORDER_DRAFT}')",
            json={"Комментарий": "x"},
            headers={"If-Match": current},
        )
        assert ok.status_code == 200
