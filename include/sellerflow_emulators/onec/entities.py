"""The УТ 11 objects the emulator publishes, mapped onto the canonical world tables.

Names and attributes follow the «Управление торговлей 11.5» configuration dump (shared
docs part C7, S13): ``Catalog_Номенклатура``, ``Catalog_Склады``, ``Catalog_Партнеры``,
``Catalog_Контрагенты``, ``Catalog_Организации``, ``Catalog_СтавкиНДС``,
``Catalog_ВидыЦен``, ``Catalog_СкладскиеЯчейки``; ``InformationRegister_ШтрихкодыНоменклатуры``
(dimension ``Штрихкод``; resources ``Номенклатура``, ``Характеристика``, ``Упаковка``) and
``InformationRegister_РазмещениеНоменклатурыПоСкладскимЯчейкам`` (dimensions
``Номенклатура``, ``Склад``, ``Помещение``, ``Ячейка``; resource ``ОсновнаяЯчейка``) — the
register УТ 11 keeps an item's storage cell in; documents ``ЗаказКлиента``,
``РеализацияТоваровУслуг``, ``ВозвратТоваровОтКлиента`` with their ``Товары`` sections.
Standard properties use the English names of §17.4.3 (``Ref_Key``, ``DataVersion``,
``DeletionMark``, ``Code``, ``Description``, ``Number``, ``Date``, ``Posted``, ``LineNumber``).

Attributes with no canonical column read the document's ``fields`` JSON first (what a
client wrote or the generator set) and fall back to the configuration's usual default.
SQL uses the connection function ``onec_guid(...)`` (see :func:`register_sql_functions`) for
GUIDs derived by :mod:`.ids`.
"""

from __future__ import annotations

import json
import sqlite3
from functools import lru_cache

from sellerflow_emulators.onec.ids import EMPTY_REF, MARKETPLACES, currency_ref, derived_guid, partner_ref
from sellerflow_emulators.onec.query import (
    BOOLEAN,
    DATETIME,
    DOUBLE,
    GUID,
    INT32,
    INT64,
    STRING,
    Collection,
    EntitySet,
    Prop,
)

EMPTY = f"'{EMPTY_REF}'"
RUB = f"'{currency_ref()}'"
STATIC_VERSION = "'AAAAAAAAAAE='"
NS = "StandardODATA."


