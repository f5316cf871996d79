"""Acceptance: generated scenario → emulators over HTTP → real extraction → real `dbt build` → the reconciliation
agrees with the scenario's ground truth.

The expectations come only from ``ground_truth.json`` (what the generator did and injected), never from the
SQL under test. Marketplaces are covered as their extraction lands; 1C is always extracted.
"""

from __future__ import annotations

import importlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from sellerflow.extract.account import extract_account
from sellerflow.orchestration import dbt_cycle
from sellerflow.orchestration.connections import onec_settings
from sellerflow.orchestration.dbt import prepare_raw_tables
from sellerflow.orchestration.dbt_cli import DBT_PROJECT_DIR, run_dbt
from sellerflow.sources.onec import OneCBase
from sellerflow.sources.onec.extract import extract_catalogs, extract_documents, extract_stock
from sellerflow.warehouse.migrations import migrate
from sellerflow_emulators.megamarket.reports import export_reports
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.testing import serve_in_thread
from sellerflow_emulators.testing.extract import FAST, accounts

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# Marketplaces whose extraction exists (all four now).
MARKETPLACES = ["ozon", "wildberries", "yandex_market", "megamarket"]
# Megamarket has no catalog API: its offers are known from the shipments that carry them, so an unmapped offer
# nobody ordered cannot be listed there.
CATALOG_LISTS_EVERY_OFFER = {"ozon", "wildberries", "yandex_market"}
# 30 days straddling a month end: the September reports are out at the clock, October is still open.
SCENARIO = ("--seed", "3", "--days", "30", "--orders-per-day", "150", "--start", "2026-09-15")
STATUSES = (
    "matched",
    "amount_mismatch",
    "quantity_mismatch",
    "awaiting_report",
    "missing_in_report",
    "reported_not_shipped",
    "returned",
    "return_not_received",
    "duplicate_in_report",
    "cancelled_but_reported",
)


@dataclass(frozen=True)
class Outcome:
    """The scenario's ground truth and what the warehouse concluded."""

    truth: dict
    dsn: str
    dbt_output: str
    world_dir: Path


def _test_pace(marketplace: str, state: EmulatorState) -> dict[str, Any]:
    """Lift vendor quotas that would make a 30-day backfill take minutes (the vendors' own test helpers);
    returns the connection extras that match on the client side."""
    if marketplace == "wildberries":
        from sellerflow_emulators.testing.wildberries import SPEED, apply_limits, scaled_limits

        emulator, client = scaled_limits(SPEED)
        apply_limits(state, emulator)
        return {"rate_limits": client}
    if marketplace == "yandex_market":
        from sellerflow_emulators.testing.yandex_market import TEST_EXTRA, relax_report_quota

        relax_report_quota(state)
        return {k: v for k, v in TEST_EXTRA.items() if k != "horizon_days"}
    return {}


def _extract(world_dir: Path, state: EmulatorState, dsn: str) -> None:
    """Run the extraction the DAGs run: every 1C base, then every covered marketplace's cabinets."""
    document = json.loads((world_dir / "accounts.json").read_text())
    now = state.now()
    with ExitStack() as stack:
        onec_url = stack.enter_context(
            serve_in_thread(importlib.import_module("sellerflow_emulators.onec").create_app(state))
        )
        for conn in document["connections"]:
            if not conn["conn_id"].startswith("onec_"):
                continue
            path = conn["host"].split("/", 3)[3]  # <base>/odata/standard.odata
            base = OneCBase(
                conn["conn_id"].removeprefix("onec_"),
                f"{onec_url}/{path}",
                conn["login"],
                conn["password"],
                **onec_settings(conn["extra"]),
            )
            for step in (extract_catalogs, extract_documents, extract_stock):
                step(base, dsn, "acceptance", now)
        for marketplace in MARKETPLACES:
            app = importlib.import_module(f"sellerflow_emulators.{marketplace}").create_app(state)
            url = stack.enter_context(serve_in_thread(app))
            extra = _test_pace(marketplace, state)
            if marketplace == "megamarket":  # no report API: the seller drops the cabinet's files
                export_reports(state.conn(), state.now(), world_dir / "drop")
                extra["report_folder"] = str(world_dir / "drop" / "{account_id}")
            for account in accounts(world_dir, marketplace, url, horizon_days=45, **extra):
                extract_account(account, dsn, "acceptance", now, force=True, client_options=FAST)


