"""The 1C OData client against the 1C emulator over real HTTP: paging, query safety, virtual tables, errors,
retries. The world comes from the real scenario generator."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sellerflow.sources.onec import (
    OneCAuthError,
    OneCBase,
    OneCBusinessError,
    OneCClient,
    OneCLoginPageError,
    OneCNotPublishedError,
    OneCQueryError,
    iter_entity,
    odata,
)
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.onec import create_app
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread

BASE = "ut_main"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("onec_world")
    subprocess.run(
        [sys.executable, "-m", "sellerflow_emulators", "scenario", "--seed", "11", "--days", "3",
         "--orders-per-day", "30", "--out", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    return out / "world.sqlite"


@pytest.fixture(scope="module")
def state(world: Path) -> EmulatorState:
    return EmulatorState(world)


@pytest.fixture(scope="module")
def url(state: EmulatorState) -> Iterator[str]:
    with serve_in_thread(create_app(state)) as base_url:
        yield base_url


@pytest.fixture(autouse=True)
def no_faults(state: EmulatorState) -> Iterator[None]:
    state.faults.clear()
    yield
    state.faults.clear()


def make_base(url: str, world: Path, **settings: object) -> OneCBase:
    with sqlite3.connect(world) as conn:
        username, password = conn.execute(
            "select username, password from onec_bases where id = ?", (BASE,)
        ).fetchone()
    password = str(settings.pop("password", password))
    defaults: dict[str, object] = {"retry_initial_s": 0.01, "retry_max_s": 0.05, "timeout_s": 5.0}
    return OneCBase(BASE, f"{url}/{BASE}/odata/standard.odata", username, password, **(defaults | settings))  # type: ignore[arg-type]


def world_count(world: Path, sql: str, *params: object) -> int:
    with sqlite3.connect(world) as conn:
        return int(conn.execute(sql, params).fetchone()[0])


def faults(state: EmulatorState, *rules: dict[str, object]) -> None:
    state.faults.configure("onec", [parse_rule(rule) for rule in rules])


# -- query text -------------------------------------------------------------------------------


def test_literals_quote_strings_and_render_guids_and_local_datetimes() -> None:
    assert odata.string_literal("Кружка 'Утро'") == "'Кружка ''Утро'''"
    assert odata.literal(odata.Guid("6AA4221B-CFBE-4644-B8F2-7817621CFB5F")) == (
        "guid'6aa4221b-cfbe-4644-b8f2-7817621cfb5f'"
    )
    moment = datetime(2026, 9, 15, 9, 30, tzinfo=UTC)
    assert odata.literal(moment, ZoneInfo("Europe/Moscow")) == "datetime'2026-09-15T12:30:00'"
    condition = odata.condition(odata.eq("Склад_Key", odata.Guid("783d1efa-2704-46f1-beb1-a8da258aa702")))
    assert condition == "'Склад_Key eq guid''783d1efa-2704-46f1-beb1-a8da258aa702'''"


@pytest.mark.parametrize("bad", ["Date eq 1 or Ref_Key", "Артикул)", "", "1Date", "a/"])
def test_property_paths_reject_anything_but_names(bad: str) -> None:
    with pytest.raises(ValueError, match="not an OData property path"):
        odata.eq(bad, 1)


def test_bad_guid_and_aware_datetime_without_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="badly formed"):
        odata.Guid("guid' or 1 eq 1 or '")
    with pytest.raises(ValueError, match="time zone"):
        odata.literal(datetime(2026, 1, 1, tzinfo=UTC))


def test_query_string_encodes_spaces_as_percent_20() -> None:
    text = odata.query_string({"$filter": "Артикул eq 'a b'", "$top": "5"})
    assert "+" not in text
    assert "%20eq%20" in text
    assert text.endswith("&$top=5")


def test_a_quote_in_a_value_cannot_widen_the_filter(url: str, world: Path) -> None:
    with OneCClient(make_base(url, world)) as client:
        where = odata.eq("Артикул", "x' or Артикул ne 'x")
        rows = [r for page in client.pages("Catalog_Номенклатура", lambda r: r["Ref_Key"], order=["Ref_Key"], where=where) for r in page]  # fmt: skip
    assert rows == []


# -- paging -------------------------------------------------------------------------------------


def test_pages_read_the_whole_catalog_once_in_small_pages(url: str, world: Path) -> None:
    base = make_base(url, world, page_size=7)
    refs = [r["Ref_Key"] for page in iter_entity(base, "Catalog_Номенклатура") for r in page]
    assert len(refs) == len(set(refs))
    assert len(refs) == world_count(world, "select count(*) from products where base_id = ?", BASE)


def test_paging_survives_duplicate_and_shifted_pages(url: str, world: Path, state: EmulatorState) -> None:
    faults(
        state,
        {"kind": "duplicate_page", "count": 2, "paths": "*Catalog_Номенклатура"},
        {"kind": "shifted_page", "count": 2, "shift": 3, "paths": "*Catalog_Номенклатура"},
    )
    with OneCClient(make_base(url, world, page_size=20)) as client:
        records, complete = client.list_complete(
            "Catalog_Номенклатура", lambda r: r["Ref_Key"], order=["Ref_Key"]
        )
    served = [rule["faults_served"] for rule in state.faults.snapshot()["onec"]]
    assert served == [2, 2], "both faults hit the listing"
    assert complete
    assert len(records) == world_count(world, "select count(*) from products where base_id = ?", BASE)


def test_by_refs_fetches_exactly_the_requested_documents(url: str, world: Path) -> None:
    with sqlite3.connect(world) as conn:
        refs = [r[0] for r in conn.execute(
            "select ref_key from onec_documents where base_id = ? and doc_type = 'ЗаказКлиента' limit 30", (BASE,)
        )]  # fmt: skip
    with OneCClient(make_base(url, world, refs_per_request=7)) as client:
        got = [r["Ref_Key"] for page in client.by_refs("Document_ЗаказКлиента", refs) for r in page]
        assert client.requests_made == 5  # ceil(30 / 7)
    assert sorted(got) == sorted(refs)


# -- virtual tables ------------------------------------------------------------------------------


def test_balance_with_a_condition_returns_one_warehouse(url: str, world: Path) -> None:
    with sqlite3.connect(world) as conn:
        warehouse, expected = conn.execute(
            "select w.external_id, sum(s.in_stock) from onec_stock s join warehouses w on w.id = s.warehouse_id"
            " where w.owner = ? group by w.external_id order by w.external_id limit 1",
            (f"onec:{BASE}",),
        ).fetchone()
    where = odata.eq("Склад_Key", odata.Guid(warehouse))
    with OneCClient(make_base(url, world, page_size=50)) as client:
        rows = [r for p in client.balance("AccumulationRegister_ТоварыНаСкладах", ["Номенклатура_Key", "Склад_Key"], where=where) for r in p]  # fmt: skip
    assert {r["Склад_Key"] for r in rows} == {warehouse}
    assert sum(r["ВНаличииBalance"] for r in rows) == expected
    assert all("КОтгрузкеBalance" in r for r in rows)


def test_slice_last_per_price_type(url: str, world: Path) -> None:
    dims = ["Номенклатура_Key", "ВидЦены_Key"]
    with OneCClient(make_base(url, world)) as client:
        every = [r for p in client.slice_last("InformationRegister_ЦеныНоменклатуры", dims) for r in p]
        one_type = every[0]["ВидЦены_Key"]
        where = odata.eq("ВидЦены_Key", odata.Guid(one_type))
        sliced = [
            r for p in client.slice_last("InformationRegister_ЦеныНоменклатуры", dims, where=where) for r in p
        ]
    assert {r["ВидЦены_Key"] for r in sliced} == {one_type}
    assert 0 < len(sliced) < len(every)
    assert len({(r["Номенклатура_Key"], r["ВидЦены_Key"]) for r in every}) == len(every)


# -- errors and retries ----------------------------------------------------------------------------


def test_business_error_code_minus_one_is_readable_and_not_retried(
    url: str, world: Path, state: EmulatorState
) -> None:
    faults(state, {"kind": "server_error", "status": 500, "count": 1})
    with OneCClient(make_base(url, world)) as client, pytest.raises(OneCBusinessError) as caught:
        client.get_json("Catalog_Склады")
    assert client.requests_made == 1
    assert caught.value.code == "-1"
    assert "ut_main" in str(caught.value)
    assert "1C error code -1" in str(caught.value)
    assert "внутренняя ошибка" in str(caught.value)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_web_server_5xx_pages_are_retried(url: str, world: Path, state: EmulatorState, status: int) -> None:
    faults(state, {"kind": "server_error", "status": status, "count": 2})
    with OneCClient(make_base(url, world)) as client:
        body = client.get_json("Catalog_Склады")
    assert client.requests_made == 3
    assert body["value"]


def test_a_timeout_is_retried(url: str, world: Path, state: EmulatorState) -> None:
    faults(state, {"kind": "timeout", "delay_s": 2.0, "count": 1})
    with OneCClient(make_base(url, world, timeout_s=0.5)) as client:
        body = client.get_json("Catalog_Склады")
    assert client.requests_made == 2
    assert body["value"]


def test_retries_stop_after_max_attempts(url: str, world: Path, state: EmulatorState) -> None:
    faults(state, {"kind": "server_error", "status": 502, "count": 10})
    with (
        OneCClient(make_base(url, world, max_attempts=3)) as client,
        pytest.raises(Exception, match="HTTP 502"),
    ):
        client.get_json("Catalog_Склады")
    assert client.requests_made == 3


def test_html_login_page_with_http_200_is_detected(url: str, world: Path, state: EmulatorState) -> None:
    faults(state, {"kind": "expired_token", "count": 1})
    with OneCClient(make_base(url, world)) as client, pytest.raises(OneCLoginPageError, match="HTML page"):
        client.get_json("Catalog_Склады")


def test_wrong_password_is_an_auth_error_with_code_20(url: str, world: Path) -> None:
    base = make_base(url, world, password="wrong")
    with OneCClient(base) as client, pytest.raises(OneCAuthError) as caught:
        client.get_json("Catalog_Склады")
    assert caught.value.code == "20"
    assert "onec_ut_main" in str(caught.value)


def test_unpublished_object_says_so_with_code_8(url: str, world: Path) -> None:
    with OneCClient(make_base(url, world)) as client, pytest.raises(OneCNotPublishedError) as caught:
        client.get_json("Catalog_ХарактеристикиНоменклатуры")
    assert caught.value.code == "8"
    assert "OData composition" in str(caught.value)


def test_unknown_property_in_filter_is_a_query_error_not_retried(url: str, world: Path) -> None:
    with OneCClient(make_base(url, world)) as client, pytest.raises(OneCQueryError) as caught:
        client.count("Catalog_Номенклатура", odata.eq("НетТакогоРеквизита", 1))
    assert client.requests_made == 1
    assert caught.value.code == "14"


def test_a_moved_first_page_of_a_virtual_table_is_reported(
    url: str, world: Path, state: EmulatorState
) -> None:
    dims = ["Номенклатура_Key", "Склад_Key"]
    with OneCClient(make_base(url, world, page_size=5000)) as client:
        whole = client.balance("AccumulationRegister_ТоварыНаСкладах", dims)
        rows = [r for page in whole for r in page]
        faults(state, {"kind": "shifted_page", "count": 1, "shift": 3, "paths": "*Balance*"})
        moved = client.balance("AccumulationRegister_ТоварыНаСкладах", dims)
        shifted = [r for page in moved for r in page]
    assert whole.verified is True
    assert moved.verified is False, "the $top=1 re-read shows the first page had moved"
    assert len(shifted) == len(rows) - 3
