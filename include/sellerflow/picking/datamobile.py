"""DataMobile compatibility: the documented parts of its exchange (facts: docs/sources/tsd.md §1).

**Online exchange (SOAP «DataMobileExch», WSDL 2.7, document/literal, namespace http://www.data-mobile.ru)** at
``POST /tsd/datamobile/soap``. The subset a picking device needs; element names and order as in the vendor WSDL:

- ``DMServerInfo`` → string; ``IsNewDocs`` → boolean (open lists in the device's warehouse);
- ``GetDocHeads(DMDocsIDs)`` → ``DMDocList`` of ``DMDocHead`` (one per open list, ``DMDocOutID`` = list id);
- ``GetDocRowsSelect(DocOutID)`` → ``DMDocRows``: one ``DMDocRow`` per line (``DMBarcode``, ``DMCell``,
  ``DMArtID``, ``DMQuant`` = planned quantity [?], ``DMArtName``, ``DMLimit`` = planned quantity, ``DMRowID``);
  opening a document claims the list for the device; ``GetDocRowsInsert`` → empty rows;
- ``GetDocArts(DocOutID)`` → ``DMArtList`` (``DMArtAttr1`` = article, ``DMArtAttr2`` = cell, barcodes);
- ``OnArtScanSelect(Barcode, DocOutID)`` → ``DMArtQueryInfo`` with ``DMTaskQnt`` left to pick (empty when the
  barcode is not on the list);
- ``WriteDoc(DocHead, DocRowsSelect, DocRowsInsert)`` → boolean: the fact rows are taken as scans (idempotent by
  device serial, document and row) and the list is finished. Which of the two tables carries the fact is not
  documented: we read ``DocRowsInsert`` («Размещение») and fall back to ``DocRowsSelect`` when it is empty [?].
- Any other operation answers a SOAP fault (``soap:Client``, "not supported").

Authentication: the device's sellerflow token, sent as HTTP Basic password (any user name) or as a bearer
token. How a DataMobile installation sends credentials to a web service is not in the stored material [?].
The WSDL itself is not served (the device is configured with the service URL) [?].

**Offline files (CSV, ``;``-separated, UTF-8 [?])** at ``GET /tsd/datamobile/files/{list_id}/{kind}``: the
confirmed layouts ``<ts>_barcodes_doc.dm`` and ``<ts>_arts_doc.dm`` (line 1 = number of lines after it,
line 2 = load mode ``-``). The task file ``<ts>_doc.dm`` is not written: its row layout is not in the stored
vendor pages [gap], nor is the ``.dmu`` upload layout [gap].
"""

from __future__ import annotations

import base64
import time
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import psycopg
from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from sellerflow.picking import service
from sellerflow.picking.devices import Device
from sellerflow.picking.service import PickingError

if TYPE_CHECKING:  # api imports this module when it builds the app
    from sellerflow.picking.api import Session

NS = "http://www.data-mobile.ru"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SERVER_INFO = "Соединение с сервером установлено"  # the vendor stub's answer [D7]
FORBIDDEN = str.maketrans({";": ",", "'": "’", "\r": " ", "\n": " "})  # D1: no ';' and no "'" in values


# ---------------------------------------------------------------- XML helpers
def _el(name: str, value: Any = None, nil: bool = False) -> str:
    if nil or value is None:
        return f'<m:{name} xsi:nil="true"/>'
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<m:{name}>{escape(str(value))}</m:{name}>"


def _envelope(operation: str, inner: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:xsi="{XSI}"><soap:Body>'
        f'<m:{operation}Response xmlns:m="{NS}"><m:return>{inner}</m:return></m:{operation}Response>'
        "</soap:Body></soap:Envelope>"
    )


def _fault(code: str, message: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{code}</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node: ET.Element, name: str) -> ET.Element | None:
    for child in node:
        if _local(child.tag) == name:
            return child
    return None


def _text(node: ET.Element, name: str) -> str:
    child = _child(node, name)
    return (child.text or "").strip() if child is not None else ""


