"""What a transform cycle builds: the whole project once per version of it (and when a view or seed is missing),
then the `cycle` selector less the quiet models; on a real Postgres, with a small stand-in project."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from tests.dbt_macros import macro_sql

from sellerflow.orchestration import dbt_cycle
from sellerflow.orchestration.dbt_cli import DBT_PROJECT_DIR
from sellerflow.warehouse import migrate


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with one view and one seed in its manifest."""
    root = tmp_path / "dbt"
    (root / "models").mkdir(parents=True)
    (root / "target").mkdir()
    (root / "dbt_project.yml").write_text("name: stand_in\nvars:\n  incremental_overlap_minutes: 10\n")
    (root / "models" / "v.sql").write_text("select 1 as x\n")
    nodes = {
        "model.p.v": {"resource_type": "model", "schema": "marts", "name": "v", "alias": "v",
                      "config": {"materialized": "view"}},
        "model.p.t": {"resource_type": "model", "schema": "marts", "name": "t", "alias": "t",
                      "config": {"materialized": "incremental"}},
        "seed.p.s": {"resource_type": "seed", "schema": "staging", "name": "s", "alias": "s", "config": {}},
    }  # fmt: skip
    (root / "target" / "manifest.json").write_text(json.dumps({"nodes": nodes, "sources": {}}))
    return root


def test_the_version_follows_the_projects_files_not_dbts_output(project: Path) -> None:
    version = dbt_cycle.project_version(project)
    (project / "target" / "run_results.json").write_text("{}")
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("a line")
    assert dbt_cycle.project_version(project) == version
    (project / "models" / "v.sql").write_text("select 2 as x\n")
    assert dbt_cycle.project_version(project) != version


def test_the_real_projects_version_is_stable() -> None:
    assert dbt_cycle.project_version(DBT_PROJECT_DIR) == dbt_cycle.project_version(DBT_PROJECT_DIR)


def test_a_cycle_builds_the_whole_project_until_this_version_was_built(fresh_dsn: str, project: Path) -> None:
    migrate(fresh_dsn)
    with psycopg.connect(fresh_dsn, autocommit=True) as conn:
        conn.execute("create schema marts; create view marts.v as select 1 as x")
        conn.execute("create schema staging; create table staging.s (x int)")
    first = dbt_cycle.plan(fresh_dsn, project_dir=project)
    assert first.whole_project
    assert "never built" in first.reason
    dbt_cycle.record_whole_build(fresh_dsn, first.project_version)
    second = dbt_cycle.plan(fresh_dsn, project_dir=project)
    assert second.flags == ("--select", "selector:cycle"), "no watermark yet: nothing is quiet"
    (project / "models" / "v.sql").write_text("select 2 as x\n")  # the project changed: build it whole once
    changed = dbt_cycle.plan(fresh_dsn, project_dir=project)
    assert changed.whole_project
    assert changed.project_version != first.project_version


def test_a_missing_view_or_seed_brings_the_whole_project_back(fresh_dsn: str, project: Path) -> None:
    migrate(fresh_dsn)
    with psycopg.connect(fresh_dsn, autocommit=True) as conn:
        conn.execute("create schema marts; create schema staging; create table staging.s (x int)")
    dbt_cycle.record_whole_build(fresh_dsn, dbt_cycle.project_version(project))
    plan = dbt_cycle.plan(fresh_dsn, project_dir=project)
    assert plan.whole_project
    assert "1 of its views and seeds are missing" in plan.reason


@pytest.mark.parametrize(
    ("command", "cycle"),
    [
        (["build"], True),
        (["build", "--exclude-resource-type", "unit_test"], True),
        (["build", "--select", "dim_dates"], False),  # a cleared model task, or a test's narrow build
        (["build", "--full-refresh"], False),
        (["run"], False),
    ],
)
def test_only_a_plain_whole_build_is_narrowed_to_the_cycle(command: list[str], cycle: bool) -> None:
    assert dbt_cycle.is_cycle_build(command) is cycle