@lru_cache(maxsize=8192)
def parsed_fields(text: str) -> dict:
    """A ``fields`` JSON object as a dict (cached; {} when it is not an object)."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _field(text: str | None, name: str) -> object:
    # SQLite's json_extract does not match keys written with \uXXXX escapes (json.dumps'
    # default), so attributes are read in Python, whatever the writer's escaping.
    value = parsed_fields(text or "{}").get(name)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def register_sql_functions(conn: sqlite3.Connection) -> None:
    """Install ``onec_guid(part, ...)`` and ``onec_field(json, name)`` on a connection."""
    conn.create_function("onec_guid", -1, lambda *parts: derived_guid(*map(str, parts)), deterministic=True)
    conn.create_function("onec_field", 2, _field, deterministic=True)
    conn.create_function("onec_partner", 2, partner_ref, deterministic=True)


def _json(alias: str, name: str, default: str) -> str:
    return f"coalesce(onec_field({alias}.fields, '{name}'), {default})"


def _const(value: str, edm: str = STRING) -> Prop:
    return Prop(f"'{value}'", edm)


def _catalog_head(ref: str, version: str, deletion: str, code: str, description: str) -> dict[str, Prop]:
    return {
        "Ref_Key": Prop(ref, GUID),
        "DataVersion": Prop(version, STRING),
        "DeletionMark": Prop(deletion, BOOLEAN),
        "Code": Prop(code, STRING),
        "Description": Prop(description, STRING),
    }


def _catalog_tail() -> dict[str, Prop]:
    return {"Predefined": Prop("0", BOOLEAN), "PredefinedDataName": _const("")}


def _main_warehouse(base_sql: str) -> str:
    # The generator names the main 1C warehouse '<base>:main'; otherwise take the first one.
    return (
        f"(select id from warehouses where owner = 'onec:' || {base_sql} and kind = 'onec'"
        " order by id not like '%:main', id limit 1)"
    )


def products() -> EntitySet:
    """Catalog_Номенклатура."""
    props = _catalog_head(
        "p.ref_key", "p.data_version", "p.deletion_mark", "printf('00-%08d', p.rowid)", "p.name"
    )
    props |= {
        "Parent_Key": Prop(EMPTY, GUID, nav="Catalog_Номенклатура"),
        "IsFolder": Prop("0", BOOLEAN),
        "НаименованиеПолное": Prop("p.name", STRING),
        "Артикул": Prop("p.article", STRING),
        "ТипНоменклатуры": _const("Товар"),
        "ВидНоменклатуры_Key": Prop(
            "onec_guid('item_kind', p.base_id, 'Товар')", GUID, nav="Catalog_ВидыНоменклатуры"
        ),
        "ЕдиницаИзмерения_Key": Prop(
            "onec_guid('unit', '796')", GUID, nav="Catalog_УпаковкиЕдиницыИзмерения"
        ),
        "СтавкаНДС_Key": Prop("onec_guid('vat', p.base_id, p.vat_rate)", GUID, nav="Catalog_СтавкиНДС"),
        "ИспользованиеХарактеристик": _const("НеИспользовать"),
        "ВесИспользовать": Prop("1", BOOLEAN),
        "ВесЧислитель": Prop("(p.weight_g / 1000.0)", DOUBLE),
        "ВесЗнаменатель": Prop("1", DOUBLE),
        "ВесЕдиницаИзмерения_Key": Prop(
            "onec_guid('unit', '166')", GUID, nav="Catalog_УпаковкиЕдиницыИзмерения"
        ),
    } | _catalog_tail()
    return EntitySet(
        "Catalog_Номенклатура", "from products p", "p.base_id = :base", props, order_sql="p.ref_key"
    )


def warehouses() -> EntitySet:
    """Catalog_Склады: warehouses whose owner is ``onec:<base>``."""
    props = _catalog_head("w.external_id", STATIC_VERSION, "0", "printf('%09d', w.rowid)", "w.name")
    props |= {
        "Parent_Key": Prop(EMPTY, GUID, nav="Catalog_Склады"),
        "IsFolder": Prop("0", BOOLEAN),
        "ТипСклада": _const("Склад"),
    } | _catalog_tail()
    return EntitySet(
        "Catalog_Склады", "from warehouses w", "w.owner = 'onec:' || :base", props, order_sql="w.external_id"
    )


def organizations() -> EntitySet:
    """Catalog_Организации: the base's legal entities."""
    props = _catalog_head("o.ref_key", "o.data_version", "0", "printf('%09d', o.rowid)", "le.name")
    props |= {
        "НаименованиеПолное": Prop("le.name", STRING),
        "НаименованиеСокращенное": Prop("le.name", STRING),
        "ИНН": Prop("le.inn", STRING),
        "КПП": Prop("coalesce(le.kpp, '')", STRING),
        "ЮридическоеФизическоеЛицо": _const("ЮридическоеЛицо"),
        "Префикс": _const(""),
    } | _catalog_tail()
    return EntitySet(
        "Catalog_Организации",
        "from onec_organizations o join legal_entities le on le.id = o.legal_entity_id",
        "o.base_id = :base",
        props,
        order_sql="o.ref_key",
    )


_MARKETPLACE_ROWS = ", ".join(
    f"({n}, '{mp}', '{name}', '{legal.replace(chr(39), chr(39) * 2)}', '{inn}')"
    for n, (mp, name, legal, inn) in enumerate(MARKETPLACES, start=1)
)
_MARKETPLACES_SQL = (
    "from (select column1 as n, column2 as mp, column3 as name, column4 as legal, column5 as inn "
    f"from (values {_MARKETPLACE_ROWS})) m"
)
_PARTNER = "onec_partner(:base, m.mp)"