# ---------------------------------------------------------------- WSDL types (element order as in WSDL 2.7)
def doc_head(summary: dict[str, Any]) -> str:
    """``DMDocHead`` of a pick list."""
    return (
        "<m:DMDocHead>"
        + _el("DMDocOutID", summary["id"])
        + _el("DMNumber", summary["number"])
        + _el("DMDate", summary["created_at"])
        + _el("DMComment", f"Сборка: {summary['warehouse_name']}")
        + _el("DMBarcode", summary["number"])
        + _el("DMTemplate", nil=True)
        + _el("DMisMark", False)
        + _el("DMisLoaded", False)
        + "<m:DMClient>"
        + _el("DMName", "")
        + _el("DMClientID", "")
        + _el("DMBarcode", "")
        + "</m:DMClient>"
        + _el("DMClientSelectDate", nil=True)
        + "<m:DMWarehouse>"
        + _el("DMWarehouseName", summary["warehouse_name"])
        + _el("DMWarehouseID", summary["warehouse_key"])
        + "</m:DMWarehouse>"
        + "</m:DMDocHead>"
    )


def doc_row(line: dict[str, Any], row_id: int) -> str:
    """``DMDocRow`` (type ``DMDocRec``) of a line: the task row of the «Подбор» (Select) table."""
    left = line["quantity"]
    return (
        "<m:DMDocRow>"
        + _el("DMBarcode", line["barcodes"][0] if line["barcodes"] else "")
        + _el("DMSN", "")
        + _el("DMCell", line["cell"] or "")
        + _el("DMArtID", line["nomenclature"] or line["offer_id"] or "")
        + _el("DMPackID", "")
        + _el("DMQuant", left)
        + _el("DMArtName", line["name"])
        + _el("DMLimit", left)
        + _el("DMPDFBarcode", nil=True)
        + _el("DMDataMatrixBarcode", nil=True)
        + _el("DMDateBottling", nil=True)
        + _el("DMRowID", row_id)
        + _el("DMDecodedPDFBarcode", "")
        + _el("DMBlankA", "")
        + _el("DMBlankB", "")
        + _el("DMRFIDTagID", "")
        + _el("DMChangedPrice", nil=True)
        + _el("DMBoxPackID", "")
        + _el("DMTable", "")
        + _el("DMArtEgaisID", "")
        + _el("DMPrice", nil=True)
        + _el("DMDate", nil=True)
        + _el("DMGroupId", nil=True)
        + _el("Params", "")
        + "</m:DMDocRow>"
    )


def art(line: dict[str, Any]) -> str:
    """``DMArt`` of a line's item (article in attribute 1, cell in attribute 2)."""
    barcodes = "".join(
        "<m:DMBarcodeList>"
        + _el("DMBarcode", code)
        + _el("DMMeasureName", "шт")
        + _el("DMMeasureK", 1)
        + _el("DMisMark", False)
        + _el("DMUseSN", 0)
        + "</m:DMBarcodeList>"
        for code in line["barcodes"]
    )
    return (
        "<m:DMArt>"
        + _el("DMArtName", line["name"])
        + _el("DMArtID", line["nomenclature"] or line["offer_id"] or "")
        + _el("DMArtAttr1", line["article"] or "")
        + _el("DMArtAttr2", line["cell"] or "")
        + _el("DMArtPrice", 0)
        + barcodes
        + _el("DMisMark", False)
        + "".join(_el(f"DMArtAttr{n}", "") for n in range(3, 11))
        + _el("DMUseSN", False)
        + "</m:DMArt>"
    )


def art_query_item(line: dict[str, Any]) -> str:
    """``DMArtQueryItem``: the answer to a scan, ``DMTaskQnt`` = units left to pick on the line."""
    return (
        "<m:DMArtQueryItem>"
        + _el("DMArtName", line["name"])
        + _el("DMArtID", line["nomenclature"] or line["offer_id"] or "")
        + _el("DMArtPrice", 0)
        + _el("DMArtAttr1", line["article"] or "")
        + _el("DMArtAttr2", line["cell"] or "")
        + _el("DMMeasureName", "шт")
        + _el("DMMeasureK", 1)
        + _el("DMTaskQnt", line["quantity"] - line["picked"])
        + _el("DMLimitQnt", line["quantity"] - line["picked"])
        + "".join(_el(f"DMArtAttr{n}", "") for n in range(3, 11))
        + _el("DMUseSN", False)
        + _el("DMBarcodeUseSN", 0)
        + "</m:DMArtQueryItem>"
    )


