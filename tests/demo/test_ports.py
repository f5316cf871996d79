"""The demo's connections point at this installation's emulators, whatever ports the setup chose."""

from __future__ import annotations

import pytest

from sellerflow.demo.__main__ import on_our_emulators


def test_emulator_urls_move_to_the_installations_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SELLERFLOW_EMULATOR_BASE_PORT", "18590")
    assert on_our_emulators("http://127.0.0.1:18101") == "http://127.0.0.1:18591"
    assert on_our_emulators("http://127.0.0.1:18105/ut_main/odata/standard.odata") == (
        "http://127.0.0.1:18595/ut_main/odata/standard.odata"
    )
    assert on_our_emulators(None) is None