def partners() -> EntitySet:
    """Catalog_Партнеры: one partner (client) per marketplace."""
    props = _catalog_head(_PARTNER, STATIC_VERSION, "0", "printf('%09d', m.n)", "m.name")
    props |= {
        "Parent_Key": Prop(EMPTY, GUID, nav="Catalog_Партнеры"),
        "IsFolder": Prop("0", BOOLEAN),
        "НаименованиеПолное": Prop("m.name", STRING),
        "Клиент": Prop("1", BOOLEAN),
        "Поставщик": Prop("0", BOOLEAN),
        "ЮрФизЛицо": _const("Компания"),
    } | _catalog_tail()
    return EntitySet("Catalog_Партнеры", _MARKETPLACES_SQL, "1 = 1", props, order_sql="m.n")


def contractors() -> EntitySet:
    """Catalog_Контрагенты: the marketplace operator's legal entity, owned by its partner."""
    props = _catalog_head(
        f"onec_guid('contractor', {_PARTNER})", STATIC_VERSION, "0", "printf('%09d', m.n)", "m.legal"
    )
    props |= {
        "Parent_Key": Prop(EMPTY, GUID, nav="Catalog_Контрагенты"),
        "IsFolder": Prop("0", BOOLEAN),
        "НаименованиеПолное": Prop("m.legal", STRING),
        "ИНН": Prop("m.inn", STRING),
        "КПП": _const(""),
        "Партнер_Key": Prop(_PARTNER, GUID, nav="Catalog_Партнеры"),
        "ЮридическоеФизическоеЛицо": _const("ЮридическоеЛицо"),
    } | _catalog_tail()
    return EntitySet("Catalog_Контрагенты", _MARKETPLACES_SQL, "1 = 1", props, order_sql="m.n")


def vat_rates() -> EntitySet:
    """Catalog_СтавкиНДС (a catalog since УТ 11.5): the rates used by the base's items."""
    description = (
        "case v.vat_rate when 'БезНДС' then 'Без НДС' else 'НДС ' || substr(v.vat_rate, 4) || '%' end"
    )
    props = _catalog_head(
        "onec_guid('vat', :base, v.vat_rate)", STATIC_VERSION, "0", "v.vat_rate", description
    )
    props |= _catalog_tail()
    return EntitySet(
        "Catalog_СтавкиНДС",
        "from (select distinct vat_rate from products where base_id = :base) v",
        "1 = 1",
        props,
        order_sql="v.vat_rate",
    )


def price_types() -> EntitySet:
    """Catalog_ВидыЦен: the price types present in the base's price records."""
    props = _catalog_head(
        "onec_guid('price_type', :base, t.price_type)", STATIC_VERSION, "0", "t.price_type", "t.price_type"
    )
    props |= {
        "ВалютаЦены_Key": Prop(RUB, GUID, nav="Catalog_Валюты"),
        "ЦенаВключаетНДС": Prop("1", BOOLEAN),
    } | _catalog_tail()
    return EntitySet(
        "Catalog_ВидыЦен",
        "from (select distinct pr.price_type from onec_prices pr join products p on p.ref_key = pr.product_ref"
        " where p.base_id = :base) t",
        "1 = 1",
        props,
        order_sql="t.price_type",
    )


_CELLS_SQL = (
    "from (select distinct w.id as wid, w.external_id as wext, p.storage_cell as cell from products p "
    f"join warehouses w on w.id = {_main_warehouse('p.base_id')} where p.base_id = :base) c"
)


def cells() -> EntitySet:
    """Catalog_СкладскиеЯчейки: the storage cells named by items (owned by the main warehouse)."""
    props = _catalog_head("onec_guid('cell', c.wid, c.cell)", STATIC_VERSION, "0", "c.cell", "c.cell")
    props |= {"Owner_Key": Prop("c.wext", GUID, nav="Catalog_Склады")} | _catalog_tail()
    return EntitySet("Catalog_СкладскиеЯчейки", _CELLS_SQL, "1 = 1", props, order_sql="c.cell")