# ---------------------------------------------------------------- offline CSV files (confirmed layouts)
def _clean(value: Any) -> str:
    return "" if value is None else str(value).translate(FORBIDDEN)


def _file(rows: list[list[Any]], header: list[str] | None = None) -> str:
    lines = ["-"]  # load mode: clear the table, then load [D1]
    if header is not None:
        lines.append(";".join(_clean(h) for h in header) + ";")
    lines += [";".join(_clean(v) for v in row) for row in rows]
    return "\n".join([str(len(lines)), *lines]) + "\n"


def barcodes_doc_dm(document: dict[str, Any]) -> str:
    """``<ts>_barcodes_doc.dm`` [D3]: ``НомерСтроки;Операция;ШтрихКод;НаименованиеУпаковки;Коэффициент;
    ИдентификаторТовара;ИспользованиеСерийногоНомера``."""
    rows, n = [], 0
    for line in document["lines"]:
        for code in line["barcodes"]:
            n += 1
            rows.append([n, "+", code, "шт", 1, line["nomenclature"] or line["offer_id"], 0])
    return _file(rows)


def arts_doc_dm(document: dict[str, Any]) -> str:
    """``<ts>_arts_doc.dm`` [D4]: line 3 = attribute captions (Атрибут1 = Артикул, Атрибут2 = Ячейка), then
    ``НомерСтроки;Операция;ИдентификаторТовара;Наименование;Цена;Атрибут1..10;ОстатокНаСкладе;ИспользованиеSN;
    Скидка;ТипSN;ПравилоSN;ТребуетМаркировки;ВесовойТовар;РежимВводаКоличества;ТипыСерий`` (no extra prices)."""
    header = ["Артикул", "Ячейка", *[""] * 8]
    rows = []
    for n, line in enumerate(document["lines"], 1):
        attrs = [line["article"], line["cell"] or "", *[""] * 8]
        rows.append(
            [
                n,
                "+",
                line["nomenclature"] or line["offer_id"],
                line["name"],
                0,
                *attrs,
                "",
                0,
                0,
                "",
                "",
                0,
                0,
                "",
                "",
            ]
        )
    return _file(rows, header)


