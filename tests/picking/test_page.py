"""The browser TSD page in headless Chromium (Playwright, the session ``browser`` fixture), 480×800, over real
HTTP: token, claim, scans typed as a keyboard-wedge scanner does (code + Enter), a scan made offline kept in
localStorage and sent when the network is back, finish with a shortage.

Screenshots go to a temporary folder; with SELLERFLOW_UPDATE_SCREENSHOTS=1 they also replace
docs/screenshots/tsd_*.png (as the page tests do)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .conftest import Served, Warehouse, unit

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _wedge(page, code: str) -> None:
    """What a keyboard-wedge scanner does: types the code into the focused field, then Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def _shoot(page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / name))
    if os.environ.get("SELLERFLOW_UPDATE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / name, SHOTS / name)


def test_claim_scan_offline_scan_finish(wh: Warehouse, served: Served, browser, tmp_path: Path) -> None:
    wh.set_demand(
        [
            unit("ozon", "31400946-0001-1", "OZ-07", 2, order_number="31400946-0001", cell="A-01-02",
                 product_name="Кружка керамическая 350 мл", barcodes=["4607001234567"]),
            unit("wildberries", "5512001", "WB-11", order_group="U-77", cell="B-03-01",
                 product_name="Футболка хлопок, M", barcodes=["2037718899001"]),
            unit("wildberries", "5512002", "WB-11", order_group="U-77", cell="B-03-01",
                 product_name="Футболка хлопок, M", barcodes=["2037718899001"]),
            unit("megamarket", "MM-900", "MM-05", unit_ref="1", cell="C-10-04",
                 product_name="Чехол для телефона", barcodes=["4600000000053"]),
        ]
    )  # fmt: skip
    wh.build()
    (list_id,) = wh.sql("select id from ops.pick_lists")[0]
    token = wh.device("tsd-page")

    context = browser.new_context(viewport={"width": 480, "height": 800}, device_scale_factor=1)
    page = context.new_page()
    external: list[str] = []
    page.on("request", lambda r: r.url.startswith(served.url) or external.append(r.url))
    page.goto(served.url + "/")
    page.wait_for_selector("#login:not(.hidden)")
    assert page.evaluate("document.activeElement.id") == "scan"
    _wedge(page, token)  # the token is scanned (or typed) into the one input
    button = page.locator(f"button[data-list='{list_id}']")
    button.wait_for()
    _shoot(page, tmp_path, "tsd_1_lists.png")
    button.click()
    page.wait_for_selector("#pick:not(.hidden)")
    assert page.locator("#current .cell").inner_text() == "A-01-02"  # the walk starts at the first cell
    assert page.evaluate("document.activeElement.id") == "scan"  # focus went back to the input after the tap

    _wedge(page, "4607001234567")
    _wedge(page, "4607001234567")
    page.wait_for_function("document.querySelector('#current .cell').textContent === 'B-03-01'")
    _wedge(page, "0000000000000")  # not on the list: a clear error
    page.wait_for_selector("#msg.err")
    assert "not on pick list" in page.locator("#msg").inner_text()
    _shoot(page, tmp_path, "tsd_2_picking_error.png")

    context.set_offline(True)
    _wedge(page, "2037718899001")
    page.wait_for_selector("#msg.warn")
    assert page.locator("#pending").inner_text() == "1"
    assert len(page.evaluate("JSON.parse(localStorage.getItem('tsd.queue'))")) == 1
    _shoot(page, tmp_path, "tsd_3_offline_scan_kept.png")
    assert wh.sql("select sum(picked) from ops.pick_list_items") == [(2,)]
    # the page is reloaded while the API is still unreachable: the scan stays in localStorage
    page.route("**/api/v1/**", lambda route: route.abort("internetdisconnected"))
    context.set_offline(False)
    page.reload()
    page.wait_for_selector("#msg.warn")
    assert len(page.evaluate("JSON.parse(localStorage.getItem('tsd.queue'))")) == 1
    assert wh.sql("select sum(picked) from ops.pick_list_items") == [(2,)]
    page.unroute("**/api/v1/**")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("document.getElementById('pending').textContent === '0'")
    page.wait_for_function(
        "document.querySelector('#current .cell') && document.querySelector('#current .cell').textContent === 'B-03-01'"
    )
    assert wh.sql("select sum(picked) from ops.pick_list_items") == [(3,)]
    assert page.evaluate("document.activeElement.id") == "scan"

    # Megamarket cancels MM-900 while the list is in the picker's hands: the next build strikes it, the page
    # (polling every 5 s) shows the message and the struck line
    cancelled = [dict(row, is_cancelled=row["posting_number"] == "MM-900") for row in wh.rows]
    wh.set_demand(cancelled)
    assert wh.build().postings_struck == 1
    page.wait_for_function("document.getElementById('msg').textContent.includes('MM-900')", timeout=20000)
    assert "cancelled" in page.locator("#msg").inner_text()
    assert page.locator(".line.struck").count() == 1
    _shoot(page, tmp_path, "tsd_4_order_struck.png")

    page.click("#finish")
    page.wait_for_selector("#summary:not(.hidden)")
    summary = page.locator("#summary-body").inner_text()
    assert "завершён" in summary
    assert "не хватает 1" in summary
    _shoot(page, tmp_path, "tsd_5_finished.png")
    assert external == []  # no CDN, nothing outside the app
    context.close()
    assert wh.sql("select status from ops.pick_lists") == [("finished",)]
    assert wh.sql(
        "select posting_number, short_units, struck_at is not null from ops.pick_list_orders order by 1"
    ) == [
        ("31400946-0001-1", 0, False),
        ("5512001", 0, False),
        ("5512002", 1, False),
        ("MM-900", None, True),
    ]
