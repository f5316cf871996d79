"""Replay: re-derive a period from raw, without calling any vendor, and prove the marts come out equal.

``python -m sellerflow.replay --from 2026-10-01 --to 2026-10-31`` builds the whole dbt project from the raw tables
(``dbt seed`` and ``dbt run --full-refresh``, no vendor call: dbt reads only the warehouse) into schemas of its own
(:mod:`sellerflow.replay.scratch`: ``replay_<token>_staging``, ``…_intermediate``, ``…_marts``, created and marked
by the replay, dropped only when the mark says they are this replay's), then compares every relation of the live
``marts`` schema with its replayed twin, rows restricted to the period, with ``EXCEPT ALL`` both ways
(:mod:`sellerflow.replay.compare`). It prints mart → rows live / replayed, equal or different with a sample of the
differing rows, and exits 1 when any mart differs (2 when the build failed).

The live warehouse is only read, except ``ops.dbt_watermarks``: every model's pre-hook records a row there under
its relation name, and the replay deletes the rows of its own schemas afterwards. It never writes
``ops.dbt_builds`` (no ``dbt build``), so the transform's gate does not mistake a replay for a live build.
"""
