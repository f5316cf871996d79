"""onec_<base> Airflow connections become OneCBase settings: URL, Basic auth, organization, tuning extras."""

from __future__ import annotations

import json

import pytest

from sellerflow.orchestration.connections import onec_base, onec_settings


def test_extras_tune_the_extraction_and_name_the_organization() -> None:
    settings = onec_settings(
        {
            "organization_ref": "47d54d1f-32f3-4ffb-ac16-5354f16308b4",
            "legal_entity_id": "le1",
            "timezone": "Asia/Yekaterinburg",
            "document_page_size": "50",
            "timeout_s": 600,
            "price_types": ["4a0de356-5a23-58ba-840d-a425faa08507"],
            "unknown": "ignored",
        }
    )
    assert settings == {
        "organization_key": "47d54d1f-32f3-4ffb-ac16-5354f16308b4",
        "legal_entity_id": "le1",
        "timezone": "Asia/Yekaterinburg",
        "document_page_size": 50,
        "timeout_s": 600.0,
        "price_types": ("4a0de356-5a23-58ba-840d-a425faa08507",),
    }


def test_connection_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    conn = {
        "conn_type": "http",
        "host": "http://1c.example/ut_main/odata/standard.odata",
        "login": "odata.ut_main",
        "password": "s3cret",
        "extra": {"organization_ref": "47d54d1f-32f3-4ffb-ac16-5354f16308b4", "refs_per_request": 10},
    }
    monkeypatch.setenv("AIRFLOW_CONN_ONEC_UT_MAIN", json.dumps(conn))
    base = onec_base("onec_ut_main")
    assert base.base_id == "ut_main"
    assert base.odata_url == "http://1c.example/ut_main/odata/standard.odata"
    assert (base.username, base.password) == ("odata.ut_main", "s3cret")
    assert base.organization_key == "47d54d1f-32f3-4ffb-ac16-5354f16308b4"
    assert base.refs_per_request == 10
    assert "s3cret" not in repr(base)


def test_a_host_that_is_not_an_odata_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_ONEC_BAD", json.dumps({"conn_type": "http", "host": "http://1c.example/ut"})
    )
    with pytest.raises(ValueError, match="OData URL"):
        onec_base("onec_bad")
