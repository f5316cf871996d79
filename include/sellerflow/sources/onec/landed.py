"""What the warehouse already holds of each 1C object, read from the raw tables themselves.

The raw loader lands a record only when it differs from the latest version of its key, so the 1C streams
hand it whole listings and need no memory of their own for that. What they still need to know is which
objects were landed and are not recorded as gone: to find the objects a complete listing no longer has, and
(for documents) which ``DataVersion`` to compare a key-only listing with before fetching documents whole.
Both come from the latest version of each key in ``raw.onec_<entity>`` plus the latest record of the key in
``raw.onec_removals`` (``removed`` false when an object came back after it was recorded as gone). A stock row
that left the balance is the exception: it lands once more with zero resources, so its own latest version
tells that it is gone. :func:`removal` builds the ``raw.onec_removals`` records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

from sellerflow.warehouse.connection import ConnOrDsn, connection
from sellerflow.warehouse.identifiers import table_name

SOURCE = "onec"
REMOVALS = "removals"


@dataclass(frozen=True)
class Landed:
    """The latest landed version of one object."""

    version: str  # DataVersion, or the payload's sha256 (hex) for register rows without one
    date: str | None  # a document's Date as 1C wrote it (server-local time), else None
    present: bool  # False once recorded as gone and not seen since


# Latest version per key: an index-only scan of the latest-version index, then the payload of that version
# only when a payload field is needed.
_LATEST = """
with latest as (
    select distinct on (natural_key) natural_key, id, payload_hash
    from {raw}
    where account_id = %(account_id)s
    order by natural_key, extracted_at desc, id desc
)
select l.natural_key, encode(l.payload_hash, 'hex'), {fields}
from latest as l {join}
"""

_REMOVED = """
select distinct on (natural_key) substr(natural_key, length(%(prefix)s) + 1),
       coalesce((payload ->> 'removed')::boolean, true)
from {removals}
where account_id = %(account_id)s and starts_with(natural_key, %(prefix)s)
order by natural_key, extracted_at desc, id desc
"""


def _exists(cur: psycopg.Cursor[Any], entity: str) -> bool:
    cur.execute("select to_regclass(%s) is not null", (f'raw."{table_name(SOURCE, entity)}"',))
    row = cur.fetchone()
    return bool(row and row[0])


def read_landed(
    conn_or_dsn: ConnOrDsn,
    base_id: str,
    entity: str,
    *,
    versioned: bool = True,
    dated: bool = False,
    gone: Callable[[str, str], bool] | None = None,
) -> dict[str, Landed]:
    """The latest landed version of every object of ``raw.onec_<entity>`` in a base.

    ``versioned`` reads ``DataVersion`` from the payload, ``dated`` reads ``Date``. ``gone(key, payload
    sha256 hex)`` tells from the latest version itself whether the object is gone (stock zero rows);
    without it, ``raw.onec_removals`` does.
    """
    raw = sql.Identifier("raw", table_name(SOURCE, entity))
    fields = [
        sql.SQL("r.payload ->> 'DataVersion'" if versioned else "null"),
        sql.SQL("r.payload ->> 'Date'" if dated else "null"),
    ]
    join = sql.SQL("join {} as r on r.id = l.id").format(raw) if versioned or dated else sql.SQL("")
    with connection(conn_or_dsn) as conn, conn.cursor(row_factory=tuple_row) as cur:
        if not _exists(cur, entity):
            return {}
        cur.execute(
            sql.SQL(_LATEST).format(raw=raw, fields=sql.SQL(", ").join(fields), join=join),
            {"account_id": base_id},
        )
        latest = cur.fetchall()
        removed: dict[str, bool] = {}
        if gone is None and _exists(cur, REMOVALS):
            cur.execute(
                sql.SQL(_REMOVED).format(removals=sql.Identifier("raw", table_name(SOURCE, REMOVALS))),
                {"account_id": base_id, "prefix": f"{entity}:"},
            )
            removed = dict(cur.fetchall())
    landed: dict[str, Landed] = {}
    for key, digest, data_version, date in latest:
        is_gone = gone(key, digest) if gone is not None else removed.get(key, False)
        landed[key] = Landed(data_version or digest, date, not is_gone)
    return landed


def single_organization(conn_or_dsn: ConnOrDsn, base_id: str) -> str | None:
    """The base's organization when it has exactly one (from the landed Catalog_Организации)."""
    landed = read_landed(conn_or_dsn, base_id, "organizations", versioned=False)
    present = [key for key, known in landed.items() if known.present]
    return present[0] if len(present) == 1 else None


def removal(entity: str, natural_key: str, last_version: str, removed: bool = True) -> dict[str, Any]:
    """A ``raw.onec_removals`` payload: the object left 1C (``removed`` false: it is listed again).

    ``last_version`` is its latest landed version: ``DataVersion``, or the payload's sha256 for register rows.
    """
    return {
        "natural_key": f"{entity}:{natural_key}",
        "entity": entity,
        "key": natural_key,
        "last_version": last_version,
        "removed": removed,
    }