def _prepare_raw_tables(dsn: str) -> None:
    """What transform_dbt's check_raw_quality does first: every raw table dbt reads exists, empty if need be."""
    prepare_raw_tables(dsn)


def _dbt_build(dsn: str, target: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`dbt build` of the project on the test's warehouse (its own target and log paths)."""
    return run_dbt(dsn, target, "build", *extra)


@pytest.fixture(scope="module")
def own_warehouse() -> Iterator[str]:
    """A warehouse database of this module alone (the session one also holds other tests' worlds)."""
    admin = os.environ.get("SELLERFLOW_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"sellerflow_test_recon_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}" owner sellerflow')
    params = conninfo_to_dict(admin)
    try:
        yield f"postgresql://sellerflow:sellerflow@{params.get('host') or '127.0.0.1'}:{params.get('port') or 5432}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory, own_warehouse: str) -> Outcome:
    warehouse_dsn = own_warehouse
    world_dir = tmp_path_factory.mktemp("reconciliation_world")
    subprocess.run(
        [sys.executable, "-m", "sellerflow_emulators", "scenario", *SCENARIO, "--out", str(world_dir)],
        check=True,
        capture_output=True,
    )
    migrate(warehouse_dsn)
    _extract(world_dir, EmulatorState(world_dir / "world.sqlite"), warehouse_dsn)
    _prepare_raw_tables(warehouse_dsn)
    built = _dbt_build(warehouse_dsn, tmp_path_factory.mktemp("dbt"))
    assert built.returncode == 0, built.stdout[-5000:]
    dbt_cycle.record_whole_build(
        warehouse_dsn, dbt_cycle.project_version()
    )  # as the transform's producer does
    truth = json.loads((world_dir / "ground_truth.json").read_text())
    return Outcome(truth, warehouse_dsn, built.stdout, world_dir)


def _ours(outcome: Outcome, marketplace: str) -> list[tuple]:
    with psycopg.connect(outcome.dsn) as conn:
        return conn.execute(
            "select account_id, order_number, offer_id, status, is_mapped, article "
            "from marts.reconciliation_order_lines where marketplace = %s",
            (marketplace,),
        ).fetchall()


def _expected(outcome: Outcome, marketplace: str) -> dict[tuple[str, str, str], str]:
    return {
        (r["account"], r["order_number"], r["offer_id"]): r["status"]
        for r in outcome.truth["expected"]
        if r["marketplace"] == marketplace
    }


def test_the_build_records_itself_for_the_transform_gate(outcome: Outcome) -> None:
    """A whole-project build that passed is in ops.dbt_builds (what transform_dbt's gate compares loads with)."""
    with psycopg.connect(outcome.dsn) as conn:
        rows = conn.execute("select succeeded, started_at < finished_at from ops.dbt_builds").fetchall()
    assert rows == [(True, True)]


def test_the_scenario_exercises_every_status(outcome: Outcome) -> None:
    every = Counter(r["status"] for r in outcome.truth["expected"] if r["marketplace"] in MARKETPLACES)
    assert set(every) == set(STATUSES), f"the covered marketplaces must show every status: {every}"
    for marketplace in MARKETPLACES:
        counts = Counter(_expected(outcome, marketplace).values())
        assert len(counts) >= 6, f"{marketplace} shows too few statuses to test: {counts}"


@pytest.mark.parametrize("marketplace", MARKETPLACES)
def test_precision_and_recall_are_one_for_every_status(outcome: Outcome, marketplace: str) -> None:
    expected = _expected(outcome, marketplace)
    ours = {(a, o, f): s for a, o, f, s, mapped, _ in _ours(outcome, marketplace) if mapped}
    report = []
    for status in STATUSES:
        truth_keys = {k for k, s in expected.items() if s == status}
        our_keys = {k for k, s in ours.items() if s == status}
        hits = len(truth_keys & our_keys)
        precision = hits / len(our_keys) if our_keys else 1.0
        recall = hits / len(truth_keys) if truth_keys else 1.0
        if precision < 1 or recall < 1:
            wrong = sorted((k, expected.get(k), ours.get(k)) for k in truth_keys ^ our_keys)[:5]
            report.append(f"{status}: precision {precision:.3f} recall {recall:.3f}, e.g. {wrong}")
    assert not report, "\n".join(report)


@pytest.mark.parametrize("marketplace", MARKETPLACES)
def test_every_non_injected_reported_shipment_is_matched(outcome: Outcome, marketplace: str) -> None:
    injected = {
        (d["account"], d["order_number"], d["offer_id"])
        for d in outcome.truth["discrepancies"]
        if d["marketplace"] == marketplace
    }
    settled = {
        key
        for key, status in _expected(outcome, marketplace).items()
        if key not in injected and status != "awaiting_report"
    }
    ours = {(a, o, f): s for a, o, f, s, mapped, _ in _ours(outcome, marketplace) if mapped}
    assert len(settled) > 100
    assert {key: ours.get(key) for key in settled if ours.get(key) != "matched"} == {}


@pytest.mark.parametrize("marketplace", MARKETPLACES)
def test_unmapped_offers_are_listed_and_their_lines_flagged(outcome: Outcome, marketplace: str) -> None:
    unmapped = [u for u in outcome.truth["unmapped_offers"] if u["marketplace"] == marketplace]
    with psycopg.connect(outcome.dsn) as conn:
        listed = set(
            conn.execute(
                "select account_id, offer_id from marts.unmapped_products where marketplace = %s",
                (marketplace,),
            ).fetchall()
        )
    every = {(u["account"], u["offer_id"]) for u in unmapped}
    ordered = {(u["account"], u["offer_id"]) for u in unmapped if u["lines"]}
    if marketplace in CATALOG_LISTS_EVERY_OFFER:
        assert listed == every
    else:
        assert ordered <= listed <= every
    flagged = {(a, o) for a, o, _, _, mapped, _ in _ours(outcome, marketplace) if not mapped}
    lines = {(u["account"], line["order_number"]) for u in unmapped for line in u["lines"]}
    assert lines, "the scenario has orders of unmapped offers"
    assert lines <= flagged


@pytest.mark.parametrize("marketplace", MARKETPLACES)
def test_an_unmapped_sku_is_one_unmapped_product_line(outcome: Outcome, marketplace: str) -> None:
    """Each line of an unmapped offer the ground truth lists is one reconciliation line with status unmapped_product
    (its report line and the 1C shipment paired by order number), never a missing_in_report + reported_not_shipped
    pair, and the ground truth says unmapped_product too."""
    truth = {
        (u["account"], line["order_number"], u["offer_id"]): line["status"]
        for u in outcome.truth["unmapped_offers"]
        if u["marketplace"] == marketplace
        for line in u["lines"]
    }
    assert set(truth.values()) == {"unmapped_product"}
    unmapped_rows: dict[tuple[str, str], list[tuple[str | None, str]]] = {}
    for account, order, offer, status, mapped, _ in _ours(outcome, marketplace):
        if not mapped:
            unmapped_rows.setdefault((account, order), []).append((offer, status))
    expected: dict[tuple[str, str], list[tuple[str | None, str]]] = {}
    for account, order, offer in truth:
        expected.setdefault((account, order), []).append((offer, "unmapped_product"))
    wrong = {
        key: (sorted(unmapped_rows.get(key, []), key=str), sorted(lines, key=str))
        for key, lines in expected.items()
        if sorted(unmapped_rows.get(key, []), key=str) != sorted(lines, key=str)
    }
    assert dict(list(wrong.items())[:5]) == {}


def test_the_summary_counts_unmapped_product_lines_in_their_own_column(outcome: Outcome) -> None:
    """reconciliation_summary.unmapped_product_lines per marketplace is the number of unmapped_product lines the
    ground truth lists, like every other status's column."""
    truth = Counter(
        u["marketplace"]
        for u in outcome.truth["unmapped_offers"]
        for line in u["lines"]
        if line["status"] == "unmapped_product"
    )
    with psycopg.connect(outcome.dsn) as conn:
        ours = dict(
            conn.execute(
                "select marketplace, sum(unmapped_product_lines)::int from marts.reconciliation_summary"
                " group by 1 having sum(unmapped_product_lines) > 0"
            ).fetchall()
        )
    assert truth
    assert ours == dict(truth)


@pytest.mark.parametrize("marketplace", MARKETPLACES)
def test_matched_lines_carry_the_commission_the_marketplace_charged(
    outcome: Outcome, marketplace: str
) -> None:
    """A matched line's reported commission is what the world's report charged for that sale (seller's sign:
    a charge is negative) — for Yandex Market it comes from the separate services report."""
    world = sqlite3.connect(outcome.world_dir / "world.sqlite")
    charged = dict(
        ((account, order, offer), kop)
        for account, order, offer, kop in world.execute(
            "select r.account_id, l.order_number, l.offer_id, sum(l.commission_kop) from report_lines l"
            " join reports r on r.id = l.report_id join accounts a on a.id = r.account_id"
            " where a.marketplace = ? and l.operation = 'sale' group by 1, 2, 3",
            (marketplace,),
        )
    )
    world.close()
    with psycopg.connect(outcome.dsn) as conn:
        matched = conn.execute(
            "select account_id, order_number, offer_id, reported_commission from marts.reconciliation_order_lines"
            " where marketplace = %s and status = 'matched'",
            (marketplace,),
        ).fetchall()
    assert len(matched) > 100
    wrong = [
        (tuple(key), ours, charged.get(tuple(key)))
        for *key, ours in matched
        if -ours * 100 != charged.get(tuple(key))
    ]
    assert wrong[:5] == []


def test_each_report_sums_to_the_vendors_stated_total_to_the_kopeck(outcome: Outcome) -> None:
    """Every report whose vendor states a total (WB bankPaymentSum, Ozon's row totals, Megamarket's Итого) is
    met by the sum of its lines to the kopeck; the difference column the accountant sees is 0."""
    with psycopg.connect(outcome.dsn) as conn:
        rows = conn.execute(
            "select marketplace, account_id, report_id, stated_difference_kop from marts.reconciliation_summary"
            " where report_stated_payout is not null"
        ).fetchall()
    assert {r[0] for r in rows} >= {"wildberries", "ozon"}, rows[:3]
    assert [r for r in rows if r[3] != 0] == []


def test_ozon_logistics_per_order_come_from_the_accruals(outcome: Outcome) -> None:
    """Ozon's realization rows hold no logistics: a matched Ozon line's logistics is the accruals Ozon attributed to
    its posting (Logistic and LastMileCourier), and the world charged every delivered posting some."""
    with psycopg.connect(outcome.dsn) as conn:
        logistics = [
            r[0]
            for r in conn.execute(
                "select reported_logistics from marts.reconciliation_order_lines"
                " where marketplace = 'ozon' and status = 'matched'"
            )
        ]
    assert len(logistics) > 100
    assert [v for v in logistics if not v < 0] == []


def test_ozon_accrual_postings_give_each_postings_units(outcome: Outcome) -> None:
    """/v1/finance/accrual/postings, staged, gives per posting and SKU the units by-day does not carry: the net
    quantity of its SaleCommission accruals (69; a return's seller_price is negative) is what the world reported."""
    world = sqlite3.connect(outcome.world_dir / "world.sqlite")
    reported = dict(
        ((account, posting, int(sku)), units)
        for account, posting, sku, units in world.execute(
            "select r.account_id, l.posting_number, f.mp_sku,"
            " sum(case l.operation when 'sale' then l.quantity else -l.quantity end) from report_lines l"
            " join reports r on r.id = l.report_id join accounts a on a.id = r.account_id"
            " join offers f on f.account_id = r.account_id and f.offer_id = l.offer_id"
            " join meta m on m.key = 'clock'"
            " where a.marketplace = 'ozon' and l.operation in ('sale', 'return') and l.operation_at <= m.value"
            " and coalesce(l.posting_number, '') <> '' group by 1, 2, 3"
        )
    )
    world.close()
    with psycopg.connect(outcome.dsn) as conn:
        ours = dict(
            ((account, posting, sku), int(units))
            for account, posting, sku, units in conn.execute(
                "select account_id, posting_number, sku, sum(sign(seller_price) * quantity)"
                " from staging.stg_ozon__accrual_postings where type_id = 69 group by 1, 2, 3"
            )
        )
    assert len(reported) > 100
    assert {k: (v, ours.get(k)) for k, v in reported.items() if ours.get(k) != v} == {}


def test_wildberries_public_formula_is_shown_not_trusted(outcome: Outcome) -> None:
    """bankPaymentSum is the total; the public formula leaves out rebilled logistics, cashback and WB's corrections,
    so where the world has them the two differ — kept visible beside each other."""
    with psycopg.connect(outcome.dsn) as conn:
        rows = conn.execute(
            "select total_payout, public_formula_payout, total_additional_payment"
            " from staging.stg_wildberries__realization_reports"
        ).fetchall()
    assert rows
    assert any(stated != formula for stated, formula, _ in rows)


def test_unit_economics_carry_every_charge_kind(outcome: Outcome) -> None:
    """The charges the world drew (WB acceptance and deductions, Ozon last mile, storage, acquiring) reach the
    weekly unit economics."""
    with psycopg.connect(outcome.dsn) as conn:
        sums = dict(
            conn.execute(
                "select marketplace, array[sum(logistics), sum(last_mile), sum(storage), sum(acceptance),"
                " sum(deductions), sum(acquiring), sum(other)] from marts.unit_economics_weekly group by 1"
            ).fetchall()
        )
    wb = dict(zip(("logistics", "last_mile", "storage", "acceptance", "deductions", "acquiring", "other"),
                  sums["wildberries"], strict=True))  # fmt: skip
    ozon = dict(zip(("logistics", "last_mile", "storage", "acceptance", "deductions", "acquiring", "other"),
                    sums["ozon"], strict=True))  # fmt: skip
    assert [k for k in ("logistics", "storage", "acceptance", "deductions") if not wb[k] < 0] == []
    assert wb["other"] != 0, "rebilled logistics, cashback and WB's additional payments"
    assert [k for k in ("logistics", "last_mile", "storage", "acquiring") if not ozon[k] < 0] == []


def test_unit_economics_carry_the_1c_cost_price(outcome: Outcome) -> None:
    """Every mapped SKU-week has the cost price the world's 1C keeps for that item, and the margin nets it out."""
    world = sqlite3.connect(outcome.world_dir / "world.sqlite")
    cost_kop = dict(world.execute("select ref_key, cost_kop from products").fetchall())
    world.close()
    with psycopg.connect(outcome.dsn) as conn:
        weeks = conn.execute(
            "select product_ref::text, cost_price, units_sold, units_returned, payout, margin "
            "from marts.unit_economics_weekly where product_ref is not null"
        ).fetchall()
    assert len(weeks) > 100
    wrong = [w for w in weeks if w[1] is None or w[1] * 100 != cost_kop[w[0]]]
    assert wrong == []
    assert all(
        margin == payout - (sold - returned) * cost for _, cost, sold, returned, payout, margin in weeks
    )


RECONCILIATION_COLUMNS = (
    "marketplace, account_id, order_number, product_key, status, shipped_quantity, shipped_amount, "
    "reported_quantity, reported_sales, reported_returns, reported_payout, report_id"
)


# Incremental models (and the views over them) whose every row an incremental cycle must get right.
INCREMENTAL_RELATIONS = (
    "intermediate.int_marketplace__order_lines",
    "intermediate.int_marketplace__report_lines",
    "intermediate.int_onec_lines_keyed",
    "intermediate.int_report_lines_keyed",
    "marts.fct_order_lines",
    "marts.fct_orders",
    "marts.fct_marketplace_transactions",
    "marts.unit_economics_weekly",
    "marts.order_to_shipment",
    "marts.returns_rate",
)


def _snapshot(dsn: str) -> tuple[set[tuple], set[tuple], dict[str, set[tuple]]]:
    with psycopg.connect(dsn) as conn:
        lines = set(conn.execute(f"select {RECONCILIATION_COLUMNS} from marts.reconciliation_order_lines"))
        summary = set(
            conn.execute(
                "select account_id, report_id, order_lines, matched_lines, awaiting_report_lines, "
                "missing_in_report_lines, unmapped_product_lines, unmapped_lines, reported_payout, "
                "report_total_payout, ties_out "
                "from marts.reconciliation_summary"
            )
        )
        # Every column, landed_at too: a full rebuild derives it from the same raw rows.
        relations = {name: set(conn.execute(f"select * from {name}")) for name in INCREMENTAL_RELATIONS}
    return lines, summary, relations


def _recorded_builds(dsn: str) -> list[bool]:
    with psycopg.connect(dsn) as conn:
        return [ok for (ok,) in conn.execute("select succeeded from ops.dbt_builds order by started_at")]


def _manifest() -> dict[str, Any]:
    return json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())


