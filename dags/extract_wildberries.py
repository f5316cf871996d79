"""
### extract_wildberries — Wildberries seller APIs → `raw.wildberries_*`, every 10 minutes, for every cabinet

One mapped task per account listed under `wildberries` in the Variable `sellerflow_accounts` (Airflow
connection `mp_wildberries_<account>`: host = `https://marketplace-api.wildberries.ru` (each API family is
then called on its own WB host) or one base URL serving them all (the emulator, a proxy), password = the
API token, extra = `account_id`, legal entity, optional `hosts` / `horizon_days` / `overlap_minutes` /
`backfill_slice_days` / `lookback_days` / `rate_limits`), all in the pool `wildberries`. The token's
expiry and categories are read from the token itself (a JWT) and stored in `ops.account_credentials`.
Each run is cadence-aware: FBS assembly tasks (`/api/v3/orders`, the `/new` list and the status of every
open task) and the statistics feeds of orders and sales of every scheme (FBO included) every run; stock
per seller warehouse, prices and card changes hourly; warehouses daily; the weekly realization report on
WB's calendar (asked from Monday 08:00 MSK hourly until it is out, then daily until it settles). The first
run backfills 90 days (FBS tasks in ≤ 30-day slices, with an ETA in the log). Requests go through one
Postgres-backed rate limiter per cabinet and WB method group (statistics and finance allow 1 call a
minute), shared with every other run; 429 answers are retried after `X-Ratelimit-Retry`. A failing
account (expired token, missing category, Basic token on finance) fails only its own mapped task, with a
message naming the account and the fix. Emits the Assets `warehouse.raw.wildberries_*` when anything new
landed, which schedules `transform_dbt`.
"""

from __future__ import annotations

from sellerflow.orchestration.marketplace_dag import build_extract_dag

extract_wildberries = build_extract_dag("wildberries", schedule="*/10 * * * *", doc_md=__doc__)
