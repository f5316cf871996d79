"""Stock cycles of the reverse-ETL benchmark: requests per cycle against the minimum, and a cross-check.

Used by ``bench/reverse_etl.py``: :class:`StockBench` runs one push_stock cycle of the production code path (1C
stock extracted again, the four ``*_stocks`` targets pushed) and records, per target, the items that changed, the
requests the targets made (every HTTP answer counted), and the minimum ``Σ ceil(changed items of a batch key /
batch max)`` (a batch key is one vendor request's scope: the cabinet, for WB the warehouse). Target: requests ≤ 1.05 ×
the minimum. The cross-check reads the emulators' own world: every item acknowledged in the cycle must hold its value
at the vendor, and the vendor must have logged at least one accepted write per request-worth of changes
(``push_log``) and never more writes than requests. A failed check is returned, so the benchmark exits non-zero.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from sellerflow.reverse_etl.push import push
from sellerflow.reverse_etl.targets import STOCK_TARGETS, marketplace_target
from sellerflow.sources.account import MarketplaceAccount

STOCK_PATHS = {
    "ozon": "/v2/products/stocks",
    "wildberries": "/api/v3/stocks/%",
    "yandex_market": "%/offers/stocks",
    "megamarket": "%/stock/update",
}


@dataclass
class CycleFigures:
    """One stock cycle of one target."""

    target: str
    changed: int
    minimum: int
    requests: int
    vendor_writes: int


@dataclass
class StockBench:
    """Runs stock cycles against the emulators' world and keeps their figures."""

    dsn: str
    world: Path
    cabinets: list[MarketplaceAccount]
    cycles: list[list[CycleFigures]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def _writes(self, vendor: str) -> int:
        with sqlite3.connect(self.world) as conn:
            return int(
                conn.execute(
                    "select count(*) from push_log where vendor = ? and path like ?",
                    (vendor, STOCK_PATHS[vendor]),
                ).fetchone()[0]
            )

    def cycle(self) -> list[CycleFigures]:
        """Push the four stock targets once; record and cross-check."""
        by_id = {a.account_id: a for a in self.cabinets}
        figures = []
        for name in STOCK_TARGETS:
            vendor = name.rsplit("_", 1)[0]
            target = marketplace_target(name, by_id.__getitem__)
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                before_id = conn.execute("select coalesce(max(id), 0) from ops.outbox").fetchone()[0]
            writes = self._writes(vendor)
            try:
                push(self.dsn, target)
            finally:
                target.close()
            with psycopg.connect(self.dsn) as conn:
                items = conn.execute(
                    "select account_id, payload, state from ops.outbox where target = %s and id > %s",
                    (name, before_id),
                ).fetchall()
            keys = Counter(target.batch_key(_Item(a, p)) for a, p, _ in items if not p.get("problems"))
            minimum = sum(math.ceil(n / target.max_batch) for n in keys.values())
            figures.append(
                CycleFigures(
                    name, sum(keys.values()), minimum, target.requests_made, self._writes(vendor) - writes
                )
            )
            self._check(name, vendor, figures[-1], [(a, p) for a, p, s in items if s == "acknowledged"])
        self.cycles.append(figures)
        return figures

    def _check(self, name: str, vendor: str, fig: CycleFigures, acknowledged: list[tuple[str, dict]]) -> None:
        if fig.vendor_writes > fig.requests:
            self.failures.append(
                f"{name}: the vendor logged {fig.vendor_writes} writes for {fig.requests} requests"
            )
        if fig.changed and fig.vendor_writes < 1:
            self.failures.append(f"{name}: {fig.changed} items changed but the vendor logged no write")
        with sqlite3.connect(self.world) as conn:
            for account, payload in acknowledged:
                if vendor in ("ozon", "wildberries"):
                    row = conn.execute(
                        "select s.present from stocks s join warehouses w on w.id = s.warehouse_id "
                        "where w.owner = ? and w.external_id = ? and s.offer_id = ?",
                        (account, str(payload["warehouse_id"]), str(payload["offer_id"])),
                    ).fetchone()
                else:
                    row = conn.execute(
                        "select s.present from stocks s join warehouses w on w.id = s.warehouse_id "
                        "where w.owner = ? and w.kind = 'fbs' and s.offer_id = ?",
                        (account, str(payload["offer_id"])),
                    ).fetchone()
                if row is None or int(row[0]) != int(payload["stock"]):
                    self.failures.append(
                        f"{name} {account} {payload.get('offer_id')}: acknowledged {payload['stock']}, "
                        f"the vendor holds {row[0] if row else 'nothing'}"
                    )
                    return

    def report(self) -> list[str]:
        """Lines to print: per target, requests against the minimum over the cycles that changed something."""
        lines = [
            "  stock cycles (push_stock): requests per cycle against the minimum Σ ceil(changed / batch max)"
        ]
        for index, name in enumerate(STOCK_TARGETS):
            rows = [c[index] for c in self.cycles if c[index].changed]
            if not rows:
                lines.append(f"    {name:<22} no changes in {len(self.cycles)} cycles")
                continue
            requests, minimum = sum(r.requests for r in rows), sum(r.minimum for r in rows)
            per_cycle = ", ".join(f"{r.requests}/{r.minimum} ({r.changed} items)" for r in rows)
            lines.append(
                f"    {name:<22} {requests / max(minimum, 1):.2f}x the minimum (target ≤ 1.05): {per_cycle}"
            )
        lines.append(
            "  stock cross-check (vendor holds every acknowledged value, writes ≤ requests): "
            + ("ok" if not self.failures else f"FAILED: {'; '.join(self.failures[:5])}")
        )
        return lines


@dataclass
class _Item:
    """Just enough of an outbox item for ``batch_key``."""

    account_id: str
    payload: dict[str, Any]


if __name__ == "__main__":  # `make bench` runs every bench/*.py: this one is a part of bench/reverse_etl.py
    print("stock cycles are measured by bench/reverse_etl.py")
