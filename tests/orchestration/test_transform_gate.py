"""An asset-triggered transform run waits for the extractions in flight and skips a build nothing new calls for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from sellerflow.orchestration import transform_gate
from sellerflow.warehouse import migrate


class FakeClock:
    """A monotonic clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds


def test_waits_until_no_extraction_is_active() -> None:
    clock = FakeClock()
    # extract_ozon finishes at t=12 s, extract_onec at t=7 s
    finishes = {"extract_ozon": 12.0, "extract_onec": 7.0}

    def active(dag_id: str) -> int:
        return int(clock() < finishes.get(dag_id, 0.0))

    waited = transform_gate.wait_for_extractions(
        active,
        ["extract_onec", "extract_ozon", "extract_wildberries"],
        120,
        poll_s=5,
        sleep=clock.sleep,
        clock=clock,
    )
    assert waited == 15.0, "polled at 0, 5, 10 and 15 s; ozon was still running at 10 s"


def test_work_for_the_build_starts_once_when_it_has_to_wait() -> None:
    clock, started = FakeClock(), []

    def active(dag_id: str) -> int:
        return int(clock() < 3.0)

    transform_gate.wait_for_extractions(
        active,
        ["extract_ozon"],
        120,
        poll_s=1,
        sleep=clock.sleep,
        clock=clock,
        on_wait=lambda: started.append(clock()),
    )
    assert started == [0.0], "called once, at the first poll that found an extraction in flight"

    idle: list[float] = []
    transform_gate.wait_for_extractions(
        lambda dag_id: 0,
        ["extract_ozon"],
        120,
        sleep=clock.sleep,
        clock=clock,
        on_wait=lambda: idle.append(1.0),
    )
    assert idle == [], "not called when nothing is landing"


def test_stops_waiting_at_the_cap() -> None:
    clock = FakeClock()
    waited = transform_gate.wait_for_extractions(
        lambda dag_id: 1, ["extract_ozon"], 12, poll_s=5, sleep=clock.sleep, clock=clock
    )
    assert waited == 12.0


@pytest.fixture
def dsn(fresh_dsn: str) -> str:
    migrate(fresh_dsn)
    return fresh_dsn


def _load_run(dsn: str, inserted: int, finished_at: datetime | None, entity: str = "postings_fbs") -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "insert into ops.load_runs (source, entity, account_id, run_id, status, inserted, finished_at)"
            " values ('ozon', %s, 'ozon_main', 'r', %s, %s, %s)",
            (entity, "running" if finished_at is None else "succeeded", inserted, finished_at),
        )


def test_rows_landed_since_counts_loads_that_finished_after_or_still_run(dsn: str) -> None:
    since = datetime.now(UTC) - timedelta(minutes=5)
    _load_run(dsn, 7, since - timedelta(minutes=1))  # read by the previous build
    _load_run(dsn, 0, since + timedelta(minutes=1))  # nothing new in it
    _load_run(
        dsn, 9, since + timedelta(minutes=1), "postings_fbs_unfulfilled"
    )  # a new-order list: views only
    assert transform_gate.rows_landed_since(dsn, since) == 0
    _load_run(dsn, 3, since + timedelta(minutes=2))
    _load_run(dsn, 2, None)  # committed batches of a load still running
    assert transform_gate.rows_landed_since(dsn, since) == 5


def _build(dsn: str, started_at: datetime, succeeded: bool) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "insert into ops.dbt_builds (invocation_id, started_at, succeeded)"
            " values (gen_random_uuid()::text, %s, %s)",
            (started_at, succeeded),
        )


def test_an_asset_run_skips_its_build_only_when_nothing_landed_since_the_last_good_build(dsn: str) -> None:
    idle = lambda dag_id: 0  # noqa: E731
    assert transform_gate.skip_reason("asset_triggered", idle, dsn, max_wait_s=0) is None, "no build yet"
    started = datetime.now(UTC) - timedelta(minutes=5)
    _load_run(dsn, 7, started - timedelta(seconds=1))  # finished before that build started: it read them
    _build(dsn, started, succeeded=True)
    reason = transform_gate.skip_reason("asset_triggered", idle, dsn, max_wait_s=0)
    assert reason is not None
    assert "nothing landed since" in reason
    _build(dsn, started + timedelta(minutes=1), succeeded=False)  # a failed build read nothing for good
    _load_run(dsn, 4, started + timedelta(seconds=30))
    assert transform_gate.skip_reason("asset_triggered", idle, dsn, max_wait_s=0) is None


def test_a_run_started_by_hand_always_builds_without_waiting(dsn: str) -> None:
    def never_asked(dag_id: str) -> int:
        raise AssertionError("a manual run does not wait for extractions")

    assert transform_gate.skip_reason("manual", never_asked, dsn) is None


def test_the_run_type_a_task_sees_is_recognised(dsn: str) -> None:
    """In a task, ``dag_run.run_type`` is the task SDK's enum, whose ``str()`` is 'DagRunType.ASSET_TRIGGERED':
    the gate compares its value (it took every asset run for a manual one and built every time)."""
    from airflow.sdk.api.datamodels._generated import DagRunType

    asked: list[str] = []

    def idle(dag_id: str) -> int:
        asked.append(dag_id)
        return 0

    transform_gate.skip_reason(DagRunType.ASSET_TRIGGERED, idle, dsn, max_wait_s=0)
    assert asked, "an asset-triggered run waits for the extractions"
    assert transform_gate.skip_reason(DagRunType.MANUAL, idle, dsn) is None


def test_a_bad_settle_setting_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(transform_gate.SETTLE_ENV, "two minutes")
    with pytest.raises(ValueError, match="expected a number of seconds"):
        transform_gate.settle_seconds()
    monkeypatch.setenv(transform_gate.SETTLE_ENV, "30")
    assert transform_gate.settle_seconds() == 30.0