# A stand-in graph: raw.a → stg_a (incremental); raw.b → stg_b (incremental) → v_b (view); fct (table) reads
# stg_a and v_b; v_fct (view) over fct; sync (view) reads fct and ops.outbox_acknowledged; a test on each model.
def _model(name: str, materialized: str, *parents: str) -> dict:
    return {"resource_type": "model", "schema": "marts", "name": name, "alias": name,
            "config": {"materialized": materialized}, "depends_on": {"nodes": list(parents)}}  # fmt: skip


def _test(name: str, parent: str) -> dict:
    return {
        "resource_type": "test",
        "schema": "marts",
        "name": name,
        "config": {},
        "depends_on": {"nodes": [parent]},
    }


GRAPH = {
    "nodes": {
        "model.p.stg_a": _model("stg_a", "incremental", "source.p.raw.a"),
        "model.p.stg_b": _model("stg_b", "incremental", "source.p.raw.b", "seed.p.codes"),
        "model.p.v_b": _model("v_b", "view", "model.p.stg_b"),
        "model.p.fct": _model("fct", "table", "model.p.stg_a", "model.p.v_b"),
        "model.p.v_fct": _model("v_fct", "view", "model.p.fct"),
        "model.p.sync": _model("sync", "view", "model.p.fct", "source.p.ops.acknowledged"),
        "model.p.pushed": _model("pushed", "table", "model.p.stg_a", "source.p.ops.acknowledged"),
        "seed.p.codes": {"resource_type": "seed", "schema": "staging", "name": "codes", "config": {}},
        "test.p.t_stg_a": _test("t_stg_a", "model.p.stg_a"),
        "test.p.t_stg_b": _test("t_stg_b", "model.p.stg_b"),
        "test.p.t_fct": _test("t_fct", "model.p.fct"),
        "test.p.t_sync": _test("t_sync", "model.p.sync"),
    },
    "sources": {
        "source.p.raw.a": {"schema": "raw", "identifier": "a"},
        "source.p.raw.b": {"schema": "raw", "identifier": "b"},
        "source.p.ops.acknowledged": {"schema": "ops", "identifier": "outbox_acknowledged"},
    },
}


@pytest.fixture
def warehouse(fresh_dsn: str) -> str:
    migrate(fresh_dsn)
    with psycopg.connect(fresh_dsn, autocommit=True) as conn:
        conn.execute("create schema marts")
        for node in GRAPH["nodes"].values():
            if node["config"].get("materialized") in ("table", "incremental"):
                conn.execute(f"create table marts.{node['name']} (id int)")
        for table in ("a", "b"):
            conn.execute(
                f"create table raw.{table} (id int, extracted_at timestamptz not null default now())"
            )
            conn.execute(f"insert into raw.{table} (id, extracted_at) values (1, now() - interval '1 day')")
    return fresh_dsn


# The horizon the pre-hook records: the snapshot's xmin, not held back by other databases' transactions (the
# other tests' databases, on a shared server).
DATABASE_XMIN = macro_sql("latest_version.sql", "database_xmin").replace(
    "%", "%%"
)  # a psycopg query with parameters


def _build(dsn: str, *models: str, oldest: str = "now()") -> None:
    """Record each model's watermark as its build's pre-hook does, one transaction per model, in order."""
    for model in models:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "insert into ops.dbt_watermarks (relation, run_started_at, snapshot_xmin, oldest_xact_start)"
                f" select %s, now(), {DATABASE_XMIN}, {oldest}"
                " on conflict (relation) do update set run_started_at = excluded.run_started_at,"
                " snapshot_xmin = excluded.snapshot_xmin, oldest_xact_start = excluded.oldest_xact_start",
                (f"marts.{model}",),
            )


def _quiet(dsn: str, overlap: timedelta = timedelta(0)) -> list[str]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return dbt_cycle.quiet_nodes(conn, GRAPH, overlap)


