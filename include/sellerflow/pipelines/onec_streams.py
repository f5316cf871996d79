"""The 1C streams: which OData object lands in which ``raw.onec_<entity>`` table under which key.

Every payload is 1C's JSON object exactly as received. What the pipeline knows about it besides lands in the
raw table's ``context`` column (see :mod:`sellerflow.warehouse.loader`), listed in the last column below:
*org* is ``base``, the seller's organization (``organization_key``: a document's own ``Организация_Key``,
otherwise the connection's organization or the base's only one) and ``legal_entity_id``; register rows (which
have no ``DataVersion``) add ``observed_at``, the time of the snapshot that landed the version (when the row
changed). The context is not part of a version: a row whose payload did not change does not land again.
Composite natural keys join the key fields with ``|`` in the order listed.

Raw tables (account_id = the 1C base id, e.g. ``ut_main``):

| table | OData object | natural key | payload | context |
|---|---|---|---|---|
| raw.onec_products | Catalog_Номенклатура | Ref_Key | catalog item (Артикул, ВидНоменклатуры, СтавкаНДС, …) | org |
| raw.onec_characteristics | Catalog_ХарактеристикиНоменклатуры (when published) | Ref_Key | item characteristic (size, colour) | org |
| raw.onec_barcodes | InformationRegister_ШтрихкодыНоменклатуры | Штрихкод | barcode → Номенклатура/Характеристика/Упаковка | org, observed_at |
| raw.onec_storage_cells | Catalog_СкладскиеЯчейки | Ref_Key | storage cell (Owner_Key = warehouse) | org |
| raw.onec_cell_placements | InformationRegister_РазмещениеНоменклатурыПоСкладскимЯчейкам | Номенклатура_Key\\|Склад_Key\\|Помещение_Key\\|Ячейка_Key | an item's cell | org, observed_at |
| raw.onec_warehouses | Catalog_Склады | Ref_Key | warehouse | org |
| raw.onec_partners | Catalog_Партнеры | Ref_Key | partner (a marketplace as a client) | org |
| raw.onec_counterparties | Catalog_Контрагенты | Ref_Key | counterparty (legal entity, ИНН) | org |
| raw.onec_organizations | Catalog_Организации | Ref_Key | the seller's own organizations (ИНН, КПП) | org |
| raw.onec_price_types | Catalog_ВидыЦен | Ref_Key | price type | org |
| raw.onec_prices | InformationRegister_ЦеныНоменклатуры/SliceLast | Номенклатура_Key\\|Характеристика_Key\\|ВидЦены_Key | current price per price type | org, observed_at |
| raw.onec_stock | AccumulationRegister_ТоварыНаСкладах/Balance | Номенклатура_Key\\|Характеристика_Key\\|Склад_Key\\|Назначение_Key\\|Помещение_Key\\|Серия_Key | ВНаличииBalance (in stock), КОтгрузкеBalance (reserved to ship); a row that leaves the balance lands once more with zeros | org, observed_at |
| raw.onec_customer_orders | Document_ЗаказКлиента | Ref_Key | order with Товары rows inline; НомерПоДаннымКлиента = marketplace order | org (the document's own) |
| raw.onec_shipments | Document_РеализацияТоваровУслуг | Ref_Key | shipment with Товары and its ЗаказКлиента link | org (the document's own) |
| raw.onec_customer_returns | Document_ВозвратТоваровОтКлиента | Ref_Key | customer return with Товары (ДокументРеализации link) | org (the document's own) |
| raw.onec_removals | (derived) | ``<entity>:<natural key>`` | an object that vanished from a complete listing: {natural_key, entity, key, last_version, removed: true}; a new version with ``removed`` false when it is listed again | as its stream's (documents: organization_key null) |

A new document version lands whenever 1C's ``DataVersion`` changed: edits, re-posting, ``Posted`` false
(unposting) and ``DeletionMark`` true (marked for deletion) all change it. A physically deleted document
(or a catalog item) lands in ``raw.onec_removals``; an object is gone while the latest version of its key
there says ``removed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sellerflow.warehouse.records import Validator

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

    def zero_row(self, natural_key: str) -> dict[str, Any]:
        """A balance row that left the balance, in the shape it lands in: its key fields, resources at 0."""
        row: dict[str, Any] = dict(zip(self.key, natural_key.split("|"), strict=True))
        return row | {name: 0 for name in self.zero_fields}


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


def removal(entity: str, natural_key: str, last_version: str, removed: bool = True) -> dict[str, Any]:
    """A ``raw.onec_removals`` payload: the object left 1C (``removed`` false: it is listed again).

    ``last_version`` is its latest landed version: ``DataVersion``, or the payload's sha256 for register rows.
    """
    return {
        "natural_key": f"{entity}:{natural_key}",
        "entity": entity,
        "key": natural_key,
        "last_version": last_version,
        "removed": removed,
    }
