"""Reverse-ETL: writes into other people's systems (1C, marketplaces) through one audited outbox.

The flow of every target (architecture.md "Reverse-ETL"):

    dbt sync model (desired state, only rows that differ from what the target acknowledged)
      → outbox.enqueue      ops.outbox: one open item per (target, item_key), payload + md5 hash
      → sender.drain        claim (for update skip locked) → batches of the vendor's maximum → target.send
      → outbox.record       ops.outbox_attempts (every attempt, the vendor's answer), the item's new state,
                            ops.outbox_acknowledged (the state the sync model diffs against next time)

Item states: pending, sending, acknowledged, failed (transient, ``retry_at`` with back-off or the vendor's
Retry-After), parked (permanent: the vendor's message; ``replay`` sends it again), held (waits for
``approve``), dry_run (recorded what would be sent), superseded (a newer desired state replaced it).
A rerun sends nothing: the sync model no longer shows an acknowledged state. A crash between the vendor's
answer and the record leaves the item ``sending``; after the lease it is claimed again with
``recovered=True`` and the target makes the repeat harmless (idempotency key, or read back first).

Adding a target (e.g. ``ozon_stocks``):

1. dbt: ``dbt/models/marts/reverse_etl/sync_<vendor>__<what>.sql`` returning ``item_key``, ``account_id``
   (where it goes), ``payload`` (jsonb), ``payload_hash`` (``md5(payload::text)``), optionally
   ``first_seen_at`` and ``hold_reason`` (non-null → the item is enqueued ``held``, e.g. a price drop over a
   threshold). Filter with ``acknowledged.payload_hash is distinct from <hash>`` against
   ``source('reverse_etl', 'outbox_acknowledged')`` for your target name; declare it in
   ``_reverse_etl__models.yml`` and as an exposure in ``marts/_exposures.yml``.
2. Python: ``targets/<vendor>_<what>.py`` with a class following :class:`.sender.Target`: ``name`` (the
   outbox target), ``vendor`` (the limiter's vendor key, e.g. ``"ozon"``), ``sync_model``
   (``"marts.sync_…"``), ``max_batch`` (the vendor's batch maximum: Ozon stocks 100, YM stocks 2000 …),
   ``claim_size``, ``send(items, ctx)`` returning one :class:`.outbox.Outcome` per item (acknowledged /
   transient with ``retry_after_s`` for 420/429 / permanent with the vendor's message), ``preview(item)``
   for dry runs, ``close()``. Call ``ctx.acquire(group, account)`` before every request (the shared limiter
   of ``sources/ratelimit.py``). Per-item results of a batch answer (Ozon ``result[].errors``, YM
   ``updateStatus``) map to per-item outcomes: only the failed items are retried.
3. Make a repeat harmless: use the vendor's idempotency key if it has one; otherwise, when
   ``item.recovered`` (or always, if cheap), read the current value back and skip what already holds.
4. Register it in ``targets/__init__.py`` (``TARGET_NAMES`` and a factory) and give it a DAG (or a task in
   an existing push DAG) that calls :func:`.push.push`; tests against the vendor's emulator.

Marketplace targets (stock: ``ozon_stocks``, ``wildberries_stocks``, ``yandex_market_stocks``,
``megamarket_stocks``) subclass :class:`.vendor_target.MarketplaceTarget`: the vendor client of
:mod:`sellerflow.sources` with the sender's limiter and no retries of its own (the outbox retries), items without
a request parked when ``payload.problems`` says why, and ``send_group`` mapping the vendor's per-item answer.
Two additive hooks of the one framework serve them: a target's optional ``batch_key(item)`` (the sender keeps
items of one key together, so one batch is one vendor request: the cabinet, for WB the warehouse), and
``Outcome.item_only`` (a wait that concerns the item alone, such as Ozon's 30 s per (SKU, warehouse): it does
not pause the shared limiter for the cabinet).

Targets without a sync model (``sync_model = None``) are fed by another part of sellerflow and only drained by
:func:`.push.push`: when a TSD pick list is finished, :func:`.statuses.request_assembled` enqueues ``onec_assembled``
(the reserved ЗаказКлиента to КОтгрузке, units not found cut off into cancelled lines) and ``<marketplace>_shortages``
(those units cancelled where the vendor's API allows); push_statuses drains them before the status targets.

Modules: :mod:`.outbox` (the table API), :mod:`.sender` (the drain loop), :mod:`.push` (enqueue + drain),
:mod:`.new_orders` (the hot path's new-order polls), :mod:`.accounts` (cabinet settings for the SQL),
:mod:`.targets` (one module per target), :mod:`.vendor_target` (what marketplace targets share),
``python -m sellerflow.reverse_etl`` (status, replay, approve,
dry-run).
"""