def test_models_nothing_new_reached_are_left_out_with_their_tests_and_views(warehouse: str) -> None:
    assert _quiet(warehouse) == [], "never built: no watermark, nothing is quiet"
    _build(warehouse, "stg_a", "stg_b", "fct", "pushed")
    # pushed reads an ops table: never quiet. The views over quiet tables are left as they are (sync too: a view
    # holds no rows), but a view's test (t_sync) always runs: what it reads may have changed.
    everything = ["fct", "stg_a", "stg_b", "sync", "t_fct", "t_stg_a", "t_stg_b", "v_b", "v_fct"]
    assert _quiet(warehouse) == everything
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("insert into raw.b (id) values (2)")
    assert _quiet(warehouse) == ["stg_a", "t_stg_a"], "stg_b has a new row, and fct reads it through a view"


def test_a_model_whose_parent_was_rebuilt_after_it_is_not_quiet(warehouse: str) -> None:
    _build(warehouse, "stg_a", "stg_b", "fct")
    _build(warehouse, "stg_a")  # its last cycle built stg_a, then fct failed (its watermark rolled back)
    assert _quiet(warehouse) == ["stg_a", "stg_b", "t_stg_a", "t_stg_b", "v_b"]
    _build(warehouse, "fct")
    assert "fct" in _quiet(warehouse)


def test_a_row_landed_by_a_transaction_open_before_the_build_is_new_to_it(warehouse: str) -> None:
    with psycopg.connect(warehouse) as loader:
        started = loader.execute("select now()").fetchone()[0]  # a load begins, then the cycle builds
        _build(warehouse, "stg_a", "stg_b", "fct", oldest=f"'{started.isoformat()}'::timestamptz")
        loader.execute(
            "insert into raw.a (id) values (2)"
        )  # extracted_at: the load's start, before the build
    assert "stg_a" not in _quiet(warehouse), "committed after the build's snapshot: not seen, so not quiet"
    assert "stg_b" in _quiet(warehouse)


def test_the_overlap_widens_the_landing_bound(warehouse: str) -> None:
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("insert into raw.a (id, extracted_at) values (2, now() - interval '5 minutes')")
    _build(warehouse, "stg_a", "stg_b", "fct")
    assert "stg_a" in _quiet(warehouse, timedelta(0))
    assert "stg_a" not in _quiet(warehouse, timedelta(minutes=10)), "landed within the overlap: read again"


def test_a_missing_raw_table_has_nothing_new(warehouse: str) -> None:
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("drop table raw.b")
    _build(warehouse, "stg_a", "stg_b", "fct")
    assert {"stg_a", "stg_b", "fct"} <= set(_quiet(warehouse))


def test_a_model_missing_from_the_warehouse_is_not_quiet(warehouse: str) -> None:
    _build(warehouse, "stg_a", "stg_b", "fct")
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("drop table marts.stg_b")
    assert _quiet(warehouse) == ["stg_a", "t_stg_a"], "stg_b is built again, and fct after it"


def test_after_a_failed_build_nothing_is_left_out(warehouse: str, project: Path) -> None:
    (project / "target" / "manifest.json").write_text(json.dumps(GRAPH))
    dbt_cycle.record_whole_build(warehouse, dbt_cycle.project_version(project))
    with psycopg.connect(warehouse, autocommit=True) as conn:  # the views and the seed a whole build made
        conn.execute("create schema staging; create table staging.codes (x int)")
        for view in ("v_b", "v_fct", "sync"):
            conn.execute(f"create view marts.{view} as select 1 as x")
    _build(warehouse, "stg_a", "stg_b", "fct")
    quiet = dbt_cycle.plan(warehouse, project_dir=project).left_out
    assert "fct" in quiet
    assert quiet == tuple(_quiet(warehouse, timedelta(minutes=10))), "the project's overlap"
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute(
            "insert into ops.dbt_builds (invocation_id, started_at, succeeded) values ('x', now(), false)"
        )
    failed = dbt_cycle.plan(warehouse, project_dir=project)
    assert failed.flags == ("--select", "selector:cycle"), "a test of a quiet model failed: run it again"
    assert "the last build failed" in failed.reason