# ---------------------------------------------------------------- the SOAP service
def _token(request: Request) -> str | None:
    """The device token: HTTP Basic password (any user name) or a bearer token."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    if auth.lower().startswith("basic "):
        try:
            return base64.b64decode(auth[6:].strip()).decode("utf-8").split(":", 1)[1] or None
        except (ValueError, IndexError):
            return None
    return None


def _line_for(document: dict[str, Any], barcode: str) -> dict[str, Any] | None:
    for line in document["lines"]:
        if barcode in line["barcodes"] and line["quantity"] > 0:
            return line
    return None


def _write_doc(conn: psycopg.Connection, dev: Device, body: ET.Element, serial: str) -> str:
    head = _child(body, "DocHead")
    doc_id = _text(head, "DMDocOutID") if head is not None else ""
    if not doc_id.isdigit():
        raise PickingError(
            422, "bad_document", "WriteDoc: DocHead.DMDocOutID is not a sellerflow pick list id."
        )
    list_id = int(doc_id)
    tables = [(name, _child(body, name)) for name in ("DocRowsInsert", "DocRowsSelect")]
    for table, node in tables:
        rows = [row for row in (node if node is not None else []) if _local(row.tag) == "DMDocRow"]
        if not rows:
            continue
        for index, row in enumerate(rows):
            barcode, quantity = _text(row, "DMBarcode"), _text(row, "DMQuant") or "0"
            qty = int(float(quantity))
            if not barcode or qty <= 0:
                continue
            row_id = _text(row, "DMRowID") or str(index)
            scan_id = f"dm:{serial}:{list_id}:{table}:{row_id}"
            try:
                service.scan(conn, dev, list_id, scan_id, barcode, qty)
            except PickingError as exc:
                if exc.code not in {"over_pick", "unknown_barcode", "order_cancelled"}:
                    raise
        break
    service.finish(conn, dev, list_id)
    return "true"


DOCUMENT_OPERATIONS = {"GetDocRowsSelect", "GetDocRowsInsert", "GetDocArts", "OnArtScanSelect"}


def _document_operation(conn: psycopg.Connection, dev: Device, operation: str, call: ET.Element) -> str:
    """The inner XML of an operation on one document (DocOutID = pick list id)."""
    doc_id = _text(call, "DocOutID")
    if not doc_id.isdigit():
        raise PickingError(404, "not_found", f"DataMobile: document {doc_id!r} is not a pick list.")
    if operation == "GetDocRowsInsert":
        service.document(conn, dev, int(doc_id))  # warehouse check; the fact table starts empty
        return ""
    if operation == "GetDocRowsSelect":
        document = service.claim(conn, dev, int(doc_id))  # opening the task claims it
        return "".join(
            doc_row(line, n) for n, line in enumerate(document["lines"], 1) if line["quantity"] > 0
        )
    document = service.document(conn, dev, int(doc_id))
    if operation == "GetDocArts":
        return "".join(art(line) for line in document["lines"])
    line = _line_for(document, _text(call, "Barcode"))
    return art_query_item(line) if line else ""


def handle(conn: psycopg.Connection, dev: Device, envelope: bytes) -> tuple[int, str]:
    """Answer one SOAP request: (HTTP status, envelope)."""
    try:
        root = ET.fromstring(envelope)
    except ET.ParseError:
        return 400, _fault("Client", "not a SOAP envelope")
    body = next((c for c in root if _local(c.tag) == "Body"), None)
    call = next(iter(body), None) if body is not None else None
    if call is None:
        return 400, _fault("Client", "empty SOAP body")
    operation, serial = _local(call.tag), _text(call, "SN")
    try:
        if operation == "DMServerInfo":
            return 200, _envelope(operation, escape(SERVER_INFO))
        if operation == "IsNewDocs":
            return 200, _envelope(operation, "true" if service.open_lists(conn, dev) else "false")
        if operation == "GetDocHeads":
            ids = _child(call, "DMDocsIDs")
            known = {(c.text or "").strip() for c in ids} if ids is not None else set()
            heads = [doc_head(s) for s in service.open_lists(conn, dev) if str(s["id"]) not in known]
            return 200, _envelope(operation, "".join(heads))
        if operation in DOCUMENT_OPERATIONS:
            return 200, _envelope(operation, _document_operation(conn, dev, operation, call))
        if operation == "WriteDoc":
            return 200, _envelope(operation, _write_doc(conn, dev, call, serial or dev.name))
    except PickingError as exc:
        return 500, _fault("Client", f"{exc.code}: {exc.message}")
    return 500, _fault("Client", f"operation {operation} is not supported by sellerflow")


def router(session: Session) -> APIRouter:
    """The DataMobile routes of the TSD app: its calls run as the JSON API's do (:class:`~.api.Session`)."""
    api = APIRouter(prefix="/datamobile", tags=["DataMobile"])

    @api.post("/soap", summary="DataMobileExch SOAP 1.1 subset (see module docs)")
    async def soap(request: Request) -> Response:
        envelope = await request.body()
        status, text = await session.blocking(_token(request), lambda conn, dev: handle(conn, dev, envelope))
        return Response(text, status, media_type="text/xml; charset=utf-8")

    @api.get("/files/{list_id}/{kind}", summary="DataMobile offline file of a list (barcodes_doc, arts_doc)")
    async def files(list_id: int, kind: str, request: Request) -> Response:
        writers = {"barcodes_doc": barcodes_doc_dm, "arts_doc": arts_doc_dm}
        if kind not in writers:
            raise PickingError(
                404,
                "unknown_file",
                "DataMobile files: barcodes_doc or arts_doc (doc.dm rows: layout unknown).",
            )
        text = await session.blocking(
            _token(request), lambda conn, dev: writers[kind](service.document(conn, dev, list_id))
        )
        name = f"{int(time.time())}_{kind}.dm"
        return PlainTextResponse(text, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return api
