"""Reverse-ETL targets: one module per place sellerflow writes to (see ``sellerflow.reverse_etl``)."""

from __future__ import annotations

from collections.abc import Callable

from sellerflow.sources.onec import OneCBase

TARGET_NAMES = ("onec_reservations",)


def onec_reservations(bases: Callable[[str], OneCBase]):
    """The 1C reservations target (``bases(base_id)`` gives a base's connection settings)."""
    from sellerflow.reverse_etl.targets.onec_reservations import OneCReservations

    return OneCReservations(bases)
