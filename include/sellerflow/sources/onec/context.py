"""What a 1C stream runs with: the base, its OData client, the warehouse and the run's clock; and the base class
of 1C's streams (:mod:`.snapshots`, :mod:`.documents`), kinds of :class:`~sellerflow.extract.stream.Stream`.

The runner (:mod:`sellerflow.extract.runner`) keeps every 1C stream's state in ``ops.sync_state`` under the
base id and the stream's name (the raw entity), lands its pages and reports one
:class:`~sellerflow.extract.runner.StreamResult` per stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sellerflow.extract.stream import Stream
from sellerflow.sources.onec.base import OneCBase
from sellerflow.sources.onec.client import OneCClient
from sellerflow.sources.onec.landed import REMOVALS, single_organization
from sellerflow.warehouse.loader import ensure_raw_table
from sellerflow.warehouse.records import KeySpec


@dataclass(frozen=True)
class OneCContext:
    """One run over one base: ``now`` is the run's reference time (tz-aware), never wall-clock inside."""

    account: OneCBase
    client: OneCClient
    dsn: str
    run_id: str
    now: datetime

    def organization_context(self) -> dict[str, Any]:
        """The context every landed record carries: the base and the seller's organization (the connection's,
        or the base's only one among the landed organizations)."""
        context: dict[str, Any] = self.account.context()
        if context["organization_key"] is None:
            context["organization_key"] = single_organization(self.dsn, self.account.base_id)
        return context


class OneCStream(Stream[OneCContext]):
    """A 1C stream: its pages may carry ``raw.onec_removals`` records (objects gone from 1C, or back)."""

    related_keys: ClassVar[dict[str, KeySpec]] = {REMOVALS: "natural_key"}

    def ensure_table(self, ctx: OneCContext) -> None:
        """Create the stream's raw table when missing: once 1C was read it exists, empty when 1C had nothing."""
        ensure_raw_table(ctx.dsn, ctx.account.source, self.entity)
