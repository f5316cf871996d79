"""The 1C streams: which OData object lands in which ``raw.onec_<entity>`` table under which key.

Every payload is 1C's JSON object exactly as received plus one reserved key, ``_sellerflow``: the base, the
seller's organization (``organization_key``: a document's own ``Организация_Key``, otherwise the connection's
organization or the base's only one) and legal entity, and for register rows (which have no ``DataVersion``)
``observed_at``, the snapshot time at which the row changed. Composite natural keys join the key fields with
``|`` in the order listed.

Raw tables (account_id = the 1C base id, e.g. ``ut_main``):

| table | OData object | natural key | payload |
|---|---|---|---|
| raw.onec_products | Catalog_Номенклатура | Ref_Key | catalog item (Артикул, ВидНоменклатуры, СтавкаНДС, …) |
| raw.onec_characteristics | Catalog_ХарактеристикиНоменклатуры (when published) | Ref_Key | item characteristic (size, colour) |
| raw.onec_barcodes | InformationRegister_ШтрихкодыНоменклатуры | Штрихкод | barcode → Номенклатура/Характеристика/Упаковка |
| raw.onec_storage_cells | Catalog_СкладскиеЯчейки | Ref_Key | storage cell (Owner_Key = warehouse) |
| raw.onec_cell_placements | InformationRegister_РазмещениеНоменклатурыПоСкладскимЯчейкам | Номенклатура_Key\\|Склад_Key\\|Помещение_Key\\|Ячейка_Key | an item's cell |
| raw.onec_warehouses | Catalog_Склады | Ref_Key | warehouse |
| raw.onec_partners | Catalog_Партнеры | Ref_Key | partner (a marketplace as a client) |
| raw.onec_counterparties | Catalog_Контрагенты | Ref_Key | counterparty (legal entity, ИНН) |
| raw.onec_organizations | Catalog_Организации | Ref_Key | the seller's own organizations (ИНН, КПП) |
| raw.onec_price_types | Catalog_ВидыЦен | Ref_Key | price type |
| raw.onec_prices | InformationRegister_ЦеныНоменклатуры/SliceLast | Номенклатура_Key\\|Характеристика_Key\\|ВидЦены_Key | current price per price type |
| raw.onec_stock | AccumulationRegister_ТоварыНаСкладах/Balance | Номенклатура_Key\\|Характеристика_Key\\|Склад_Key\\|Назначение_Key\\|Помещение_Key\\|Серия_Key | ВНаличииBalance (in stock), КОтгрузкеBalance (reserved to ship); a row that leaves the balance lands once more with zeros |
| raw.onec_customer_orders | Document_ЗаказКлиента | Ref_Key | order with Товары rows inline; НомерПоДаннымКлиента = marketplace order |
| raw.onec_shipments | Document_РеализацияТоваровУслуг | Ref_Key | shipment with Товары and its ЗаказКлиента link |
| raw.onec_customer_returns | Document_ВозвратТоваровОтКлиента | Ref_Key | customer return with Товары (ДокументРеализации link) |
| raw.onec_removals | (derived) | ``<entity>:<natural key>`` | an object that vanished from a complete listing: {entity, key, last_version, _sellerflow} |

A new document version lands whenever 1C's ``DataVersion`` changed: edits, re-posting, ``Posted`` false
(unposting) and ``DeletionMark`` true (marked for deletion) all change it. A physically deleted document
(or a catalog item) lands in ``raw.onec_removals``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from sellerflow.warehouse.records import Validator, canonical_json

ENVELOPE = "_sellerflow"
STOCK_DIMENSIONS = (
    "Номенклатура_Key",
    "Характеристика_Key",
    "Склад_Key",
    "Назначение_Key",
    "Помещение_Key",
    "Серия_Key",
)


@dataclass(frozen=True)
class SnapshotStream:
    """An object read whole every time; only what changed since the last landing is written."""

    entity: str  # raw table suffix
    resource: str  # entity set or register
    key: tuple[str, ...]
    kind: Literal["set", "balance", "slice_last"] = "set"
    versioned: bool = True  # carries DataVersion
    optional: bool = False  # skip quietly when the base does not publish it
    zero_fields: tuple[str, ...] = ()  # balances: resources set to 0 when a row leaves the balance
    validate: Validator | None = None  # reason to quarantine a record, or None

    def natural_key(self, record: dict[str, Any]) -> str:
        """The key fields joined with ``|``."""
        return "|".join(str(record.get(name, "")) for name in self.key)

    def version(self, record: dict[str, Any]) -> str:
        """DataVersion, or the payload's sha256 for register rows."""
        if self.versioned and record.get("DataVersion"):
            return str(record["DataVersion"])
        return hashlib.sha256(canonical_json(record)).hexdigest()


