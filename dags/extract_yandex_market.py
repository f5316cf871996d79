"""
### extract_yandex_market — Yandex Market Partner API → `raw.yandex_market_*`, every 10 minutes, per cabinet

One mapped task per account listed under `yandex_market` in the Variable `sellerflow_accounts` (Airflow
connection `mp_yandex_market_<account>`: host = API URL, password = Api-Key, extra = `account_id`,
`business_id` (the cabinet), legal entity, `token_expires_at`, optional `horizon_days` /
`overlap_minutes` / `backfill_slice_days` / `rate_limits` / `report_poll_seconds`), all in the pool
`yandex_market`. Each run first reads the key's access groups (`POST /v2/auth/token`, stored in
`ops.account_credentials`) and fails the account at once, naming the missing access, when the key cannot
open a stream. Then, cadence-aware: business orders (`POST /v1/businesses/{id}/orders`, `page_token`) with
their status history every run — new and changed ones by update time, open ones re-read by id; stock
(per campaign) and prices hourly; campaigns, warehouses and offer mappings (barcodes, market SKU) daily;
the monthly goods-realization report daily (generate → info poll → download, per campaign; a month is
re-read until its report has settled), and the united marketplace services report (commission, delivery,
payment acceptance — what Market charged per order) daily per cabinet, a month re-read until its act is formed. The first run backfills 90 days in 30-day windows (the API's
maximum) with an ETA in the log. Requests go through one Postgres-backed rate limiter per cabinet and
resource, plus its parallel-request cap, shared with every other run; a 420 waits until
`X-RateLimit-Resource-Until`. A failing account fails only its own mapped task, with a message naming the
account and the fix. Emits the Assets `warehouse.raw.yandex_market_*` when anything new landed, which
schedules `transform_dbt`.
"""

from __future__ import annotations

from sellerflow.orchestration.marketplace_dag import build_extract_dag

extract_yandex_market = build_extract_dag("yandex_market", schedule="*/10 * * * *", doc_md=__doc__)
