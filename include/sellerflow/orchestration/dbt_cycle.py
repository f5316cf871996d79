"""What one transform cycle builds: the whole dbt project once per version of it, then what changes with the data.

Views and seeds change only when the project's files change, yet ``dbt build`` re-creates every view (a lock on
each, which waits for the analysts' queries reading it) and reloads every seed each time: at demo scale they and
their tests were half the nodes of a 10-minute build and half its time. So a cycle builds:

- the **whole project** when the warehouse has not yet had a successful whole-project build of this version of the
  project (a hash of the project's files, ``ops.dbt_project_versions``), or when one of the project's views or
  seeds is missing from it (dropped by hand, a restored backup);
- otherwise the **cycle** selector of ``dbt/selectors.yml``: every incremental and table model with its data
  tests, and the tests of the views that are pushed or handed to the handhelds.

The nightly ``dbt_nightly`` run builds and tests everything. Used by the transform's producer
(``dbt_watcher.publish_statuses``) and by the benchmarks, so they time the same build.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg

from sellerflow.orchestration.dbt_cli import DBT_PROJECT_DIR

CYCLE_SELECTOR = "cycle"
# What is not the project: dbt's output, installed packages (packages.yml is hashed), the connection profile.
_NOT_PROJECT = {"target", "logs", "dbt_packages", "profiles.yml", ".user.yml"}
_NOT_A_CYCLE = {"--select", "-s", "--models", "-m", "--exclude", "--selector", "--full-refresh"}


@dataclass(frozen=True)
class CycleBuild:
    """The selection flags of one cycle's ``dbt build`` (none: the whole project) and why."""

    flags: tuple[str, ...]
    reason: str
    project_version: str

    @property
    def whole_project(self) -> bool:
        return not self.flags


def is_cycle_build(command: Sequence[str]) -> bool:
    """Whether a dbt command line is a plain build of the whole project (the transform's): nothing selected, no
    full refresh. Only such a build is narrowed to the cycle, or recorded as a whole-project build."""
    return "build" in command and not _NOT_A_CYCLE & set(command)


def project_version(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """A hash of every file of the dbt project (models, macros, seeds, tests, dbt_project.yml, selectors.yml…)."""
    digest = hashlib.sha256()
    for path in sorted(project_dir.rglob("*")):
        relative = path.relative_to(project_dir)
        if not path.is_file() or relative.parts[0] in _NOT_PROJECT or "__pycache__" in relative.parts:
            continue
        digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def built_once_relations(manifest_path: Path) -> list[tuple[str, str]]:
    """(schema, name) of every view and seed of the project, from its parsed manifest."""
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return sorted(
        (node["schema"], node.get("alias") or node["name"])
        for node in nodes
        if node["resource_type"] == "seed"
        or (node["resource_type"] == "model" and node["config"].get("materialized") == "view")
    )


def plan(dsn: str, manifest_path: Path | None = None, project_dir: Path = DBT_PROJECT_DIR) -> CycleBuild:
    """What this cycle's ``dbt build`` selects in the warehouse of ``dsn`` (see the module docstring)."""
    version = project_version(project_dir)
    relations = built_once_relations(manifest_path or project_dir / "target" / "manifest.json")
    with psycopg.connect(dsn, autocommit=True) as conn:
        built = conn.execute(
            "select exists (select from ops.dbt_project_versions where project_version = %s)", (version,)
        ).fetchone()
        present = conn.execute(
            "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " join unnest(%s::text[], %s::text[]) as r(schema_name, relation) "
            " on n.nspname = r.schema_name and c.relname = r.relation",
            ([s for s, _ in relations], [r for _, r in relations]),
        ).fetchone()
    if not (built and built[0]):
        return CycleBuild((), f"the whole project: version {version} of it was never built here", version)
    missing = len(relations) - (present[0] if present else 0)
    if missing:
        return CycleBuild(
            (), f"the whole project: {missing} of its views and seeds are missing here", version
        )
    return CycleBuild(
        ("--selector", CYCLE_SELECTOR),
        f"the cycle: version {version} of the project is built here (its views and seeds are left as they are)",
        version,
    )


def record_whole_build(dsn: str, version: str) -> None:
    """Note that a whole-project build of ``version`` succeeded in the warehouse of ``dsn``."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "insert into ops.dbt_project_versions (project_version) values (%s) on conflict (project_version)"
            " do update set last_built_at = clock_timestamp()",
            (version,),
        )
