"""1C:Enterprise 8.3 standard OData (УТ 11 / ERP): the client, its query helpers and 1C's streams.

Sources: 1C:Enterprise 8.3.27 Developer Guide §17.4 «Стандартный интерфейс OData» and the public clients
summarised in shared/docs/sources/yandex-market-megamarket-1c.md, part C (C1 auth, C3 JSON, C4 querying,
C6 errors). :mod:`.client` talks HTTP, :mod:`.odata` builds query text, :mod:`.errors` names failures.
:mod:`.streams` lists what is extracted (snapshot and document streams on the runner of
:mod:`sellerflow.extract`), :mod:`.extract` runs them per group and :mod:`.schedule` says which groups are due.
"""

from sellerflow.sources.onec.base import OneCBase
from sellerflow.sources.onec.client import OneCClient, iter_entity
from sellerflow.sources.onec.errors import (
    OneCAuthError,
    OneCBusinessError,
    OneCError,
    OneCLoginPageError,
    OneCNotFoundError,
    OneCNotPublishedError,
    OneCQueryError,
    OneCTransientError,
)

__all__ = [
    "OneCAuthError",
    "OneCBase",
    "OneCBusinessError",
    "OneCClient",
    "OneCError",
    "OneCLoginPageError",
    "OneCNotFoundError",
    "OneCNotPublishedError",
    "OneCQueryError",
    "OneCTransientError",
    "iter_entity",
]
