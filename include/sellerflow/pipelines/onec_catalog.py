"""Land 1C's catalogs of one base: the foundation's raw.onec_products plus every other catalog stream.

The streams, their raw tables and natural keys are listed in :mod:`sellerflow.pipelines.onec_streams`; the
snapshot logic (land only what changed, record what vanished) is :mod:`sellerflow.pipelines.onec_snapshots`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sellerflow.pipelines.onec_extract import extract_catalogs
from sellerflow.pipelines.onec_streams import ORGANIZATIONS, PRODUCTS
from sellerflow.sources.onec import OneCBase

ENTITY = PRODUCTS.resource


def land_onec_products(
    base: OneCBase, dsn: str, run_id: str, observed_at: datetime | None = None
) -> dict[str, Any]:
    """Read Catalog_Номенклатура of one base and land new versions into raw.onec_products."""
    return extract_catalogs(
        base, dsn, run_id, observed_at or datetime.now(UTC), streams=(ORGANIZATIONS, PRODUCTS)
    )