@dataclass(frozen=True)
class DocumentStream:
    """A document type read incrementally by Date window plus DataVersion comparison."""

    entity: str
    resource: str

    INDEX_FIELDS = ("Ref_Key", "DataVersion", "Date", "DeletionMark", "Posted")


def _catalog(entity: str, resource: str, optional: bool = False) -> SnapshotStream:
    return SnapshotStream(entity, resource, ("Ref_Key",), optional=optional)


def require_description(record: dict[str, Any]) -> str | None:
    """Validation: a catalog item without a Description (наименование) cannot be used downstream."""
    return None if record.get("Description") else "Description (наименование) is empty"


PRODUCTS = SnapshotStream("products", "Catalog_Номенклатура", ("Ref_Key",), validate=require_description)
ORGANIZATIONS = _catalog("organizations", "Catalog_Организации")
CATALOG_STREAMS: tuple[SnapshotStream, ...] = (
    ORGANIZATIONS,
    PRODUCTS,
    _catalog("characteristics", "Catalog_ХарактеристикиНоменклатуры", optional=True),
    SnapshotStream("barcodes", "InformationRegister_ШтрихкодыНоменклатуры", ("Штрихкод",), versioned=False),
    _catalog("warehouses", "Catalog_Склады"),
    _catalog("storage_cells", "Catalog_СкладскиеЯчейки"),
    SnapshotStream(
        "cell_placements",
        "InformationRegister_РазмещениеНоменклатурыПоСкладскимЯчейкам",
        ("Номенклатура_Key", "Склад_Key", "Помещение_Key", "Ячейка_Key"),
        versioned=False,
        optional=True,
    ),
    _catalog("partners", "Catalog_Партнеры"),
    _catalog("counterparties", "Catalog_Контрагенты"),
    _catalog("price_types", "Catalog_ВидыЦен"),
    SnapshotStream(
        "prices",
        "InformationRegister_ЦеныНоменклатуры",
        ("Номенклатура_Key", "Характеристика_Key", "ВидЦены_Key"),
        kind="slice_last",
        versioned=False,
    ),
)
STOCK = SnapshotStream(
    "stock",
    "AccumulationRegister_ТоварыНаСкладах",
    STOCK_DIMENSIONS,
    kind="balance",
    versioned=False,
    zero_fields=("ВНаличииBalance", "КОтгрузкеBalance"),
)
DOCUMENT_STREAMS: tuple[DocumentStream, ...] = (
    DocumentStream("customer_orders", "Document_ЗаказКлиента"),
    DocumentStream("shipments", "Document_РеализацияТоваровУслуг"),
    DocumentStream("customer_returns", "Document_ВозвратТоваровОтКлиента"),
)
RAW_ENTITIES: tuple[str, ...] = (
    *(s.entity for s in CATALOG_STREAMS),
    STOCK.entity,
    *(s.entity for s in DOCUMENT_STREAMS),
    "removals",
)


def with_context(record: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """The record with the ``_sellerflow`` envelope added."""
    return {**record, ENVELOPE: context}


def removal(entity: str, natural_key: str, last_version: str, context: dict[str, Any]) -> dict[str, Any]:
    """A ``raw.onec_removals`` payload: the object left 1C (or the balance) after ``last_version``."""
    return {
        "natural_key": f"{entity}:{natural_key}",
        "entity": entity,
        "key": natural_key,
        "last_version": last_version,
        ENVELOPE: context,
    }
