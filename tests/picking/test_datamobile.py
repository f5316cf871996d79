"""DataMobile compatibility over real HTTP: the SOAP «DataMobileExch» subset (element names and order of the
vendor WSDL 2.7) and the confirmed offline file layouts (barcodes_doc.dm, arts_doc.dm)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

from .conftest import Served, Warehouse, unit

NS = {"s": "http://schemas.xmlsoap.org/soap/envelope/", "m": "http://www.data-mobile.ru"}


def _call(served: Served, token: str, operation: str, inner: str = "") -> tuple[int, ET.Element]:
    envelope = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://www.data-mobile.ru">'
        f"<soap:Body><m:{operation}><m:SN>DM-SERIAL-1</m:SN><m:UserName>picker</m:UserName>{inner}"
        f"</m:{operation}></soap:Body></soap:Envelope>"
    )
    r = httpx.post(
        served.url + "/datamobile/soap",
        content=envelope.encode(),
        auth=("tsd", token),
        headers={
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f"http://www.data-mobile.ru#DataMobileExch:{operation}",
        },
    )
    return r.status_code, ET.fromstring(r.content)


def _children(node: ET.Element) -> list[str]:
    return [c.tag.rsplit("}", 1)[1] for c in node]


def _ret(root: ET.Element, operation: str) -> ET.Element:
    return root.find(f"s:Body/m:{operation}Response/m:return", NS)


def test_soap_pick_cycle(wh: Warehouse, served: Served) -> None:
    wh.set_demand(
        [unit("ozon", "0001-1", "OZ-07", 2, cell="A-01"), unit("wildberries", "9001", "WB-01", cell="B-01")]
    )
    wh.build()
    (list_id,) = wh.sql("select id from ops.pick_lists")[0]
    token = wh.device("dm-01")

    status, root = _call(served, token, "DMServerInfo")
    assert status == 200
    assert _ret(root, "DMServerInfo").text == "Соединение с сервером установлено"
    assert _ret(_call(served, token, "IsNewDocs")[1], "IsNewDocs").text == "true"

    heads = _ret(_call(served, token, "GetDocHeads", "<m:DMDocsIDs/>")[1], "GetDocHeads")
    (head,) = list(heads)
    assert _children(head) == [
        "DMDocOutID", "DMNumber", "DMDate", "DMComment", "DMBarcode", "DMTemplate", "DMisMark", "DMisLoaded",
        "DMClient", "DMClientSelectDate", "DMWarehouse",
    ]  # fmt: skip
    assert head.find("m:DMDocOutID", NS).text == str(list_id)
    known = f"<m:DMDocsIDs><m:DMDocID>{list_id}</m:DMDocID></m:DMDocsIDs>"
    assert list(_ret(_call(served, token, "GetDocHeads", known)[1], "GetDocHeads")) == []

    rows = _ret(
        _call(served, token, "GetDocRowsSelect", f"<m:DocOutID>{list_id}</m:DocOutID>")[1], "GetDocRowsSelect"
    )
    assert [
        (r.find("m:DMCell", NS).text, r.find("m:DMBarcode", NS).text, r.find("m:DMQuant", NS).text)
        for r in rows
    ] == [
        ("A-01", "460OZ-07", "2"),
        ("B-01", "460WB-01", "1"),
    ]
    assert _children(rows[0])[:8] == [
        "DMBarcode",
        "DMSN",
        "DMCell",
        "DMArtID",
        "DMPackID",
        "DMQuant",
        "DMArtName",
        "DMLimit",
    ]
    assert _children(rows[0])[-1] == "Params"
    assert wh.sql("select status from ops.pick_lists") == [("claimed",)]  # opening the document claimed it

    scan = f"<m:Barcode>460OZ-07</m:Barcode><m:DocOutID>{list_id}</m:DocOutID><m:Cell/><m:Params/>"
    item = _ret(_call(served, token, "OnArtScanSelect", scan)[1], "OnArtScanSelect")
    assert item.find("m:DMArtQueryItem/m:DMTaskQnt", NS).text == "2"
    unknown = scan.replace("460OZ-07", "999")
    assert list(_ret(_call(served, token, "OnArtScanSelect", unknown)[1], "OnArtScanSelect")) == []

    fact = (
        f"<m:DocHead><m:DMDocOutID>{list_id}</m:DMDocOutID></m:DocHead><m:DocRowsSelect/>"
        "<m:DocRowsInsert><m:DMDocRow><m:DMBarcode>460OZ-07</m:DMBarcode><m:DMQuant>2</m:DMQuant>"
        "<m:DMRowID>1</m:DMRowID></m:DMDocRow></m:DocRowsInsert>"
    )
    assert _ret(_call(served, token, "WriteDoc", fact)[1], "WriteDoc").text == "true"
    assert wh.sql("select status from ops.pick_lists") == [("finished",)]
    assert wh.sql("select posting_number, short_units from ops.pick_list_orders order by 1") == [
        ("0001-1", 0),
        ("9001", 1),
    ]
    # the device sends the same document again: nothing changes
    assert _ret(_call(served, token, "WriteDoc", fact)[1], "WriteDoc").text == "true"
    assert wh.sql("select sum(picked) from ops.pick_list_items") == [(2,)]

    status, fault = _call(served, token, "GetCells")
    assert status == 500
    assert "not supported" in fault.find("s:Body/s:Fault/faultstring", NS).text


def test_soap_refuses_a_bad_token(wh: Warehouse, served: Served) -> None:
    r = httpx.post(served.url + "/datamobile/soap", content=b"<x/>", auth=("tsd", "tsd_wrong"))
    assert r.status_code == 401


def test_offline_files_follow_the_documented_layouts(wh: Warehouse, served: Served) -> None:
    wh.set_demand(
        [
            unit(
                "ozon",
                "0001-1",
                "OZ-07",
                2,
                cell="A-01",
                barcodes=["4601", "4602"],
                product_name="Кружка; белая",
            )
        ]
    )
    wh.build()
    (list_id,) = wh.sql("select id from ops.pick_lists")[0]
    with served.client(wh.device("dm-02")) as c:
        barcodes = httpx.get(f"{served.url}/datamobile/files/{list_id}/barcodes_doc", headers=c.headers)
        arts = httpx.get(f"{served.url}/datamobile/files/{list_id}/arts_doc", headers=c.headers)
        assert httpx.get(f"{served.url}/datamobile/files/{list_id}/doc", headers=c.headers).status_code == 404
    assert barcodes.headers["content-disposition"].endswith('_barcodes_doc.dm"')
    assert barcodes.text.splitlines() == ["3", "-", "1;+;4601;шт;1;ref-OZ-07;0", "2;+;4602;шт;1;ref-OZ-07;0"]
    lines = arts.text.splitlines()
    assert lines[:3] == ["3", "-", "Артикул;Ячейка;;;;;;;;;"]
    fields = lines[3].split(";")
    assert fields[:7] == [
        "1",
        "+",
        "ref-OZ-07",
        "Кружка, белая",
        "0",
        "OZ-07",
        "A-01",
    ]  # ';' is not allowed in values
    assert len(fields) == 5 + 10 + 9