def barcodes() -> EntitySet:
    """InformationRegister_ШтрихкодыНоменклатуры (independent, key = Штрихкод)."""
    props = {
        "Штрихкод": Prop("p.barcode", STRING),
        "Номенклатура_Key": Prop("p.ref_key", GUID, nav="Catalog_Номенклатура"),
        "Характеристика_Key": Prop(EMPTY, GUID, nav="Catalog_ХарактеристикиНоменклатуры"),
        "Упаковка_Key": Prop(EMPTY, GUID, nav="Catalog_УпаковкиЕдиницыИзмерения"),
    }
    return EntitySet(
        "InformationRegister_ШтрихкодыНоменклатуры",
        "from products p",
        "p.base_id = :base",
        props,
        key=("Штрихкод",),
        order_sql="p.barcode",
    )


def placements() -> EntitySet:
    """InformationRegister_РазмещениеНоменклатурыПоСкладскимЯчейкам: an item's main cell."""
    props = {
        "Номенклатура_Key": Prop("p.ref_key", GUID, nav="Catalog_Номенклатура"),
        "Склад_Key": Prop("w.external_id", GUID, nav="Catalog_Склады"),
        "Помещение_Key": Prop(EMPTY, GUID, nav="Catalog_СкладскиеПомещения"),
        "Ячейка_Key": Prop("onec_guid('cell', w.id, p.storage_cell)", GUID, nav="Catalog_СкладскиеЯчейки"),
        "ОсновнаяЯчейка": Prop("1", BOOLEAN),
    }
    return EntitySet(
        "InformationRegister_РазмещениеНоменклатурыПоСкладскимЯчейкам",
        f"from products p join warehouses w on w.id = {_main_warehouse('p.base_id')}",
        "p.base_id = :base",
        props,
        key=("Номенклатура_Key", "Склад_Key", "Помещение_Key", "Ячейка_Key"),
        order_sql="p.ref_key",
    )


# -- documents ------------------------------------------------------------------------

DOC_FROM = "from onec_documents d left join warehouses w on w.id = d.warehouse_id"
LINES_FROM = (
    "from onec_document_lines l join onec_documents ld on ld.ref_key = l.doc_ref "
    "join products lp on lp.ref_key = l.product_ref left join warehouses lw on lw.id = ld.warehouse_id"
)
_VAT = "(case lp.vat_rate when 'НДС22' then 22 when 'НДС20' then 20 when 'НДС18' then 18 when 'НДС10' then 10 else 0 end)"
_EMPTY_DATE_SQL = "null"


def _doc_props(doc_type: str) -> dict[str, Prop]:
    partner = "coalesce(d.partner_ref, " + EMPTY + ")"
    contractor = (
        f"case when d.partner_ref is null then {EMPTY} else onec_guid('contractor', d.partner_ref) end"
    )
    return {
        "Ref_Key": Prop("d.ref_key", GUID),
        "DataVersion": Prop("d.data_version", STRING),
        "DeletionMark": Prop("d.deletion_mark", BOOLEAN),
        "Number": Prop("d.number", STRING),
        "Date": Prop("d.date", DATETIME),
        "Posted": Prop("d.posted", BOOLEAN),
        "Организация_Key": Prop("d.organization_ref", GUID, nav="Catalog_Организации"),
        "Партнер_Key": Prop(partner, GUID, nav="Catalog_Партнеры"),
        "Контрагент_Key": Prop(_json("d", "Контрагент_Key", contractor), GUID, nav="Catalog_Контрагенты"),
        "Соглашение_Key": Prop(_json("d", "Соглашение_Key", EMPTY), GUID, nav="Catalog_СоглашенияСКлиентами"),
        "Договор_Key": Prop(_json("d", "Договор_Key", EMPTY), GUID, nav="Catalog_ДоговорыКонтрагентов"),
        "Склад_Key": Prop(f"coalesce(w.external_id, {EMPTY})", GUID, nav="Catalog_Склады"),
        "Валюта_Key": Prop(RUB, GUID, nav="Catalog_Валюты"),
        "СуммаДокумента": Prop(
            "(select coalesce(sum(s.amount_kop), 0) from onec_document_lines s where s.doc_ref = d.ref_key) / 100.0",
            DOUBLE,
        ),
        "ЦенаВключаетНДС": Prop(_json("d", "ЦенаВключаетНДС", "1"), BOOLEAN),
        "ХозяйственнаяОперация": Prop(
            _json("d", "ХозяйственнаяОперация", f"'{_OPERATION[doc_type]}'"), STRING
        ),
        "Менеджер_Key": Prop(_json("d", "Менеджер_Key", EMPTY), GUID, nav="Catalog_Пользователи"),
        "Подразделение_Key": Prop(
            _json("d", "Подразделение_Key", EMPTY), GUID, nav="Catalog_СтруктураПредприятия"
        ),
        "Комментарий": Prop(_json("d", "Комментарий", "''"), STRING),
    }


