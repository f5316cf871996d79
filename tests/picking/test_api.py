"""The TSD API over real HTTP (uvicorn on a free port) on a real Postgres."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid

import httpx
import psycopg

from sellerflow.picking.devices import token_hash

from .conftest import WH, WH2, Served, Warehouse, unit


def _lists(wh: Warehouse) -> list[int]:
    return [r[0] for r in wh.sql("select id from ops.pick_lists order by id")]


def _scan(
    c: httpx.Client, list_id: int, barcode: str, qty: int = 1, scan_id: str | None = None
) -> httpx.Response:
    body = {"scan_id": scan_id or str(uuid.uuid4()), "barcode": barcode, "quantity": qty}
    return c.post(f"/pick-lists/{list_id}/scans", json=body)


def test_claim_scan_finish_with_a_shortage(wh: Warehouse, served: Served) -> None:
    wh.set_demand(
        [
            unit("wildberries", "9001", "WB-01", order_group="U1", cell="B-01"),
            unit("wildberries", "9002", "WB-01", order_group="U1", cell="B-01"),
            unit("ozon", "0001-1", "OZ-07", 2, cell="A-01"),
        ]
    )
    wh.build()
    (list_id,) = _lists(wh)
    with served.client(wh.device("tsd-01")) as c:
        listed = c.get("/pick-lists").json()
        assert [(p["id"], p["status"], p["units"]) for p in listed["pick_lists"]] == [(list_id, "open", 4)]
        doc = c.post(f"/pick-lists/{list_id}/claim").json()
        assert doc["claimed_by_me"] is True
        assert [line["cell"] for line in doc["lines"]] == ["A-01", "B-01"]
        ok = _scan(c, list_id, "460OZ-07", 2)
        assert ok.status_code == 200, ok.text
        assert (ok.json()["qty_picked"], ok.json()["qty_planned"]) == (2, 2)
        assert _scan(c, list_id, "460WB-01\r\n").json()["qty_picked"] == 1  # the wedge's CR/LF is trimmed
        done = c.post(f"/pick-lists/{list_id}/finish")
        assert done.status_code == 200, done.text
        body = done.json()
        assert (body["orders_assembled"], body["orders_short"]) == (2, 1)
        assert [(s["posting_number"], s["short"]) for s in body["shortages"]] == [("9002", 1)]
        assert c.get("/pick-lists").json()["pick_lists"] == []
        again = c.post(f"/pick-lists/{list_id}/finish").json()  # a retried finish is harmless
        assert again["already_finished"] is True
    assert wh.sql(
        "select posting_number, short_units, assembled_at is not null from ops.pick_list_orders order by posting_number"
    ) == [("0001-1", 0, True), ("9001", 0, True), ("9002", 1, True)]


def test_scans_are_idempotent_by_scan_id(wh: Warehouse, served: Served) -> None:
    wh.set_demand([unit("ozon", "0001-1", "OZ-07", 3)])
    wh.build()
    (list_id,) = _lists(wh)
    with served.client(wh.device("tsd-01")) as c:
        c.post(f"/pick-lists/{list_id}/claim").raise_for_status()
        first = _scan(c, list_id, "460OZ-07", 2, scan_id="s-1").json()
        second = _scan(c, list_id, "460OZ-07", 2, scan_id="s-1").json()
        assert (first["result"], second["result"]) == ("ok", "duplicate")
        assert second["qty_picked"] == 2
    assert wh.sql("select sum(picked) from ops.pick_list_items") == [(2,)]
    assert wh.sql("select count(*) from ops.pick_list_scans") == [(1,)]


def test_refusals_are_clear(wh: Warehouse, served: Served) -> None:
    wh.set_demand([unit("ozon", "0001-1", "OZ-07", 1), unit("ozon", "0009-1", "OZ-09", 1, warehouse_key=WH2)])
    wh.build()
    mine, other = _lists(wh)
    with httpx.Client(base_url=served.api) as anonymous:
        assert anonymous.get("/pick-lists").status_code == 401
        assert (
            anonymous.get("/pick-lists", headers={"Authorization": "Bearer tsd_nope"}).json()["error"]
            == "bad_token"
        )
    with served.client(wh.device("tsd-01")) as c, served.client(wh.device("tsd-02")) as c2:
        wrong = c.post(f"/pick-lists/{other}/claim")
        assert (wrong.status_code, wrong.json()["error"]) == (403, "wrong_warehouse")
        assert "Второй" not in wrong.json()["detail"] or "belongs to warehouse" in wrong.json()["detail"]
        assert c.get("/pick-lists/999999").status_code == 404
        not_claimed = _scan(c, mine, "460OZ-07")
        assert (not_claimed.status_code, not_claimed.json()["error"]) == (409, "not_claimed")
        c.post(f"/pick-lists/{mine}/claim").raise_for_status()
        taken = c2.post(f"/pick-lists/{mine}/claim")
        assert (taken.status_code, taken.json()["error"]) == (409, "claimed_by_other")
        unknown = _scan(c, mine, "0000000000000")
        assert (unknown.status_code, unknown.json()["error"]) == (422, "unknown_barcode")
        assert "not on pick list" in unknown.json()["detail"]
        over = _scan(c, mine, "460OZ-07", 2)
        assert (over.status_code, over.json()["error"], over.json()["left"]) == (409, "over_pick", 1)
        _scan(c, mine, "460OZ-07").raise_for_status()
        assert "already picked" in _scan(c, mine, "460OZ-07").json()["detail"]
        wh.sql("update ops.pick_lists set claim_expires_at = now() - interval '1 second' where id = %s", mine)
        expired = _scan(c, mine, "460OZ-07")
        assert (expired.status_code, expired.json()["error"]) == (409, "claim_expired")
        assert c.post(f"/pick-lists/{mine}/finish").json()["error"] == "claim_expired"
        # an expired claim can be taken over by another device of the warehouse
        assert c2.post(f"/pick-lists/{mine}/claim").status_code == 200
        assert c.post(f"/pick-lists/{mine}/claim").json()["error"] == "claimed_by_other"


def test_a_struck_order_is_shown_and_refused(wh: Warehouse, served: Served) -> None:
    rows = [
        unit("megamarket", "MM-1", "MM-01", unit_ref="1"),
        unit("ozon", "0001-1", "OZ-07", 1),
        unit("wildberries", "9001", "WB-01", unit_ref="9001"),
    ]
    wh.set_demand(rows)
    wh.build()
    (list_id,) = _lists(wh)
    with served.client(wh.device("tsd-01")) as c:
        c.post(f"/pick-lists/{list_id}/claim").raise_for_status()
        rows[0]["is_cancelled"] = True
        wh.set_demand(rows)
        wh.build()
        doc = c.get(f"/pick-lists/{list_id}").json()
        assert [e["kind"] for e in doc["events"]] == ["order_struck"]
        assert (
            c.get(f"/pick-lists/{list_id}", params={"since_event": doc["events"][0]["id"]}).json()["events"]
            == []
        )
        refused = _scan(c, list_id, "460MM-01")
        assert (refused.status_code, refused.json()["error"]) == (409, "order_cancelled")
        # an order that left the marketplace's new-order lists without a cancellation: struck, told, refused
        rows[1].update(vendor_status="awaiting_deliver", awaiting_assembly=False)
        wh.set_demand(rows)
        wh.build()
        doc = c.get(f"/pick-lists/{list_id}").json()
        assert [e["kind"] for e in doc["events"]] == ["order_struck", "order_struck"]
        assert "no longer awaiting assembly" in doc["events"][1]["message"]
        left = _scan(c, list_id, "460OZ-07")
        assert (left.status_code, left.json()["error"]) == (409, "order_struck")
        assert "awaiting_deliver" in left.json()["detail"]


def test_two_devices_never_hold_the_same_list(wh: Warehouse, served: Served) -> None:
    wh.set_demand([unit("ozon", f"{n:04d}-1", "OZ-07", 1, order_group=f"G{n}") for n in range(8)])
    wh.build(max_orders=1)
    lists = _lists(wh)
    tokens = [wh.device(f"tsd-{n:02d}") for n in range(16)]
    barrier = threading.Barrier(len(tokens))
    won: dict[int, list[str]] = {list_id: [] for list_id in lists}
    lock = threading.Lock()

    def grab(token: str) -> None:
        with served.client(token) as c:
            barrier.wait()
            for list_id in lists:
                if c.post(f"/pick-lists/{list_id}/claim").status_code == 200:
                    with lock:
                        won[list_id].append(token)

    threads = [threading.Thread(target=grab, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(holders) == 1 for holders in won.values()), won
    holders = wh.sql("select claimed_by from ops.pick_lists where status = 'claimed'")
    assert len(holders) == len(lists)


def test_openapi_document(served: Served) -> None:
    spec = httpx.get(served.url + "/openapi.json").json()
    assert spec["info"]["title"] == "sellerflow TSD"
    paths = spec["paths"]
    for path in (
        "/pick-lists",
        "/pick-lists/{list_id}/claim",
        "/pick-lists/{list_id}/scans",
        "/pick-lists/{list_id}/finish",
    ):
        assert "/api/v1" + path in paths
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    scans = paths["/api/v1/pick-lists/{list_id}/scans"]["post"]
    assert {"409", "422", "403"} <= set(scans["responses"])


def test_cli_issues_hashed_tokens_and_revokes(wh: Warehouse, served: Served) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sellerflow.picking", "--dsn", wh.dsn, *args],
            capture_output=True,
            text=True,
        )

    issued = cli("token", "issue", "--device", "tsd-cli", "--warehouse", WH)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.startswith("tsd_")
    with psycopg.connect(wh.dsn) as conn:
        stored = conn.execute(
            "select token_hash, warehouse_key from ops.tsd_devices where name = 'tsd-cli'"
        ).fetchone()
        dump = conn.execute("select row_to_json(d)::text from ops.tsd_devices d").fetchall()
    assert stored == (token_hash(token), WH)
    assert all(token not in row[0] for row in dump)
    assert cli("token", "issue", "--device", "tsd-cli", "--warehouse", WH).returncode == 1
    listing = cli("token", "list")
    assert "tsd-cli" in listing.stdout
    assert token not in listing.stdout
    with served.client(token) as c:
        assert c.get("/me").json() == {"device": "tsd-cli", "warehouse_key": WH}
        assert cli("token", "revoke", "--device", "tsd-cli").returncode == 0
        assert c.get("/me").status_code == 401
