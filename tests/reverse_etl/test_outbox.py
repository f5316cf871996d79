"""The outbox and the sender loop with a fake target (no vendor): states, back-off, holds, replays, the CLI."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import psycopg
import pytest

from sellerflow.reverse_etl import outbox
from sellerflow.reverse_etl.__main__ import main
from sellerflow.reverse_etl.outbox import Desired, Item, Outcome
from sellerflow.reverse_etl.sender import SendContext, drain

TARGET = "fake_target"


class FakeTarget:
    """Answers from a script: item_key → list of outcomes (the last one repeats)."""

    name: ClassVar[str] = TARGET
    vendor: ClassVar[str] = "fake"
    sync_model: ClassVar[str] = "marts.none"
    max_batch: ClassVar[int] = 3
    claim_size: ClassVar[int] = 7

    def __init__(self, script: dict[str, list[Outcome]] | None = None) -> None:
        self.script = script or {}
        self.batches: list[list[str]] = []
        self.sent: list[str] = []

    def send(self, items: Sequence[Item], ctx: SendContext) -> list[Outcome]:
        self.batches.append([i.item_key for i in items])
        out = []
        for item in items:
            self.sent.append(item.item_key)
            answers = self.script.get(item.item_key) or [Outcome.acknowledged("r-" + item.item_key)]
            out.append(answers.pop(0) if len(answers) > 1 else answers[0])
            out[-1].requests = [f"PUT {item.item_key}"]
        return out

    def preview(self, item: Item) -> Outcome:
        return Outcome("dry_run", f"would send {item.item_key}")

    def close(self) -> None:
        pass


@pytest.fixture
def dsn(migrated_dsn: str) -> str:
    return migrated_dsn


def put(dsn: str, *keys: str, version: str = "1", dry_run: bool = False, hold: str | None = None):
    rows = [Desired(k, "acc", {"k": k, "v": version}, f"{k}-{version}", hold_reason=hold) for k in keys]
    with psycopg.connect(dsn, autocommit=True) as conn:
        return outbox.enqueue(conn, TARGET, rows, dry_run=dry_run)


def state_of(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        return dict(
            conn.execute(
                "select item_key, state from ops.outbox where state <> 'superseded' order by id"
            ).fetchall()
        )


def test_items_are_sent_in_the_vendors_batches_and_acknowledged_once(dsn: str) -> None:
    keys = [f"k{i}" for i in range(10)]
    assert put(dsn, *keys).new == 10
    target = FakeTarget()
    result = drain(dsn, target)
    assert result.acknowledged == 10
    assert max(len(b) for b in target.batches) <= FakeTarget.max_batch
    assert sorted(target.sent) == sorted(keys)
    assert put(dsn, *keys).new == 0, "the acknowledged state is not enqueued again"
    assert drain(dsn, target).due == 0
    with psycopg.connect(dsn) as conn:
        acked = conn.execute(
            "select count(*) from ops.outbox_acknowledged where target = %s", (TARGET,)
        ).fetchone()
    assert acked == (10,)


def test_a_new_desired_state_supersedes_the_open_item_but_not_one_being_sent(dsn: str) -> None:
    put(dsn, "a", "b")
    with psycopg.connect(dsn, autocommit=True) as conn:
        claimed = outbox.claim(conn, TARGET, 1, timedelta(minutes=5), "test")
    assert [i.item_key for i in claimed] == ["a"]
    result = put(dsn, "a", "b", version="2")
    assert result.busy == 1, "a is being sent: its new state waits for the next cycle"
    assert result.superseded == 1
    assert state_of(dsn) == {"a": "sending", "b": "pending"}
    with psycopg.connect(dsn) as conn:
        (payload,) = conn.execute(
            "select payload from ops.outbox where item_key = 'b' and state = 'pending'"
        ).fetchone()
    assert payload["v"] == "2"


def test_transient_failures_back_off_and_only_they_are_retried(dsn: str) -> None:
    put(dsn, "ok", "flaky", "limited")
    target = FakeTarget(
        {
            "flaky": [Outcome.transient("HTTP 502"), Outcome.acknowledged()],
            "limited": [Outcome.transient("HTTP 429", retry_after_s=7200), Outcome.acknowledged()],
        }
    )
    first = drain(dsn, target, backoff_initial_s=600)
    assert first.acknowledged == 1
    assert first.failed == 2
    with psycopg.connect(dsn) as conn:
        retry = dict(
            conn.execute("select item_key, retry_at from ops.outbox where state = 'failed'").fetchall()
        )
    now = datetime.now(UTC)
    assert retry["limited"] - now > timedelta(minutes=119), "the vendor's Retry-After is honoured"
    assert timedelta(minutes=4) < retry["flaky"] - now <= timedelta(minutes=10), "back-off with jitter"
    target.sent.clear()
    assert drain(dsn, target).due == 0, "nothing is due before its retry time"
    with psycopg.connect(dsn) as conn:  # the back-off of flaky has passed
        conn.execute("update ops.outbox set retry_at = now() where item_key = 'flaky' and state = 'failed'")
    drain(dsn, target)
    assert target.sent == ["flaky"], "only the failed item whose back-off passed is sent again"
    assert state_of(dsn) == {"ok": "acknowledged", "flaky": "acknowledged", "limited": "failed"}


def test_permanent_failures_and_exhausted_retries_are_parked_and_replayed_on_request(dsn: str) -> None:
    put(dsn, "bad", "down")
    target = FakeTarget(
        {
            "bad": [Outcome.permanent("VALIDATION_ERROR: price too low")],
            "down": [Outcome.transient("HTTP 503")],
        }
    )
    for _ in range(3):
        drain(dsn, target, backoff_initial_s=0.0, park_after=3)
    assert state_of(dsn) == {"bad": "parked", "down": "parked"}
    with psycopg.connect(dsn) as conn:
        reasons = dict(conn.execute("select item_key, reason from ops.outbox").fetchall())
    assert reasons["bad"] == "VALIDATION_ERROR: price too low"
    assert reasons["down"].startswith("gave up after 3 failed attempts")
    target.sent.clear()
    drain(dsn, target)
    assert target.sent == [], "parked items wait for a person"
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert outbox.replay(conn, item_keys=["bad"]) != []
    target.script["bad"] = [Outcome.acknowledged()]
    drain(dsn, target)
    assert state_of(dsn)["bad"] == "acknowledged"
    assert state_of(dsn)["down"] == "parked"


def test_the_vendors_rate_limit_never_counts_toward_parking(dsn: str) -> None:
    put(dsn, "busy", "mixed")
    limit = Outcome.throttled_by_vendor("HTTP 429: too many requests", retry_after_s=60.0, http_status=429)
    target = FakeTarget({"busy": [limit], "mixed": [limit, limit, limit, Outcome.transient("HTTP 503")]})
    for _ in range(5):  # one attempt per drain: the test, not the clock, makes the items due again
        drain(dsn, target, backoff_initial_s=60.0, park_after=3)
        with psycopg.connect(dsn) as conn:
            conn.execute("update ops.outbox set retry_at = now() where state = 'failed'")
    states = state_of(dsn)
    assert states["busy"] == "failed", "five rate-limited attempts: still waiting for the vendor, not parked"
    assert states["mixed"] == "failed", "three rate limits and two real failures: under the limit of three"
    drain(dsn, target, backoff_initial_s=60.0, park_after=3)
    assert state_of(dsn) == {"busy": "failed", "mixed": "parked"}, "the third real failure parks"
    with psycopg.connect(dsn) as conn:
        reason = conn.execute("select reason from ops.outbox where item_key = 'mixed'").fetchone()[0]
        throttled = conn.execute(
            "select o.item_key, count(*) from ops.outbox_attempts a join ops.outbox o on o.id = a.outbox_id"
            " where a.throttled group by 1"
        ).fetchall()
    assert reason.startswith("gave up after 3 failed attempts; last error: HTTP 503")
    assert dict(throttled) == {"busy": 6, "mixed": 3}


def test_held_items_wait_for_approval(dsn: str) -> None:
    put(dsn, "drop", hold="price drop of 40% needs approval")
    put(dsn, "raise")
    target = FakeTarget()
    drain(dsn, target)
    assert target.sent == ["raise"]
    assert state_of(dsn)["drop"] == "held"
    with psycopg.connect(dsn, autocommit=True) as conn:
        approved = outbox.approve(conn, item_keys=["drop"])
    assert len(approved) == 1
    drain(dsn, target)
    assert target.sent == ["raise", "drop"]


def test_a_dry_run_records_what_would_be_sent_and_a_live_run_sends_it(dsn: str) -> None:
    put(dsn, "a", "b", dry_run=True)
    target = FakeTarget()
    result = drain(dsn, target, dry_run=True)
    assert result.dry_runs == 2
    assert target.sent == []
    assert state_of(dsn) == {"a": "dry_run", "b": "dry_run"}
    assert put(dsn, "a", "b", dry_run=True).unchanged == 2
    assert put(dsn, "a", "b").released == 2
    drain(dsn, target)
    assert sorted(target.sent) == ["a", "b"]


def test_two_senders_never_share_an_item(dsn: str) -> None:
    put(dsn, *[f"k{i}" for i in range(60)])
    targets = [FakeTarget(), FakeTarget()]
    threads = [threading.Thread(target=drain, args=(dsn, t)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = targets[0].sent + targets[1].sent
    assert sorted(sent) == sorted(f"k{i}" for i in range(60))


def test_an_expired_claim_is_taken_again_as_recovered(dsn: str) -> None:
    put(dsn, "a")
    with psycopg.connect(dsn, autocommit=True) as conn:
        outbox.claim(conn, TARGET, 10, timedelta(minutes=5), "dead worker")
        assert outbox.claim(conn, TARGET, 10, timedelta(minutes=5), "me") == []
        (again,) = outbox.claim(conn, TARGET, 10, timedelta(0), "me")
    assert again.recovered
    assert again.attempts == 2


def test_the_cli_shows_states_and_problems(dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    put(dsn, "bad", "good")
    drain(dsn, FakeTarget({"bad": [Outcome.permanent("Не удалось провести: нет остатка")]}))
    assert main(["--dsn", dsn, "status"]) == 0
    out = capsys.readouterr().out
    assert "parked" in out
    assert "Не удалось провести: нет остатка" in out
    assert "acknowledged" in out
    with pytest.raises(SystemExit):
        main(["--dsn", dsn, "replay"])  # names no items