_OPERATION = {
    "ЗаказКлиента": "РеализацияКлиенту",
    "РеализацияТоваровУслуг": "РеализацияКлиенту",
    "ВозвратТоваровОтКлиента": "ВозвратОтКлиента",
}


def _line_props(doc_type: str) -> dict[str, Prop]:
    props = {
        "Ref_Key": Prop("l.doc_ref", GUID),
        "LineNumber": Prop("l.line_no", INT64),
        "Номенклатура_Key": Prop("l.product_ref", GUID, nav="Catalog_Номенклатура"),
        "Характеристика_Key": Prop(
            _json("l", "Характеристика_Key", EMPTY), GUID, nav="Catalog_ХарактеристикиНоменклатуры"
        ),
        "Упаковка_Key": Prop(_json("l", "Упаковка_Key", EMPTY), GUID, nav="Catalog_УпаковкиЕдиницыИзмерения"),
        "КоличествоУпаковок": Prop("l.quantity", DOUBLE),
        "Количество": Prop("l.quantity", DOUBLE),
        "ВидЦены_Key": Prop(_json("l", "ВидЦены_Key", EMPTY), GUID, nav="Catalog_ВидыЦен"),
        "Цена": Prop("(l.price_kop / 100.0)", DOUBLE),
        "Сумма": Prop("(l.amount_kop / 100.0)", DOUBLE),
        "СтавкаНДС_Key": Prop("onec_guid('vat', lp.base_id, lp.vat_rate)", GUID, nav="Catalog_СтавкиНДС"),
        "СуммаНДС": Prop(f"(round(l.amount_kop * {_VAT} * 1.0 / (100 + {_VAT})) / 100.0)", DOUBLE),
        "СуммаСНДС": Prop("(l.amount_kop / 100.0)", DOUBLE),
        "Склад_Key": Prop(
            _json("l", "Склад_Key", f"coalesce(lw.external_id, {EMPTY})"), GUID, nav="Catalog_Склады"
        ),
        "КодСтроки": Prop(_json("l", "КодСтроки", "l.line_no"), INT32),
    }
    if doc_type == "ЗаказКлиента":
        props |= {
            "ВариантОбеспечения": Prop(_json("l", "ВариантОбеспечения", "'Отгрузить'"), STRING),
            "ДатаОтгрузки": Prop(_json("l", "ДатаОтгрузки", _EMPTY_DATE_SQL), DATETIME),
            "Отменено": Prop(_json("l", "Отменено", "0"), BOOLEAN),
            "ПричинаОтмены_Key": Prop(
                _json("l", "ПричинаОтмены_Key", EMPTY), GUID, nav="Catalog_ПричиныОтменыЗаказовКлиентов"
            ),
        }
    elif doc_type == "РеализацияТоваровУслуг":
        props |= _composite("ЗаказКлиента", "ld.base_doc_ref", "Document_ЗаказКлиента")
    else:
        props |= _composite("ДокументРеализации", "ld.base_doc_ref", "Document_РеализацияТоваровУслуг")
    return props


