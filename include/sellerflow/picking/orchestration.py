"""What the build_pick_lists DAG calls (importable and tested without Airflow)."""

from __future__ import annotations

import logging
from typing import Any

import psycopg

from sellerflow.picking.builder import DEMAND_RELATION, build_pick_lists
from sellerflow.picking.feedback import request_pending

logger = logging.getLogger(__name__)


def build(dsn: str, demand: str = DEMAND_RELATION) -> dict[str, Any]:
    """Build the pick lists and ask again for the «assembled» requests the reverse-ETL has not taken yet; a
    warehouse whose transform has not built the demand view yet is skipped, not failed."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        found = conn.execute("select to_regclass(%s) is not null", [demand]).fetchone()
        if not (found and found[0]):
            logger.warning("%s does not exist yet (transform_dbt builds it): nothing to build", demand)
            return {"skipped": f"{demand} not built yet"}
        built = build_pick_lists(conn, demand).as_dict()
        built["assembled_requests"] = request_pending(conn)
        return built
