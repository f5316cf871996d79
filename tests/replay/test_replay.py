"""Replay on a small world: the real pipeline fills a warehouse (scenario → emulators → extraction → `dbt build`),
then `python -m sellerflow.replay` rebuilds the project from raw into its own schemas and compares every mart.

Equal marts exit 0; a live mart row altered inside the period is reported as a difference (exit 1) while one altered
outside it is not; the replay leaves nothing of its own behind and never records itself as a live build."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from tests.conftest import throwaway_database
from tests.seeded_warehouse import Seeded

from sellerflow.replay import scratch

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SEPTEMBER = ("2026-09-01", "2026-09-30")  # the seeded world runs 2026-09-15 … 2026-10-15


@pytest.fixture(scope="module")
def warehouse(seeded_warehouse: Seeded) -> Iterator[str]:
    """A warehouse the real pipeline filled and dbt built (the live marts): a copy of the session's seeded one."""
    with throwaway_database(template=seeded_warehouse.dsn) as dsn:
        yield dsn


def _replay(dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The documented command."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sellerflow.replay",
            "--from",
            SEPTEMBER[0],
            "--to",
            SEPTEMBER[1],
            "--dsn",
            dsn,
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=ROOT,
    )


def _marts(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = 'marts' and c.relkind in ('r', 'v') order by 1"
        ).fetchall()
    return [r[0] for r in rows]


def _leftovers(dsn: str) -> tuple[list[str], int, int]:
    """Schemas and watermarks of any replay, and the recorded whole-project builds."""
    with psycopg.connect(dsn) as conn:
        schemas = [
            r[0] for r in conn.execute("select nspname from pg_namespace where nspname like 'replay\\_%'")
        ]
        (watermarks,) = conn.execute(
            "select count(*) from ops.dbt_watermarks where relation like 'replay\\_%'"
        ).fetchone()
        (builds,) = conn.execute("select count(*) from ops.dbt_builds").fetchone()
    return schemas, watermarks, builds


def _line(output: str, mart: str) -> str:
    (line,) = [line for line in output.splitlines() if line.split()[:1] == [mart]]
    return line


@dataclass(frozen=True)
class ReplayRun:
    """One replay over a warehouse whose live reconciliation has one row altered inside the period and one after."""

    done: subprocess.CompletedProcess[str]
    altered_in_period: int
    builds_before: int


@pytest.fixture(scope="module")
def replay_run(warehouse: str) -> ReplayRun:
    """One replay (a dbt build from raw is the cost of this module) with two live rows altered, then restored."""
    builds_before = _leftovers(warehouse)[2]
    with psycopg.connect(warehouse) as conn:
        altered = [
            conn.execute(
                "select reconciliation_line_id, reported_payout from marts.reconciliation_order_lines"
                f" where ordered_at::date {condition} order by 1 limit 1"
            ).fetchone()
            for condition in ("between '2026-09-01' and '2026-09-30'", ">= '2026-10-01'")
        ]
        for line, _ in altered:
            conn.execute(
                "update marts.reconciliation_order_lines set reported_payout = coalesce(reported_payout, 0) + 1"
                " where reconciliation_line_id = %s",
                (line,),
            )
    try:
        done = _replay(warehouse, "--sample", "1")
    finally:
        with psycopg.connect(warehouse) as conn:
            for line, payout in altered:
                conn.execute(
                    "update marts.reconciliation_order_lines set reported_payout = %s where reconciliation_line_id = %s",
                    (payout, line),
                )
    print(done.stdout)  # the table, for a reader of `pytest -s`
    return ReplayRun(done, altered[0][0], builds_before)


def test_replayed_marts_equal_the_live_ones(warehouse: str, replay_run: ReplayRun) -> None:
    done = replay_run.done
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    marts = _marts(warehouse)
    assert len(marts) > 20
    for mart in marts:
        if mart != "reconciliation_order_lines":  # the one altered below
            assert " equal" in _line(done.stdout, mart), _line(done.stdout, mart)
    assert f"marts equal: {len(marts) - 1}/{len(marts)}, different: 1" in done.stdout
    recon = _line(done.stdout, "reconciliation_order_lines").split()
    assert int(recon[2]) > 100, "September has reconciliation lines to compare"
    assert recon[2] == recon[3]


def test_an_altered_live_row_of_the_period_is_the_only_difference(replay_run: ReplayRun) -> None:
    done = replay_run.done
    assert done.returncode == 1, done.stdout[-6000:] + done.stderr[-3000:]
    line = _line(done.stdout, "reconciliation_order_lines")
    assert "DIFFERENT: 1 rows only live, 1 only replayed" in line, "only the row inside the period differs"
    samples = done.stdout.split(line, 1)[1].strip().splitlines()[:2]
    assert samples[0].strip().startswith("live: ")
    assert samples[1].strip().startswith("replay: ")
    for sample in samples:
        assert str(replay_run.altered_in_period) in sample


def test_the_replay_leaves_nothing_and_records_no_live_build(warehouse: str, replay_run: ReplayRun) -> None:
    assert replay_run.done.returncode in (0, 1), replay_run.done.stderr[-3000:]
    assert _leftovers(warehouse) == ([], 0, replay_run.builds_before)


def test_the_replay_never_takes_or_drops_a_schema_it_did_not_make(warehouse: str) -> None:
    mine = scratch.new_scratch()
    foreign = mine.schema("marts")
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute(f'create schema "{foreign}"')
        conn.execute(f"comment on schema \"{foreign}\" is 'somebody else'")
    with pytest.raises(scratch.ScratchError, match="exist already"):
        scratch.create(warehouse, mine, {})
    assert scratch.drop(warehouse, mine) == []
    with pytest.raises(scratch.ScratchError, match="another mark"):
        scratch.adopt(warehouse, mine, {})
    with psycopg.connect(warehouse, autocommit=True) as conn:
        assert conn.execute(
            "select count(*) from pg_namespace where nspname = %s", (foreign,)
        ).fetchone() == (1,)
        conn.execute(f'drop schema "{foreign}"')