def _composite(name: str, ref_sql: str, target: str) -> dict[str, Prop]:
    type_sql = f"(case when {ref_sql} is null then '{NS}Undefined' else '{NS}{target}' end)"
    return {
        name: Prop(f"coalesce({ref_sql}, '')", STRING, type_sql=type_sql),
        f"{name}_Type": Prop(type_sql, STRING),
    }


def lines_collection(doc_type: str) -> Collection:
    """The ``Товары`` tabular section of a document type."""
    return Collection(
        name="Товары",
        row_type=f"Document_{doc_type}_Товары",
        from_sql=LINES_FROM,
        parent_sql="l.doc_ref",
        outer_key_sql="d.ref_key",
        props=_line_props(doc_type),
    )


def document(doc_type: str) -> EntitySet:
    """Document_<doc_type> with its ``Товары`` section inline."""
    props = _doc_props(doc_type)
    if doc_type == "ЗаказКлиента":
        status = _json("d", "Статус", "case when d.posted = 1 then 'КОтгрузке' else 'НеСогласован' end")
        props |= {
            "Статус": Prop(status, STRING),
            "Согласован": Prop(_json("d", "Согласован", "d.posted"), BOOLEAN),
            "НомерПоДаннымКлиента": Prop("coalesce(d.customer_order_number, '')", STRING),
            "ДатаПоДаннымКлиента": Prop(_json("d", "ДатаПоДаннымКлиента", _EMPTY_DATE_SQL), DATETIME),
            "ДатаОтгрузки": Prop(_json("d", "ДатаОтгрузки", _EMPTY_DATE_SQL), DATETIME),
            "АдресДоставки": Prop(_json("d", "АдресДоставки", "''"), STRING),
            "ФормаОплаты": Prop(_json("d", "ФормаОплаты", "'Безналичная'"), STRING),
            "НалогообложениеНДС": Prop(_json("d", "НалогообложениеНДС", "'ПродажаОблагаетсяНДС'"), STRING),
        }
    elif doc_type == "РеализацияТоваровУслуг":
        props |= {"Статус": Prop(_json("d", "Статус", "'Отгружено'"), STRING)}
        props |= _composite("ЗаказКлиента", "d.base_doc_ref", "Document_ЗаказКлиента")
    return EntitySet(
        name=f"Document_{doc_type}",
        from_sql=DOC_FROM,
        where_sql=f"d.base_id = :base and d.doc_type = '{doc_type}' and d.date <= :clock",
        props=props,
        order_sql="d.ref_key",
        tabular={"Товары": lines_collection(doc_type)},
        doc_type=doc_type,
        read_only=False,
    )


def document_lines(doc_type: str) -> EntitySet:
    """Document_<doc_type>_Товары: the tabular section as its own read-only set."""
    collection = lines_collection(doc_type)
    return EntitySet(
        name=collection.row_type,
        from_sql=LINES_FROM,
        where_sql=f"ld.base_id = :base and ld.doc_type = '{doc_type}' and ld.date <= :clock",
        props=collection.props,
        key=("Ref_Key", "LineNumber"),
        order_sql="l.doc_ref, l.line_no",
    )


DOC_TYPES = ("ЗаказКлиента", "РеализацияТоваровУслуг", "ВозвратТоваровОтКлиента")


def all_entity_sets() -> dict[str, EntitySet]:
    """Every plain entity set by name (virtual tables live in :mod:`.registers`)."""
    sets = [
        products(),
        warehouses(),
        organizations(),
        partners(),
        contractors(),
        vat_rates(),
        price_types(),
        cells(),
        barcodes(),
        placements(),
    ]
    for doc_type in DOC_TYPES:
        sets += [document(doc_type), document_lines(doc_type)]
    return {entity.name: entity for entity in sets}
