"""
### extract_ozon — Ozon Seller API → `raw.ozon_*`, every 10 minutes, for every Ozon cabinet

One mapped task per account listed under `ozon` in the Variable `sellerflow_accounts` (Airflow
connection `mp_ozon_<account>`: host = API URL, login = Client-Id, password = API key, extra =
`account_id`, legal entity, `token_expires_at`, optional `horizon_days` / `overlap_minutes` /
`rate_limits`), all in the pool `ozon`. Each run is cadence-aware: postings (FBS, FBO and their
status history) every run, stock and prices hourly, products, warehouses and the monthly realization
report daily (a month is re-read until its report is final). The first run backfills 90 days in
30-day slices with an ETA in the log. Requests go through one Postgres-backed rate limiter per
cabinet, shared with every other run. A failing account fails only its own mapped task, with a
message naming the account and the fix; the other accounts still land. Emits the Assets
`warehouse.raw.ozon_*` when anything new landed, which schedules `transform_dbt`.
"""

from __future__ import annotations

from sellerflow.orchestration.marketplace_dag import build_extract_dag

extract_ozon = build_extract_dag("ozon", schedule="*/10 * * * *", doc_md=__doc__)
