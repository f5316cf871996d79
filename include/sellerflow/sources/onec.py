"""1C:Enterprise standard OData (УТ 11 / ERP) client: catalog snapshots paged with $top/$skip.

This is the foundation's first stream (Catalog_Номенклатура); the full client — documents,
registers, $filter building, error mapping, incremental sync — grows here (issue 6).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx

logger = logging.getLogger(__name__)

PAGE_SIZE = 500


class OneCError(RuntimeError):
    """A 1C OData call failed; the message says what to fix."""


@dataclass(frozen=True)
class OneCBase:
    """One 1C infobase published over OData (an Airflow connection ``onec_<base>``)."""

    base_id: str
    odata_url: str  # http://host:port/<base>/odata/standard.odata
    username: str
    password: str

    def client(self, timeout_s: float = 60.0) -> httpx.Client:
        """An httpx client with Basic auth and 1C's JSON format."""
        return httpx.Client(
            base_url=self.odata_url.rstrip("/") + "/",
            auth=(self.username, self.password),
            timeout=httpx.Timeout(timeout_s, connect=10.0),
            headers={"Accept": "application/json"},
        )


def iter_entity(base: OneCBase, entity: str, order_by: str = "Ref_Key") -> Iterator[list[dict]]:
    """Yield pages of an OData entity set in a stable order, PAGE_SIZE records at a time."""
    skip = 0
    with base.client() as client:
        while True:
            params = {"$format": "json", "$top": str(PAGE_SIZE), "$skip": str(skip), "$orderby": order_by}
            response = client.get(quote(entity), params=params)
            if response.status_code == 401:
                raise OneCError(
                    f"1C base {base.base_id}: HTTP 401 — check the login/password of connection onec_{base.base_id}"
                )
            if response.status_code >= 400:
                raise OneCError(
                    f"1C base {base.base_id}: {entity} answered HTTP {response.status_code}: {response.text[:300]}"
                )
            if "json" not in response.headers.get("content-type", ""):
                raise OneCError(
                    f"1C base {base.base_id}: {entity} answered a non-JSON page (a login page?) — "
                    "check the OData publication URL and the user's rights"
                )
            page = response.json().get("value", [])
            logger.info("1C %s %s: page at $skip=%d, %d records", base.base_id, entity, skip, len(page))
            if page:
                yield page
            if len(page) < PAGE_SIZE:
                return
            skip += PAGE_SIZE
