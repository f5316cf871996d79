"""Reading catalogs, documents and registers from the 1C emulator over real HTTP."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sellerflow_emulators.onec import contractor_ref, partner_ref

from .conftest import (
    ORDER_DRAFT,
    ORDER_FUTURE,
    ORDER_POSTED,
    ORG_MAIN,
    P1,
    P2,
    P3,
    SALE,
    SECOND_AUTH,
    WH_MSK,
    WH_SPB,
    Served,
)


def values(response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["value"]


def test_service_document_lists_published_sets(served: Served) -> None:
    names = {item["name"] for item in values(served.client().get(""))}
    assert {"Catalog_Номенклатура", "Document_ЗаказКлиента", "AccumulationRegister_ТоварыНаСкладах"} <= names


def test_each_base_serves_only_its_own_items(served: Served) -> None:
    main = values(served.client().get("Catalog_Номенклатура"))
    second = values(served.client("ut_second", SECOND_AUTH).get("Catalog_Номенклатура"))
    assert [item["Ref_Key"] for item in main] == [P1, P2, P3]
    assert len(second) == 1
    assert second[0]["Артикул"] == "ART-001"


def test_product_shape_follows_ut11_names(served: Served) -> None:
    item = served.client().get(f"Catalog_Номенклатура(guid'{P3}')").json()
    assert item["odata.metadata"].endswith("$metadata#Catalog_Номенклатура/@Element")
    assert item["Description"] == "Книга"
    assert item["Артикул"] == "ART-003"
    assert item["DeletionMark"] is True
    assert item["IsFolder"] is False
    assert item["ТипНоменклатуры"] == "Товар"
    assert item["ВесЧислитель"] == 0.5


def test_barcodes_and_storage_cells(served: Served) -> None:
    client = served.client()
    barcodes = values(
        client.get(
            "InformationRegister_ШтрихкодыНоменклатуры", params={"$filter": f"Номенклатура_Key eq guid'{P2}'"}
        )
    )
    assert barcodes == [
        {
            "Штрихкод": "4600000000028",
            "Номенклатура_Key": P2,
            "Номенклатура@navigationLinkUrl": "InformationRegister_ШтрихкодыНоменклатуры(Штрихкод='4600000000028')/Номенклатура",
            "Характеристика_Key": "00000000-0000-0000-0000-000000000000",
            "Характеристика@navigationLinkUrl": "InformationRegister_ШтрихкодыНоменклатуры(Штрихкод='4600000000028')/Характеристика",
            "Упаковка_Key": "00000000-0000-0000-0000-000000000000",
            "Упаковка@navigationLinkUrl": "InformationRegister_ШтрихкодыНоменклатуры(Штрихкод='4600000000028')/Упаковка",
        }
    ]
    placement = values(
        client.get(
            "InformationRegister_РазмещениеНоменклатурыПоСкладскимЯчейкам",
            params={"$filter": f"Номенклатура_Key eq guid'{P1}'"},
        )
    )[0]
    assert placement["Склад_Key"] == WH_MSK
    assert placement["ОсновнаяЯчейка"] is True
    cell = values(
        client.get(
            "Catalog_СкладскиеЯчейки", params={"$filter": f"Ref_Key eq guid'{placement['Ячейка_Key']}'"}
        )
    )
    assert cell[0]["Description"] == "A-01-02-3"
    assert cell[0]["Owner_Key"] == WH_MSK


def test_warehouses_are_the_bases_own(served: Served) -> None:
    rows = values(served.client().get("Catalog_Склады", params={"$select": "Ref_Key,Description"}))
    assert rows == [
        {"Ref_Key": WH_MSK, "Description": "Основной склад"},
        {"Ref_Key": WH_SPB, "Description": "Склад СПб"},
    ]


def test_partners_and_contractors_per_marketplace(served: Served) -> None:
    client = served.client()
    partners = values(client.get("Catalog_Партнеры", params={"$select": "Ref_Key,Description"}))
    assert [p["Description"] for p in partners] == ["Ozon", "Wildberries", "Яндекс Маркет", "Мегамаркет"]
    assert partners[0]["Ref_Key"] == partner_ref("ut_main", "ozon")
    contractors = values(client.get("Catalog_Контрагенты", params={"$filter": "ИНН eq '7704217370'"}))
    assert contractors[0]["Партнер_Key"] == partner_ref("ut_main", "ozon")
    assert contractors[0]["Ref_Key"] == contractor_ref(partner_ref("ut_main", "ozon"))


def test_organizations(served: Served) -> None:
    rows = values(served.client().get("Catalog_Организации"))
    assert [(r["Ref_Key"], r["ИНН"], r["КПП"]) for r in rows] == [(ORG_MAIN, "7701000001", "770101001")]


def test_order_by_key_renders_header_and_lines(served: Served) -> None:
    order = served.client().get(f"Document_ЗаказКлиента(guid'{ORDER_POSTED}')").json()
    assert order["Number"] == "УТ-000001"
    assert order["Posted"] is True
    assert order["Date"] == "2024-04-30T10:30:00"  # server local time, no offset
    assert order["НомерПоДаннымКлиента"] == "38423510-0001-1"
    assert order["Статус"] == "КОтгрузке"
    assert order["Склад_Key"] == WH_MSK
    assert order["СуммаДокумента"] == 2900
    assert order["Контрагент_Key"] == contractor_ref(partner_ref("ut_main", "ozon"))
    first = order["Товары"][0]
    assert first["LineNumber"] == "1"
    assert first["Номенклатура_Key"] == P1
    assert first["Количество"] == 2
    assert first["Цена"] == 1200
    assert first["ВариантОбеспечения"] == "СоСклада"
    assert first["СуммаНДС"] == 400
    assert order["Товары"][1]["ВариантОбеспечения"] == "Отгрузить"


def test_documents_after_the_clock_are_invisible(served: Served) -> None:
    refs = [
        o["Ref_Key"]
        for o in values(served.client().get("Document_ЗаказКлиента", params={"$select": "Ref_Key"}))
    ]
    assert ORDER_FUTURE not in refs
    assert refs == [ORDER_POSTED, ORDER_DRAFT]
    missing = served.client().get(f"Document_ЗаказКлиента(guid'{ORDER_FUTURE}')")
    assert missing.status_code == 404
    assert missing.json()["odata.error"]["code"] == "9"


def test_sale_is_linked_to_its_order(served: Served) -> None:
    flt = f"ЗаказКлиента eq cast(guid'{ORDER_POSTED}', 'Document_ЗаказКлиента')"
    sales = values(served.client().get("Document_РеализацияТоваровУслуг", params={"$filter": flt}))
    assert [s["Ref_Key"] for s in sales] == [SALE]
    assert sales[0]["ЗаказКлиента_Type"] == "StandardODATA.Document_ЗаказКлиента"
    assert sales[0]["Товары"][0]["ЗаказКлиента"] == ORDER_POSTED
    returns = values(served.client().get("Document_ВозвратТоваровОтКлиента"))
    assert returns[0]["Товары"][0]["ДокументРеализации"] == SALE


def test_tabular_section_as_its_own_set(served: Served) -> None:
    rows = values(
        served.client().get(
            "Document_ЗаказКлиента_Товары", params={"$filter": f"Ref_Key eq guid'{ORDER_POSTED}'"}
        )
    )
    assert [(r["LineNumber"], r["Номенклатура_Key"]) for r in rows] == [("1", P1), ("2", P2)]


def test_top_skip_pages_and_orderby(served: Served) -> None:
    client = served.client()
    first = values(client.get("Catalog_Номенклатура", params={"$top": 2, "$skip": 0, "$orderby": "Ref_Key"}))
    second = values(client.get("Catalog_Номенклатура", params={"$top": 2, "$skip": 2, "$orderby": "Ref_Key"}))
    assert [i["Ref_Key"] for i in first + second] == [P1, P2, P3]
    desc = values(
        client.get("Catalog_Номенклатура", params={"$orderby": "Артикул desc", "$select": "Артикул"})
    )
    assert [i["Артикул"] for i in desc] == ["ART-003", "ART-002", "ART-001"]


def test_select_double_star_drops_tabular_sections(served: Served) -> None:
    order = values(served.client().get("Document_ЗаказКлиента", params={"$select": "**", "$top": 1}))[0]
    assert "Товары" not in order
    assert order["Number"] == "УТ-000001"
    lines_only = values(
        served.client().get(
            "Document_ЗаказКлиента", params={"$select": "Number,Товары/Количество", "$top": 1}
        )
    )
    assert lines_only[0] == {"Number": "УТ-000001", "Товары": [{"Количество": 2}, {"Количество": 1}]}


def test_inlinecount_is_a_string_and_ignores_top(served: Served) -> None:
    body = served.client().get("Catalog_Номенклатура", params={"$inlinecount": "allpages", "$top": 1}).json()
    assert body["odata.count"] == "3"
    assert len(body["value"]) == 3


def test_count_endpoint_is_plain_text_with_bom(served: Served) -> None:
    response = served.client().get("Catalog_Номенклатура/$count", params={"$filter": "DeletionMark eq false"})
    assert response.status_code == 200
    assert response.content == "\ufeff2".encode()


def test_nometadata_drops_metadata_and_links(served: Served) -> None:
    body = (
        served.client().get("Catalog_Склады", params={"$format": "application/json;odata=nometadata"}).json()
    )
    assert "odata.metadata" not in body
    assert "Parent@navigationLinkUrl" not in body["value"][0]


def test_metadata_is_edmx_xml(served: Served) -> None:
    response = served.client().get("$metadata")
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    names = {el.get("Name") for el in root.iter("{http://schemas.microsoft.com/ado/2009/11/edm}EntityType")}
    assert {"Document_ЗаказКлиента", "Catalog_Номенклатура"} <= names


def test_balance_with_condition_in_both_quote_styles(served: Served) -> None:
    client = served.client()
    doubled = f"AccumulationRegister_ТоварыНаСкладах/Balance(Condition='Склад_Key eq guid''{WH_MSK}''')"
    single = f"AccumulationRegister_ТоварыНаСкладах/Balance(Condition='Склад_Key eq guid'{WH_MSK}'')"
    rows = values(client.get(doubled))
    assert rows == values(client.get(single))
    by_item = {r["Номенклатура_Key"]: (r["ВНаличииBalance"], r["КОтгрузкеBalance"]) for r in rows}
    assert by_item == {P1: (10, 2), P2: (5, 0)}


def test_balance_condition_in_query_string_and_dimensions(served: Served) -> None:
    rows = values(
        served.client().get(
            "AccumulationRegister_ТоварыНаСкладах/Balance()",
            params={"Condition": f"Номенклатура_Key eq guid'{P1}'", "Dimensions": "Номенклатура"},
        )
    )
    assert rows == [{"Номенклатура_Key": P1, "ВНаличииBalance": 13, "КОтгрузкеBalance": 2}]


def test_reserve_registers(served: Served) -> None:
    rows = values(
        served.client().get(
            "AccumulationRegister_ЗапасыИПотребности/Balance",
            params={"$filter": f"Склад_Key eq guid'{WH_MSK}'"},
        )
    )
    reserve = {r["Номенклатура_Key"]: r["РезервироватьНаСкладеBalance"] for r in rows}
    assert reserve == {P1: 2, P2: 0}
    free = values(
        served.client().get("AccumulationRegister_СвободныеОстатки/Balance(Dimensions='Номенклатура')")
    )
    assert {r["Номенклатура_Key"]: r["ВРезервеСоСкладаBalance"] for r in free} == {P1: 2, P2: 0}


def test_balance_rejects_unknown_parameter(served: Served) -> None:
    response = served.client().get("AccumulationRegister_ТоварыНаСкладах/Balance(Foo=1)")
    assert response.status_code == 501
    assert response.json()["odata.error"]["code"] == "21"


def test_price_slice_last_respects_clock_and_period(served: Served) -> None:
    client = served.client()
    now = values(
        client.get(
            "InformationRegister_ЦеныНоменклатуры/SliceLast()",
            params={"$filter": f"Номенклатура_Key eq guid'{P1}'"},
        )
    )
    assert sorted((r["Цена"], r["Period"]) for r in now) == [
        (1100, "2024-02-01T03:00:00"),
        (1200, "2024-03-01T03:00:00"),
    ]
    before = values(
        client.get(
            "InformationRegister_ЦеныНоменклатуры_RecordType/SliceLast(Period=datetime'2024-02-15T00:00:00')",
            params={"$filter": f"Номенклатура_Key eq guid'{P1}'", "$orderby": "Цена"},
        )
    )
    assert [r["Цена"] for r in before] == [1000, 1100]
    first = values(
        client.get("InformationRegister_ЦеныНоменклатуры/SliceFirst(Period=datetime'2024-02-15T00:00:00')")
    )
    assert [r["Цена"] for r in first] == [1200]


def test_price_slice_condition_by_price_type(served: Served) -> None:
    types = values(served.client().get("Catalog_ВидыЦен", params={"$filter": "Description eq 'Ozon'"}))
    condition = f"ВидЦены_Key eq guid'{types[0]['Ref_Key']}'"
    rows = values(
        served.client().get("InformationRegister_ЦеныНоменклатуры/SliceLast", params={"Condition": condition})
    )
    assert [(r["Номенклатура_Key"], r["Цена"]) for r in rows] == [(P1, 1100)]
