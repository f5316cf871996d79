"""The Airflow pools and priority weights sellerflow's DAGs run in: one place for what the scheduler may run at once.

Every pool here must exist in the Airflow installation (``make demo`` creates them from ``POOLS``; on your own
installation: Admin → Pools, or ``airflow pools set <name> <slots> <description>``). A task in a pool that does
not exist never starts.

- One pool per source (``onec``, ``ozon``, ...): how many requests a vendor tolerates in parallel.
- ``dbt``: the transform. Its ``dbt build`` runs its own threads (the profile's ``threads``), so it needs one
  slot; the second slot lets a manual retry of one model (or ``generate_docs``) run beside it. Whatever the
  transform does, it never holds more than these slots, so an extraction always finds a free one.

Priority weights decide who gets a free slot first when several tasks wait: extraction tasks before the
transform's (``weight_rule="absolute"``: the weight is the task's own, not summed over its downstream tasks,
which would give the deep dbt graph the highest weights of all).
"""

from __future__ import annotations

DBT_POOL = "dbt"

# name → (slots, description)
POOLS: dict[str, tuple[int, str]] = {
    "onec": (2, "1C OData servers are slow: at most 2 parallel requests per installation"),
    "ozon": (4, "Ozon Seller API calls"),
    "wildberries": (4, "Wildberries API calls"),
    "yandex_market": (2, "Yandex Market caps parallel requests per resource"),
    "megamarket": (2, "Megamarket merchant API calls"),
    "reverse_etl": (2, "push DAGs: new-order polls and outbox senders (each sender holds one slot)"),
    DBT_POOL: (2, "transform_dbt: one dbt build (dbt threads inside) plus one retry of a single model"),
}

# Extraction first: data must land on time; the transform can run a minute later with everything that landed.
EXTRACT_PRIORITY = 100
TRANSFORM_PRIORITY = 1
WEIGHT_RULE = "absolute"
