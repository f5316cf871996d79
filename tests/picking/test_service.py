"""The device calls on one connection, as the API and DataMobile make them: how many round trips to Postgres each
costs (their statements go out in pipeline mode), the transaction a refusal leaves behind, a caller's transaction,
and the device's once-a-minute "last seen" note."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import pairwise
from typing import Any

import psycopg
import pytest
from psycopg import pq

from sellerflow.picking import service
from sellerflow.picking.devices import Device, authenticate
from sellerflow.picking.service import PickingError

from .conftest import Warehouse, unit


@contextmanager
def _device(wh: Warehouse) -> Iterator[tuple[psycopg.Connection, Device, int]]:
    """A plain autocommit connection, an authenticated device and the one pick list (two products, 3 units)."""
    wh.set_demand([unit("ozon", "0001-1", "OZ-07", 2), unit("ozon", "0002-1", "OZ-08", 1)])
    wh.build()
    token = wh.device("tsd-service")
    with psycopg.connect(wh.dsn, autocommit=True) as conn:
        device = authenticate(conn, token)
        assert device is not None
        (list_id,) = conn.execute("select id from ops.pick_lists").fetchone() or ()
        yield conn, device, list_id


def _round_trips(conn: psycopg.Connection, call: Callable[[], Any]) -> int:
    """How many times ``call`` waited for Postgres: in libpq's protocol trace, each run of messages the client
    sent that the server then answered."""
    with tempfile.TemporaryFile(mode="w+") as trace:
        conn.pgconn.trace(trace.fileno())
        conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            call()
        finally:
            conn.pgconn.untrace()
        trace.seek(0)
        senders = [line.split("\t", 1)[0] for line in trace if line.strip()]
    return sum(1 for before, now in pairwise(senders) if (before, now) == ("F", "B"))


def test_each_call_waits_for_postgres_once_per_batch(wh: Warehouse) -> None:
    with _device(wh) as (conn, device, list_id):
        assert _round_trips(conn, lambda: service.open_lists(conn, device)) == 1
        assert _round_trips(conn, lambda: service.claim(conn, device, list_id)) == 1
        assert _round_trips(conn, lambda: service.document(conn, device, list_id)) == 1
        # BEGIN and the reads under the list's lock; then the writes, the answer and COMMIT
        assert _round_trips(conn, lambda: service.scan(conn, device, list_id, "s-1", "460OZ-07")) == 2
        assert _round_trips(conn, lambda: service.scan(conn, device, list_id, "s-1", "460OZ-07")) == 2
        assert _round_trips(conn, lambda: authenticate(conn, "tsd_unknown")) == 1
    assert wh.sql("select count(*), sum(quantity) from ops.pick_list_scans") == [(1, 1)]


def test_a_refusal_leaves_no_transaction_open_and_nothing_written(wh: Warehouse) -> None:
    with _device(wh) as (conn, device, list_id):
        service.claim(conn, device, list_id)
        refusals = [
            lambda: service.scan(conn, device, list_id, "s-1", "460UNKNOWN"),
            lambda: service.scan(conn, device, list_id, "s-2", "460OZ-08", 2),
            lambda: service.scan(conn, device, list_id + 1000, "s-3", "460OZ-08"),
        ]
        for refuse, status in zip(refusals, (422, 409, 404), strict=True):
            with pytest.raises(PickingError) as refused:
                refuse()
            assert refused.value.status == status
            assert conn.info.transaction_status == pq.TransactionStatus.IDLE
        answer = service.scan(conn, device, list_id, "s-4", "460OZ-08")
        assert (answer["result"], answer["qty_picked"], answer["list_picked"]) == ("ok", 1, 1)
    assert wh.sql("select scan_id from ops.pick_list_scans") == [("s-4",)]
    assert wh.sql("select sum(picked) from ops.pick_list_items") == [(1,)]


def test_a_scan_inside_the_callers_transaction_goes_with_it(wh: Warehouse) -> None:
    with _device(wh) as (conn, device, list_id):
        service.claim(conn, device, list_id)
        with conn.transaction():
            answer = service.scan(conn, device, list_id, "s-1", "460OZ-07", 2)
            assert (answer["result"], answer["qty_picked"]) == ("ok", 2)
            raise psycopg.Rollback()
        assert conn.info.transaction_status == pq.TransactionStatus.IDLE
    assert wh.sql("select count(*) from ops.pick_list_scans") == [(0,)]
    assert wh.sql("select sum(picked) from ops.pick_list_items") == [(0,)]


def test_authentication_notes_the_device_at_most_once_a_minute(wh: Warehouse) -> None:
    token = wh.device("tsd-seen")
    with psycopg.connect(wh.dsn, autocommit=True) as conn:
        assert authenticate(conn, token) is not None
        first = wh.sql("select last_seen_at from ops.tsd_devices where name = 'tsd-seen'")[0][0]
        assert first is not None
        wh.sql("update ops.tsd_devices set last_seen_at = last_seen_at - interval '30 seconds'")
        assert authenticate(conn, token) is not None
        assert wh.sql("select last_seen_at from ops.tsd_devices")[0][0] < first  # not noted again
        wh.sql("update ops.tsd_devices set last_seen_at = last_seen_at - interval '2 minutes'")
        assert authenticate(conn, token) is not None
        assert wh.sql("select last_seen_at from ops.tsd_devices")[0][0] > first  # noted: a minute had passed
        wh.sql("update ops.tsd_devices set revoked_at = clock_timestamp()")
        assert authenticate(conn, token) is None
