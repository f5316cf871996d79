"""
### extract_megamarket — Megamarket merchant API → `raw.megamarket_*`, every 10 minutes, for every cabinet

One mapped task per account listed under `megamarket` in the Variable `sellerflow_accounts` (Airflow
connection `mp_megamarket_<account>`: host = API URL, password = merchant API token, extra =
`account_id`, `merchant_id`, legal entity, `token_expires_at`, optional `horizon_days` /
`overlap_minutes` / `backfill_slice_days` / `rate_limits`), all in the pool `megamarket`. Each run is
cadence-aware: shipments (`order/search` ids → `order/get` in batches) with their status history and the
offers and list prices they show every run, open shipments re-read by id for status changes; the monthly
commission report (an XLSX download, parsed into rows) daily, each month re-read until its report is
final. Megamarket has no read method for stock or prices (only `stock/update` and `manualPrice/save`),
so there is no stock stream. The first run backfills 90 days in 30-day slices with an ETA in the log.
Requests go through one Postgres-backed rate limiter per cabinet and method group, shared with every
other run; `success: 0` answers inside HTTP 200 are errors (rate-limit ones retried). A failing account
fails only its own mapped task, with a message naming the account and the fix. Emits the Assets
`warehouse.raw.megamarket_*` when anything new landed, which schedules `transform_dbt`.
"""

from __future__ import annotations

from sellerflow.orchestration.marketplace_dag import build_extract_dag

extract_megamarket = build_extract_dag("megamarket", schedule="*/10 * * * *", doc_md=__doc__)