def _materialized(unique_id: str) -> str | None:
    return _manifest()["nodes"].get(unique_id, {}).get("config", {}).get("materialized")


def _views_over_tables() -> set[str]:
    """Views that read a table model, directly or through other views."""
    manifest = _manifest()
    kind = {uid: node["config"].get("materialized") for uid, node in manifest["nodes"].items()}
    found: set[str] = set()
    todo = [uid for uid, materialized in kind.items() if materialized == "table"]
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if kind.get(child) == "view" and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _late_sales_at(truth: dict, clock: str) -> dict[tuple[str, str, str], str]:
    """The status the ground truth gives each late-reported sale's line at ``clock`` (its ``status_over_time``),
    for lines nothing else was injected into."""
    kinds: dict[tuple[str, str, str], set[str]] = {}
    for d in truth["discrepancies"]:
        kinds.setdefault((d["account"], d["order_number"], d["offer_id"]), set()).add(d["kind"])
    mapped = {(r["account"], r["order_number"], r["offer_id"]) for r in truth["expected"]}
    out = {}
    for d in truth["discrepancies"]:
        key = (d["account"], d["order_number"], d["offer_id"])
        if d["kind"] == "report_delay" and kinds[key] == {"report_delay"} and key in mapped:
            out[key] = [s["status"] for s in d["details"]["status_over_time"] if s["from"] <= clock][-1]
    return out


