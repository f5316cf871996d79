"""Writing documents: create, update, delete, post and unpost.

Per 1C:Enterprise 8.3 Developer Guide §17.4.13.1 (shared docs C5): ``POST <Set>`` creates
(unknown properties are ignored; a ``Ref_Key`` may be given), ``PATCH``/``PUT
<Set>(guid'…')`` update only the given properties and a tabular section is always sent and
replaced **whole**, ``DELETE`` removes physically, ``POST …/Post`` and ``…/Unpost`` run
the posting handlers. Every write gives the object a new ``DataVersion``.

Posting rules (what УТ 11's handlers do that matters to this project, C7):
- ``ЗаказКлиента`` reserves from stock the lines with ``ВариантОбеспечения = СоСклада``
  when ``Статус`` is ``КОбеспечению`` or ``КОтгрузке``: ``onec_stock.reserved`` grows, and
  posting fails (HTTP 500, code -1) when the free balance (on hand − reserved) is short.
  Unposting, deleting or re-posting releases exactly what the current lines reserve;
  a PATCH of a posted order re-posts it (failing as a whole when stock is short). A line
  with ``Отменено`` reserves nothing, so cutting the units a picker did not find into a
  cancelled line (sellerflow's ``onec_assembled``) releases exactly them. ``Статус`` may move
  between its value names in any order: which transitions УТ 11 refuses (e.g. Закрыт →
  КОтгрузке) is not documented [?], so none is refused here (docs/vendors/onec.md).
- ``РеализацияТоваровУслуг`` takes the goods off ``in_stock`` (fails when on hand is
  short); ``ВозвратТоваровОтКлиента`` puts them back. Neither touches order reserves.
Every write is appended to ``push_log`` (vendor ``onec``, account = base id).

Strictness (sources in docs/vendors/onec.md):
- Enum attributes take only the enumeration's value names (УТ 11.5 metadata, S13): ``Статус`` of
  ЗаказКлиента (НеСогласован, КОбеспечению, КОтгрузке, Закрыт) and of РеализацияТоваровУслуг
  (КПредоплате, ВПути, Отгружено), line ``ВариантОбеспечения`` (Отгрузить, СоСклада, …); anything else is
  HTTP 400 code 4 «Неверное значение свойства» (the code of §17.4.10; the exact text is [?]). Reference
  attributes (``*_Key``) must be GUIDs (same answer).
- Fill checks at posting (``fill_checks``, on by default; the texts are [?], modelled on УТ 11's
  ОбработкаПроверкиЗаполнения): an order needs a client (Партнер) and at least one line, every line a
  positive quantity; an order set to ``Закрыт`` may keep only lines that are cancelled (Отменено) or shipped
  (a posted Реализация based on it). Each refusal is HTTP 500, code -1, like every posting refusal.
- 1C's only idempotency rule: ``Ref_Key`` is unique — a POST with an existing one is refused with code 15
  (§17.4.10); there is no idempotency key and no uniqueness of ``НомерПоДаннымКлиента``.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import tzinfo
from typing import TypeVar

from sellerflow_emulators.onec.errors import (
    BAD_PROPERTY_VALUE,
    INTERNAL,
    KEY_EXISTS,
    ODataError,
    not_found,
    posting_failed,
)
from sellerflow_emulators.onec.ids import EMPTY_REF, from_local, next_data_version, to_local
from sellerflow_emulators.onec.query import BOOLEAN, DATETIME, DOUBLE, INT32, EntitySet

T = TypeVar("T")

SYNONYMS = {
    "ЗаказКлиента": "Заказ клиента",
    "РеализацияТоваровУслуг": "Реализация товаров и услуг",
    "ВозвратТоваровОтКлиента": "Возврат товаров от клиента",
}
RESERVING_STATUSES = ("КОбеспечению", "КОтгрузке")
# Enumerations of УТ 11.5 (shared docs C7, S13): attribute -> allowed value names, per document type.
HEADER_ENUMS = {
    "ЗаказКлиента": {"Статус": ("НеСогласован", "КОбеспечению", "КОтгрузке", "Закрыт")},
    "РеализацияТоваровУслуг": {"Статус": ("КПредоплате", "ВПути", "Отгружено")},
}
LINE_ENUMS = {
    "ЗаказКлиента": {
        "ВариантОбеспечения": (
            "Отгрузить",
            "СоСклада",
            "РезервироватьПоМереПоступления",
            "КОбеспечению",
            "НеТребуется",
            "ПереданРанее",
        )
    },
}


def _bad_value(name: str, value: object) -> ODataError:
    return ODataError(400, BAD_PROPERTY_VALUE, f"Неверное значение свойства {name}: {value!r}")


def _is_guid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _json_backed(entity: EntitySet, alias: str) -> dict[str, str]:
    """Attributes stored in the ``fields`` JSON (name -> EDM type)."""
    return {name: prop.edm for name, prop in entity.props.items() if f"{alias}.fields" in prop.sql}


def _field_value(name: str, value: object, edm: str, tz: tzinfo) -> object:
    if edm == DATETIME:
        if not value or value == "0001-01-01T00:00:00":
            return None
        try:
            return from_local(str(value), tz)
        except ValueError:
            raise _bad_value(name, value) from None
    if edm == BOOLEAN:
        return bool(value)
    if edm in (DOUBLE, INT32) and not isinstance(value, (int, float)):
        raise _bad_value(name, value)
    return value


class DocumentWriter:
    """Document writes for one infobase, each in its own IMMEDIATE transaction."""

    def __init__(
        self, conn: sqlite3.Connection, base_id: str, tz: tzinfo, clock: str, fill_checks: bool = True
    ) -> None:
        self.conn = conn
        self.base_id = base_id
        self.tz = tz
        self.clock = clock
        self.fill_checks = fill_checks

    # -- transactions -------------------------------------------------------------------
    def _begin(self) -> None:
        if self.conn.in_transaction:
            self.conn.commit()
        self.conn.execute("begin immediate")

    def _log(self, method: str, path: str, body: object) -> None:
        self.conn.execute(
            "insert into push_log(vendor, account_id, method, path, at, body) values ('onec', ?, ?, ?, ?, ?)",
            (self.base_id, method, path, self.clock, json.dumps(body, ensure_ascii=False)),
        )

    def _run(self, action: Callable[[], T], method: str, path: str, body: object) -> T:
        self._begin()
        try:
            result = action()
            self._log(method, path, body)
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()
        return result

    # -- public operations --------------------------------------------------------------
    def create(self, entity: EntitySet, body: dict, path: str) -> str:
        """Insert a document from a POST body; return its Ref_Key."""
        return self._run(lambda: self._create(entity, body), "POST", path, body)

    def update(self, entity: EntitySet, ref: str, body: dict, path: str, if_match: str | None) -> None:
        """Apply a PATCH/PUT body (re-posting a posted order)."""
        self._run(lambda: self._update(entity, ref, body, if_match), "PATCH", path, body)

    def delete(self, entity: EntitySet, ref: str, path: str, if_match: str | None) -> None:
        """Physically delete a document (its movements go with it)."""
        self._run(lambda: self._delete(entity, ref, if_match), "DELETE", path, {})

    def post(self, entity: EntitySet, ref: str, path: str) -> None:
        """Post (or re-post) a document."""
        self._run(lambda: self._post(entity, ref), "POST", path, {})

    def unpost(self, entity: EntitySet, ref: str, path: str) -> None:
        """Cancel posting of a document."""
        self._run(lambda: self._unpost(entity, ref), "POST", path, {})

    # -- implementation -----------------------------------------------------------------
    def _doc(self, entity: EntitySet, ref: str) -> sqlite3.Row:
        row = self.conn.execute(
            "select * from onec_documents where ref_key = ? and base_id = ? and doc_type = ? and date <= ?",
            (ref, self.base_id, entity.doc_type, self.clock),
        ).fetchone()
        if row is None:
            raise not_found(entity.name)
        return row

    def _check_version(self, doc: sqlite3.Row, if_match: str | None) -> None:
        if if_match is not None and if_match.strip('"') != doc["data_version"]:
            raise ODataError(412, "0", "Версия данных объекта не совпадает с переданной (If-Match)")

    def _touch(self, ref: str) -> None:
        version = self.conn.execute(
            "select data_version from onec_documents where ref_key = ?", (ref,)
        ).fetchone()[0]
        self.conn.execute(
            "update onec_documents set data_version = ? where ref_key = ?", (next_data_version(version), ref)
        )

    def _create(self, entity: EntitySet, body: dict) -> str:
        ref = str(body.get("Ref_Key") or uuid.uuid4()).lower()
        if ref == EMPTY_REF:
            ref = str(uuid.uuid4())
        exists = self.conn.execute("select 1 from onec_documents where ref_key = ?", (ref,)).fetchone()
        if exists:
            raise ODataError(400, KEY_EXISTS, f"Сущность с ключом {ref} уже существует")
        org = self.conn.execute(
            "select ref_key from onec_organizations where base_id = ? order by rowid limit 1", (self.base_id,)
        ).fetchone()
        if org is None:
            raise ODataError(500, INTERNAL, "В информационной базе нет организаций")
        self.conn.execute(
            "insert into onec_documents(ref_key, base_id, doc_type, number, date, organization_ref, posted,"
            " deletion_mark, data_version, fields) values (?, ?, ?, ?, ?, ?, 0, 0, ?, '{}')",
            (
                ref,
                self.base_id,
                entity.doc_type,
                self._next_number(entity),
                self.clock,
                org[0],
                next_data_version(None),
            ),
        )
        self._pin_status(self._doc(entity, ref))
        self._apply(entity, ref, body)
        return ref

    def _next_number(self, entity: EntitySet) -> str:
        row = self.conn.execute(
            "select max(cast(substr(number, 4) as integer)) from onec_documents"
            " where base_id = ? and doc_type = ? and number like 'УТ-%'",
            (self.base_id, entity.doc_type),
        ).fetchone()
        return f"УТ-{(row[0] or 0) + 1:06d}"

    def _update(self, entity: EntitySet, ref: str, body: dict, if_match: str | None) -> None:
        doc = self._doc(entity, ref)
        self._check_version(doc, if_match)
        posted = bool(doc["posted"])
        if posted:
            self._movements(entity, ref, sign=-1)
        self._apply(entity, ref, body)
        if posted:
            self._movements(entity, ref, sign=+1)
        self._touch(ref)

    def _delete(self, entity: EntitySet, ref: str, if_match: str | None) -> None:
        doc = self._doc(entity, ref)
        self._check_version(doc, if_match)
        if doc["posted"]:
            self._movements(entity, ref, sign=-1)
        self.conn.execute("delete from onec_document_lines where doc_ref = ?", (ref,))
        self.conn.execute("delete from onec_documents where ref_key = ?", (ref,))

    def _post(self, entity: EntitySet, ref: str) -> None:
        doc = self._doc(entity, ref)
        self._pin_status(doc)
        if doc["deletion_mark"]:
            raise posting_failed(
                self._presentation(doc), "Помеченный на удаление документ не может быть проведен."
            )
        if self.fill_checks and entity.doc_type == "ЗаказКлиента":
            self._check_order(self._doc(entity, ref))
        if doc["posted"]:
            self._movements(entity, ref, sign=-1)
        self._movements(entity, ref, sign=+1)
        self.conn.execute("update onec_documents set posted = 1 where ref_key = ?", (ref,))
        self._touch(ref)

    def _check_order(self, doc: sqlite3.Row) -> None:
        """УТ 11's fill checks of a customer order at posting [?: texts modelled, not sourced]."""
        problems = []
        if not doc["partner_ref"]:
            problems.append('Поле "Клиент" не заполнено.')
        lines = self.conn.execute(
            "select line_no, quantity, fields from onec_document_lines where doc_ref = ? order by line_no",
            (doc["ref_key"],),
        ).fetchall()
        if not lines:
            problems.append('Не заполнен список "Товары".')
        for line in lines:
            if int(line["quantity"]) <= 0:
                problems.append(f'В строке {line["line_no"]} списка "Товары" не заполнено поле "Количество".')
        if effective_status(doc) == "Закрыт":
            shipped = self.conn.execute(
                "select 1 from onec_documents where base_doc_ref = ? and doc_type = 'РеализацияТоваровУслуг'"
                " and posted = 1 limit 1",
                (doc["ref_key"],),
            ).fetchone()
            open_lines = [
                line["line_no"] for line in lines if not json.loads(line["fields"] or "{}").get("Отменено")
            ]
            if open_lines and shipped is None:
                problems.append(
                    "Заказ не может быть закрыт: строки "
                    + ", ".join(str(n) for n in open_lines)
                    + ' не отгружены и не отменены (установите "Отменено").'
                )
        if problems:
            raise posting_failed(self._presentation(doc), "\n".join(problems))

    def _unpost(self, entity: EntitySet, ref: str) -> None:
        doc = self._doc(entity, ref)
        if doc["posted"]:
            self._movements(entity, ref, sign=-1)
        self.conn.execute("update onec_documents set posted = 0 where ref_key = ?", (ref,))
        self._touch(ref)

    def _pin_status(self, doc: sqlite3.Row) -> None:
        """Store the order's effective Статус so posting and unposting read the same value."""
        if doc["doc_type"] != "ЗаказКлиента":
            return
        fields = json.loads(doc["fields"] or "{}")
        if "Статус" not in fields:
            fields["Статус"] = effective_status(doc)
            self.conn.execute(
                "update onec_documents set fields = ? where ref_key = ?",
                (json.dumps(fields, ensure_ascii=False), doc["ref_key"]),
            )

    def _presentation(self, doc: sqlite3.Row) -> str:
        date = to_local(doc["date"], self.tz)
        shown = f"{date[8:10]}.{date[5:7]}.{date[0:4]} {int(date[11:13])}:{date[14:16]}:{date[17:19]}"
        return f"{SYNONYMS[doc['doc_type']]} {doc['number']} от {shown}"

    # -- header and lines ---------------------------------------------------------------
    def _apply(self, entity: EntitySet, ref: str, body: dict) -> None:
        if not isinstance(body, dict):
            raise ODataError(400, "2", "Неверный формат запроса")
        columns: dict[str, object] = {}
        doc = self.conn.execute("select fields from onec_documents where ref_key = ?", (ref,)).fetchone()
        fields = json.loads(doc["fields"] or "{}")
        json_props = _json_backed(entity, "d")
        enums = HEADER_ENUMS.get(entity.doc_type or "", {})
        for name, value in body.items():
            if name in enums and value not in enums[name]:
                raise _bad_value(name, value)
            if name.endswith("_Key") and name in entity.props and not _is_guid(value):
                raise _bad_value(name, value)
            if name in json_props:
                fields[name] = _field_value(name, value, json_props[name], self.tz)
            elif name in _HEADER_COLUMNS and (
                name in entity.props or name == _RETURN_BASE.get(entity.doc_type)
            ):
                columns[_HEADER_COLUMNS[name]] = self._column_value(entity, name, value)
        if fields:
            columns["fields"] = json.dumps(fields, ensure_ascii=False)
        if columns:
            assignments = ", ".join(f"{column} = ?" for column in columns)
            self.conn.execute(
                f"update onec_documents set {assignments} where ref_key = ?", (*columns.values(), ref)
            )
        if "Товары" in body:
            self._replace_lines(entity, ref, body["Товары"])

    def _column_value(self, entity: EntitySet, name: str, value: object) -> object:
        if name == "Date":
            try:
                return from_local(str(value), self.tz)
            except ValueError:
                raise _bad_value(name, value) from None
        if name == "DeletionMark":
            return 1 if value else 0
        if name in ("Number", "НомерПоДаннымКлиента"):
            return "" if value is None else str(value)
        ref = str(value or EMPTY_REF).lower()
        if name == "Организация_Key":
            known = self.conn.execute(
                "select 1 from onec_organizations where ref_key = ? and base_id = ?", (ref, self.base_id)
            ).fetchone()
            if known is None:
                raise _bad_value(name, value)
            return ref
        if name == "Склад_Key":
            return None if ref == EMPTY_REF else self._warehouse_id(name, ref)
        return None if ref == EMPTY_REF else ref  # Партнер_Key, ЗаказКлиента, ДокументРеализации

    def _warehouse_id(self, name: str, external_id: str) -> str:
        row = self.conn.execute(
            "select id from warehouses where external_id = ? and owner = ?",
            (external_id, f"onec:{self.base_id}"),
        ).fetchone()
        if row is None:
            raise _bad_value(name, external_id)
        return str(row[0])

    def _replace_lines(self, entity: EntitySet, ref: str, rows: object) -> None:
        if not isinstance(rows, list):
            raise _bad_value("Товары", rows)
        collection = entity.tabular["Товары"]
        json_props = _json_backed(EntitySet(collection.row_type, "", "", collection.props), "l")
        self.conn.execute("delete from onec_document_lines where doc_ref = ?", (ref,))
        for line_no, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                raise _bad_value("Товары", row)
            for name, allowed in LINE_ENUMS.get(entity.doc_type or "", {}).items():
                if name in row and row[name] not in allowed:
                    raise _bad_value(name, row[name])
            product = str(row.get("Номенклатура_Key") or "").lower()
            known = self.conn.execute(
                "select 1 from products where ref_key = ? and base_id = ?", (product, self.base_id)
            ).fetchone()
            if known is None:
                raise _bad_value("Номенклатура_Key", row.get("Номенклатура_Key"))
            quantity, price = row.get("Количество", 0), row.get("Цена", 0)
            if not isinstance(quantity, (int, float)) or not isinstance(price, (int, float)):
                raise _bad_value("Количество/Цена", (quantity, price))
            amount = row.get("Сумма", quantity * price)
            if not isinstance(amount, (int, float)):
                raise _bad_value("Сумма", amount)
            fields = {
                name: _field_value(name, value, json_props[name], self.tz)
                for name, value in row.items()
                if name in json_props
            }
            if "Склад_Key" in fields:
                ext = str(fields["Склад_Key"] or EMPTY_REF).lower()
                fields["Склад_Key"] = None if ext == EMPTY_REF else ext
                if ext != EMPTY_REF:
                    self._warehouse_id("Склад_Key", ext)
            self.conn.execute(
                "insert into onec_document_lines(doc_ref, line_no, product_ref, quantity, price_kop, amount_kop, fields)"
                " values (?, ?, ?, ?, ?, ?, ?)",
                (ref, line_no, product, round(quantity), round(price * 100), round(amount * 100),
                 json.dumps(fields, ensure_ascii=False)),
            )  # fmt: skip

    # -- register movements -------------------------------------------------------------
    def _movements(self, entity: EntitySet, ref: str, sign: int) -> None:
        doc = self._doc(entity, ref)
        if entity.doc_type == "ЗаказКлиента":
            self._reserve(doc, sign)
        elif entity.doc_type == "РеализацияТоваровУслуг":
            self._move_stock(doc, -sign)
        else:
            self._move_stock(doc, sign)

    def _line_quantities(self, doc: sqlite3.Row, reserving_only: bool) -> dict[tuple[str, str], int]:
        needs: dict[tuple[str, str], int] = defaultdict(int)
        if reserving_only and effective_status(doc) not in RESERVING_STATUSES:
            return needs
        for line in self.conn.execute(
            "select * from onec_document_lines where doc_ref = ?", (doc["ref_key"],)
        ):
            line_fields = json.loads(line["fields"] or "{}")
            if reserving_only and (
                line_fields.get("ВариантОбеспечения") != "СоСклада" or line_fields.get("Отменено")
            ):
                continue
            warehouse = doc["warehouse_id"]
            if line_fields.get("Склад_Key"):
                warehouse = self._warehouse_id("Склад_Key", str(line_fields["Склад_Key"]))
            if warehouse is None:
                raise posting_failed(self._presentation(doc), 'Поле "Склад" не заполнено.')
            needs[(warehouse, line["product_ref"])] += int(line["quantity"])
        return needs

    def _balance(self, warehouse: str, product: str) -> tuple[int, int]:
        row = self.conn.execute(
            "select in_stock, reserved from onec_stock where warehouse_id = ? and product_ref = ?",
            (warehouse, product),
        ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def _shortage(
        self, doc: sqlite3.Row, warehouse: str, product: str, need: int, have: int, what: str
    ) -> ODataError:
        item = self.conn.execute("select name from products where ref_key = ?", (product,)).fetchone()
        store = self.conn.execute("select name from warehouses where id = ?", (warehouse,)).fetchone()
        reason = (
            f'Недостаточно {what} "{item[0] if item else product}" на складе '
            f'"{store[0] if store else warehouse}". Требуется: {need} шт, доступно: {have} шт.'
        )
        return posting_failed(self._presentation(doc), reason)

    def _reserve(self, doc: sqlite3.Row, sign: int) -> None:
        for (warehouse, product), quantity in self._line_quantities(doc, reserving_only=True).items():
            in_stock, reserved = self._balance(warehouse, product)
            if sign > 0 and in_stock - reserved < quantity:
                raise self._shortage(
                    doc,
                    warehouse,
                    product,
                    quantity,
                    max(in_stock - reserved, 0),
                    "свободного остатка товара",
                )
            self.conn.execute(
                "update onec_stock set reserved = max(reserved + ?, 0) where warehouse_id = ? and product_ref = ?",
                (sign * quantity, warehouse, product),
            )

    def _move_stock(self, doc: sqlite3.Row, sign: int) -> None:
        for (warehouse, product), quantity in self._line_quantities(doc, reserving_only=False).items():
            in_stock, _ = self._balance(warehouse, product)
            if sign < 0 and in_stock < quantity:
                raise self._shortage(doc, warehouse, product, quantity, in_stock, "товара")
            self.conn.execute(
                "insert into onec_stock(warehouse_id, product_ref, in_stock, reserved) values (?, ?, ?, 0)"
                " on conflict(warehouse_id, product_ref) do update set in_stock = in_stock + excluded.in_stock",
                (warehouse, product, sign * quantity),
            )


def close_shipped_order(conn: sqlite3.Connection, order_ref: str) -> int:
    """What УТ 11 does to a customer order once a Реализация shipped it in full: the order's reserve is consumed
    and the order is closed (Статус Закрыт). For the world's own 1C activity (emulators/clock.py posts its
    Реализация rows directly): without it, reserves made over the API would never be released. Returns the
    units released. Runs inside the caller's transaction."""
    doc = conn.execute(
        "select * from onec_documents where ref_key = ? and doc_type = 'ЗаказКлиента'", (order_ref,)
    ).fetchone()
    if doc is None:
        return 0
    released = 0
    if doc["posted"] and effective_status(doc) in RESERVING_STATUSES:
        for line in conn.execute(
            "select * from onec_document_lines where doc_ref = ?", (order_ref,)
        ).fetchall():
            fields = json.loads(line["fields"] or "{}")
            if fields.get("ВариантОбеспечения") != "СоСклада" or fields.get("Отменено"):
                continue
            warehouse = doc["warehouse_id"]
            if fields.get("Склад_Key"):
                row = conn.execute(
                    "select id from warehouses where external_id = ? and owner = ?",
                    (str(fields["Склад_Key"]), f"onec:{doc['base_id']}"),
                ).fetchone()
                warehouse = row[0] if row else warehouse
            conn.execute(
                "update onec_stock set reserved = max(reserved - ?, 0) where warehouse_id = ? and product_ref = ?",
                (int(line["quantity"]), warehouse, line["product_ref"]),
            )
            released += int(line["quantity"])
    fields = json.loads(doc["fields"] or "{}")
    fields["Статус"] = "Закрыт"
    conn.execute(
        "update onec_documents set fields = ?, data_version = ? where ref_key = ?",
        (json.dumps(fields, ensure_ascii=False), next_data_version(doc["data_version"]), order_ref),
    )
    return released


def effective_status(doc: sqlite3.Row) -> str:
    """ЗаказКлиента.Статус: the stored value, else what the emulator renders by default."""
    fields = json.loads(doc["fields"] or "{}")
    return str(fields.get("Статус") or ("КОтгрузке" if doc["posted"] else "НеСогласован"))


_RETURN_BASE = {"ВозвратТоваровОтКлиента": "ДокументРеализации"}
_HEADER_COLUMNS = {
    "Number": "number",
    "Date": "date",
    "DeletionMark": "deletion_mark",
    "Организация_Key": "organization_ref",
    "Партнер_Key": "partner_ref",
    "Склад_Key": "warehouse_id",
    "НомерПоДаннымКлиента": "customer_order_number",
    "ЗаказКлиента": "base_doc_ref",
    "ДокументРеализации": "base_doc_ref",
}
