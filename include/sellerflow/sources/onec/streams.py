"""The 1C streams: which OData object lands in which ``raw.onec_<entity>`` table under which key.

They are kinds of :class:`~sellerflow.extract.stream.Stream` run by the marketplaces' runner
(:mod:`sellerflow.extract.runner`): :class:`~.snapshots.SnapshotStream` reads an object whole and lands what
changed, :class:`~.documents.DocumentStream` reads a document type incrementally. The extract_onec DAG runs them
in three groups (:mod:`.extract`, :mod:`.schedule`): catalogs (with prices), documents, stock.

Every payload is 1C's JSON object exactly as received. What the extraction knows about it besides lands in the
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

from typing import Any

from sellerflow.sources.onec.documents import DocumentStream
from sellerflow.sources.onec.snapshots import SnapshotStream

STOCK_DIMENSIONS = (
    "Номенклатура_Key",
    "Характеристика_Key",
    "Склад_Key",
    "Назначение_Key",
    "Помещение_Key",
    "Серия_Key",
)


def _catalog(entity: str, resource: str, optional: bool = False) -> SnapshotStream:
    return SnapshotStream(entity, resource, ("Ref_Key",), optional=optional)


def require_description(record: dict[str, Any]) -> str | None:
    """Validation: a catalog item without a Description (наименование) cannot be used downstream."""
    return None if record.get("Description") else "Description (наименование) is empty"


PRODUCTS = SnapshotStream("products", "Catalog_Номенклатура", ("Ref_Key",), validator=require_description)
# Read first: the other streams' records carry the base's organization found among the landed ones.
ORGANIZATIONS = SnapshotStream("organizations", "Catalog_Организации", ("Ref_Key",), organization=False)
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
