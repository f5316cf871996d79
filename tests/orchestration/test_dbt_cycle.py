"""What a transform cycle builds: the whole project once per version of it (and when a view or seed is missing),
then the `cycle` selector; on a real Postgres, with a small stand-in project."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from sellerflow.orchestration import dbt_cycle
from sellerflow.orchestration.dbt_cli import DBT_PROJECT_DIR
from sellerflow.warehouse import migrate


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with one view and one seed in its manifest."""
    root = tmp_path / "dbt"
    (root / "models").mkdir(parents=True)
    (root / "target").mkdir()
    (root / "dbt_project.yml").write_text("name: stand_in\n")
    (root / "models" / "v.sql").write_text("select 1 as x\n")
    nodes = {
        "model.p.v": {"resource_type": "model", "schema": "marts", "name": "v", "alias": "v",
                      "config": {"materialized": "view"}},
        "model.p.t": {"resource_type": "model", "schema": "marts", "name": "t", "alias": "t",
                      "config": {"materialized": "incremental"}},
        "seed.p.s": {"resource_type": "seed", "schema": "staging", "name": "s", "alias": "s", "config": {}},
    }  # fmt: skip
    (root / "target" / "manifest.json").write_text(json.dumps({"nodes": nodes}))
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
    assert second.flags == ("--selector", dbt_cycle.CYCLE_SELECTOR)
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
