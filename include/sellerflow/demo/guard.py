"""What `make demo` may touch: only demo databases, and only the connections and Variable it created itself.

The demo writes its accounts into Airflow by delete-then-create and lands a generated world in the warehouse.
Both are harmless in a demo installation and harmful anywhere else, so before it changes anything the demo
checks that the warehouse is marked as a demo database of this instance, that the warehouse holds no accounts
but the demo world's, and that every Airflow connection (and the accounts Variable) carries the demo's mark.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg

from sellerflow.installation.ownership import mark_of
from sellerflow.warehouse.connection import scalar

# Written at the start of the description of every connection and Variable the demo creates.
DEMO_MARK = "[sellerflow demo]"


class DemoRefusedError(RuntimeError):
    """The demo would touch something that is not the demo's; the message says what and what to do instead."""


def marked(description: str | None) -> str:
    """A description carrying the demo's mark."""
    text = (description or "").strip()
    return text if text.startswith(DEMO_MARK) else f"{DEMO_MARK} {text}".strip()


def is_demo_made(description: str | None) -> bool:
    """Whether a connection or Variable with this description was created by the demo."""
    return (description or "").startswith(DEMO_MARK)


def check_warehouse(dsn: str, instance: str, demo_accounts: Iterable[str]) -> None:
    """Refuse a warehouse that is not a demo database of this instance, or that holds other accounts."""
    mark = mark_of(dsn)
    if mark is None or mark.get("instance") != instance or mark.get("purpose") != "demo":
        raise DemoRefusedError(
            f"the warehouse is not a demo database of instance {instance!r} (its mark: {mark or 'none'}). "
            "`make demo` loads a generated world and replaces connections; it only runs on the demo databases "
            "`make setup` creates by default. Run it from a checkout without SELLERFLOW_WAREHOUSE_DB / "
            "SELLERFLOW_WAREHOUSE_DSN overrides."
        )
    with psycopg.connect(dsn, autocommit=True) as conn:
        if scalar(conn, "select to_regclass('ops.sync_state') is null"):
            return
        landed = {
            row[0]
            for row in conn.execute(
                "select account_id from ops.sync_state union select account_id from ops.account_credentials"
            )
        }
    foreign = sorted(landed - set(demo_accounts))
    if foreign:
        raise DemoRefusedError(
            f"the warehouse holds accounts the demo world does not have: {', '.join(foreign)}. The demo will not "
            "mix its generated data with them; run it in its own checkout (its own instance and databases)."
        )


def check_airflow(connections: Iterable[dict], accounts_variable_description: str | None) -> None:
    """Refuse when Airflow holds a connection, or the accounts Variable, that the demo did not create."""
    foreign = sorted(c["connection_id"] for c in connections if not is_demo_made(c.get("description")))
    problems = []
    if foreign:
        problems.append(f"connections {', '.join(foreign)}")
    if accounts_variable_description is not None and not is_demo_made(accounts_variable_description):
        problems.append("the Variable sellerflow_accounts")
    if problems:
        raise DemoRefusedError(
            f"Airflow's metadata database holds {' and '.join(problems)}, which the demo did not create (their "
            f"description does not start with {DEMO_MARK!r}). The demo only replaces what it created; it changed "
            "nothing. Run it in its own checkout, or delete those entries yourself if they are leftovers."
        )
