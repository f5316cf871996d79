"""Land 1C's Catalog_Номенклатура into raw.onec_products (the foundation's first stream)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from sellerflow.sources.onec import OneCBase, iter_entity
from sellerflow.warehouse.loader import LoadResult, load_records

logger = logging.getLogger(__name__)

ENTITY = "Catalog_Номенклатура"


def _records(base: OneCBase) -> Iterator[dict]:
    for page in iter_entity(base, ENTITY):
        yield from page


def require_ref_key(record: dict) -> str | None:
    """Validation: a catalog item without Ref_Key or Description cannot be used downstream."""
    if not record.get("Description"):
        return "Description (наименование) is empty"
    return None


def land_onec_products(base: OneCBase, dsn: str, run_id: str) -> LoadResult:
    """Read the whole catalog of one 1C base and land new versions into raw.onec_products."""
    result = load_records(
        dsn,
        source="onec",
        entity="products",
        account_id=base.base_id,
        records=_records(base),
        key="Ref_Key",
        run_id=run_id,
        validate=require_ref_key,
    )
    logger.info("1C %s catalog landed: %s", base.base_id, result)
    return result
