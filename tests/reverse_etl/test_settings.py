"""What the push DAG copies from connections (never a secret), and the dry-run switch."""

from __future__ import annotations

import pytest

from sellerflow.orchestration.marketplaces import account_from_fields
from sellerflow.reverse_etl.accounts import reservation_settings
from sellerflow.reverse_etl.orchestration import is_dry_run


def test_settings_carry_the_1c_placement_and_no_secret() -> None:
    account = account_from_fields(
        "mp_ozon_main",
        "https://api-seller.ozon.ru",
        "12345",
        "secret-api-key",
        {
            "onec_base": "ut_main",
            "warehouse_onec_refs": {"24472642646043": "783d1efa-2704-46f1-beb1-a8da258aa702"},
            "onec_partner_key": "994ec373-cc6a-5562-9928-8f76b7597850",
        },
    )
    settings = reservation_settings(account, {"ut_main": "47d54d1f-32f3-4ffb-ac16-5354f16308b4"})
    assert settings["onec_base"] == "ut_main"
    assert settings["organization_key"] == "47d54d1f-32f3-4ffb-ac16-5354f16308b4"
    assert settings["partner_key"] == "994ec373-cc6a-5562-9928-8f76b7597850"
    assert settings["warehouse_onec_refs"] == {"24472642646043": "783d1efa-2704-46f1-beb1-a8da258aa702"}
    assert "secret-api-key" not in repr(settings)
    assert "12345" not in repr(settings)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, False),
        ("", False),
        ("false", False),
        ("true", True),
        ("True", True),
        ('["onec_reservations"]', True),
        ('["ozon_stocks"]', False),
    ],
)
def test_the_dry_run_variable(raw: str | None, expected: bool) -> None:
    assert is_dry_run(raw, "onec_reservations") is expected


def test_a_garbled_dry_run_variable_is_an_error_not_a_live_run() -> None:
    with pytest.raises(ValueError, match="sellerflow_reverse_etl_dry_run"):
        is_dry_run("maybe", "onec_reservations")
