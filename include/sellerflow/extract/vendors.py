"""The registry other vendors plug into: source name → (client class, streams).

Imports are lazy so that loading one vendor never imports the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass

from sellerflow.extract.stream import Stream
from sellerflow.sources._http import ApiClient

# source → module holding ``<Vendor>Client`` and ``STREAMS``
VENDOR_MODULES = {
    "ozon": ("sellerflow.sources.ozon", "OzonClient"),
    "wildberries": ("sellerflow.sources.wildberries", "WildberriesClient"),
    "yandex_market": ("sellerflow.sources.yandex_market", "YandexMarketClient"),
    "megamarket": ("sellerflow.sources.megamarket", "MegamarketClient"),
}


@dataclass(frozen=True)
class Vendor:
    """How to talk to one marketplace and what to extract from it."""

    source: str
    client: type[ApiClient]
    streams: Sequence[Stream]

    def select(self, names: Sequence[str] | None) -> list[Stream]:
        """The named streams (all when ``names`` is None), in the vendor's order."""
        if names is None:
            return list(self.streams)
        unknown = set(names) - {s.name for s in self.streams}
        if unknown:
            raise ValueError(
                f"unknown {self.source} streams {sorted(unknown)}; known: {[s.name for s in self.streams]}"
            )
        return [s for s in self.streams if s.name in names]


def vendor(source: str) -> Vendor:
    """The registered vendor for ``source``."""
    try:
        module_name, client_name = VENDOR_MODULES[source]
    except KeyError:
        raise ValueError(f"no extraction registered for source {source!r}") from None
    module = importlib.import_module(module_name)
    return Vendor(source, getattr(module, client_name), tuple(module.STREAMS))