def test_an_incremental_cycle_equals_a_full_rebuild(outcome: Outcome, tmp_path: Path) -> None:
    """Runs last (it moves the world on): 26 days later, with new orders, shipments, the October reports and
    WB weeks past the 45-day window, the incremental build must give exactly what a full rebuild gives; the WB
    sales the world reports late cross from awaiting_report to missing_in_report and to matched as their periods'
    reports come out, as the ground truth's status_over_time says."""
    from sellerflow_emulators import clock

    state = EmulatorState(outcome.world_dir / "world.sqlite")
    before = _snapshot(outcome.dsn)[0]
    moved = clock.advance(state.conn(), state.now() + timedelta(days=26, hours=12), orders_per_day=40)
    assert moved.orders_added > 0
    assert moved.reports_built > 0
    _extract(outcome.world_dir, state, outcome.dsn)
    cycle = dbt_cycle.plan(outcome.dsn)
    assert not cycle.whole_project, cycle.reason
    builds = _recorded_builds(outcome.dsn)
    incremental = _dbt_build(outcome.dsn, tmp_path / "incremental", *cycle.flags)
    assert incremental.returncode == 0, incremental.stdout[-5000:]
    assert _recorded_builds(outcome.dsn) == [*builds, True], "the cycle's build is recorded for the gate"
    results = json.loads((tmp_path / "incremental" / "target" / "run_results.json").read_text())["results"]
    built = {r["unique_id"] for r in results}
    rebuilt_views = {uid for uid in built if uid.startswith("model.") and _materialized(uid) == "view"}
    quiet_views = {uid for uid in _views_over_tables() if uid.split(".")[-1] in cycle.left_out}
    assert rebuilt_views == _views_over_tables() - quiet_views, (
        "the cycle re-creates only the views a table's rebuild drops"
    )
    quiet = {uid for uid in built if uid.split(".")[-1] in cycle.left_out}
    assert quiet == set(), "a quiet node is left out of the build"
    tests = {uid.split(".")[2] for uid in built if uid.startswith("test.")}
    assert "primary_key_sync_ozon__stocks_item_key" in tests, "the pushed views' tests run every cycle"
    assert not [t for t in tests if "stg_ozon__products_" in t], "a view over raw is tested when it is built"
    after_incremental = _snapshot(outcome.dsn)
    assert after_incremental[0] != before, "the weeks brought changes"
    late_before = _late_sales_at(outcome.truth, outcome.truth["clock"])
    late_now = _late_sales_at(outcome.truth, moved.clock_to)
    assert set(late_before.values()) == {"awaiting_report"}
    assert {"missing_in_report", "matched"} <= set(late_now.values()), late_now
    with psycopg.connect(outcome.dsn) as conn:
        ours = {
            (a, o, f): s
            for a, o, f, s in conn.execute(
                "select account_id, order_number, offer_id, status from marts.reconciliation_order_lines"
                " where marketplace = 'wildberries'"
            )
        }
    assert {k: (s, ours.get(k)) for k, s in late_now.items() if ours.get(k) != s} == {}
    full = _dbt_build(outcome.dsn, tmp_path / "full", "--full-refresh")
    assert full.returncode == 0, full.stdout[-5000:]
    after_full = _snapshot(outcome.dsn)
    assert after_incremental[0] ^ after_full[0] == set()
    assert after_incremental[1] ^ after_full[1] == set()
    for name in INCREMENTAL_RELATIONS:
        differ = after_incremental[2][name] ^ after_full[2][name]
        assert differ == set(), f"{name}: {len(differ)} rows differ, e.g. {sorted(differ, key=str)[:3]}"
