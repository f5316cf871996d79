"""One 1C infobase published over OData, as the client and the streams see it (an Airflow connection
``onec_<base>``: host = the OData URL, login/password = the infobase user, extras = the settings below)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class OneCBase:
    """Where a base is, how to log in, and how hard the extraction may lean on its (slow) server.

    ``timezone`` is the 1C server's zone: 1C writes and filters dates as local time without an offset.
    ``organization_key``/``legal_entity_id`` name the seller's organization in this base; they are carried
    on every landed record (documents carry their own ``Организация_Key``). Page sizes are small for full
    objects (a slow server answers ~100–500 documents a minute) and large for key-only listings.
    """

    base_id: str
    odata_url: str  # http://host:port/<base>/odata/standard.odata
    username: str
    password: str = field(repr=False)
    timezone: str = "Europe/Moscow"
    organization_key: str | None = None
    legal_entity_id: str | None = None
    page_size: int = 500  # catalog items, register rows
    document_page_size: int = 100  # full documents with their Товары rows
    index_page_size: int = 5000  # key-only listings ($select=Ref_Key,DataVersion,…)
    refs_per_request: int = 25  # Ref_Key eq guid'…' or … per by-key request (keeps URLs < 2 KB)
    timeout_s: float = 300.0
    max_attempts: int = 5
    retry_initial_s: float = 2.0
    retry_max_s: float = 120.0
    price_types: tuple[str, ...] = ()  # Catalog_ВидыЦен refs to slice; empty = every price type
    document_overlap_minutes: int = 60
    document_horizon_days: int = 45  # edits older than this are caught by the daily full sweep
    full_sweep_hours: int = 24

    @property
    def source(self) -> str:
        """The raw tables' prefix: ``raw.onec_<entity>``."""
        return "onec"

    @property
    def account_id(self) -> str:
        """What raw tables and ``ops`` key on: the base id."""
        return self.base_id

    @property
    def conn_id(self) -> str:
        """The Airflow connection of the base."""
        return f"onec_{self.base_id}"

    def secrets(self) -> tuple[str, ...]:
        """Values that must never be logged or stored (the infobase user's password)."""
        return (self.password,)

    @property
    def tz(self) -> tzinfo:
        """The server's time zone."""
        return ZoneInfo(self.timezone)

    def context(self) -> dict[str, str | None]:
        """The context every landed record carries (the raw `context` column): the base and the seller's legal entity."""
        return {
            "base": self.base_id,
            "organization_key": self.organization_key,
            "legal_entity_id": self.legal_entity_id,
        }
