"""What one transform cycle builds: the whole dbt project once per version of it, then what changes with the data.

Views and seeds change only when the project's files change, yet ``dbt build`` re-creates every view (a lock on
each, which waits for the analysts' queries reading it) and reloads every seed each time: at demo scale they and
their tests were half the nodes of a 10-minute build and half its time. So a cycle builds:

- the **whole project** when the warehouse has not yet had a successful whole-project build of this version of the
  project (a hash of the project's files, ``ops.dbt_project_versions``), or when one of the project's views or
  seeds is missing from it (dropped by hand, a restored backup);
- otherwise the **cycle** selector of ``dbt/selectors.yml``: every incremental and table model with its data
  tests, and the tests of the views that are pushed or handed to the handhelds — less the **quiet** models (and
  their tests), to which nothing new can have come since their last build (:func:`quiet_nodes`).

A model is quiet when it is in the warehouse and everything it reads, looking through views, is a raw table in
which nothing landed since its last build began, a seed, or a model that is quiet itself and whose last build
committed before that build took its snapshot. Both come from the watermark every table and incremental model
records at its start (``ops.dbt_watermarks``, macro record_watermark): a raw row that build could not see was written by a transaction
open at that moment or begun later, so its ``extracted_at`` is at or after the oldest ``xact_start`` recorded then
(the same bound the incremental models read raw by, macro latest_version). Anything else upstream (an ``ops``
table, a model without a watermark) makes a model not quiet. Models are functions of what they read (the views
that use the clock are views: they are not built, and their tests always run), so a quiet model's build would
write what it holds: at 1M orders a cycle in which one marketplace's orders landed leaves out a third of the
nodes, and each costs dbt about 30 ms of Python whatever it does. After a build that failed nothing is left out,
so a failed model or test is built and tested again every cycle until it passes.

The nightly ``dbt_nightly`` run builds and tests everything. Used by the transform's producer
(``dbt_watcher.publish_statuses``) and by the benchmarks, so they time the same build.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
import yaml
from psycopg import sql

from sellerflow.orchestration.dbt_cli import DBT_PROJECT_DIR

CYCLE_SELECTOR = "cycle"
CYCLE_SELECTION = ("--select", f"selector:{CYCLE_SELECTOR}")  # --selector would ignore --exclude
_BUILT = ("table", "incremental")  # materializations that keep a watermark and can be left out
# What is not the project: dbt's output, installed packages (packages.yml is hashed), the connection profile.
_NOT_PROJECT = {"target", "logs", "dbt_packages", "profiles.yml", ".user.yml"}
_NOT_A_CYCLE = {"--select", "-s", "--models", "-m", "--exclude", "--selector", "--full-refresh"}


@dataclass(frozen=True)
class CycleBuild:
    """The selection flags of one cycle's ``dbt build`` (none: the whole project) and why."""

    flags: tuple[str, ...]
    reason: str
    project_version: str
    left_out: tuple[str, ...] = ()  # the quiet nodes, by name

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


def load_manifest(manifest_path: Path) -> dict[str, Any]:
    """The parsed project's manifest.json."""
    return json.loads(manifest_path.read_text())


def built_once_relations(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(schema, name) of every view and seed of the project, from its manifest."""
    nodes = manifest["nodes"].values()
    return sorted(
        (node["schema"], node.get("alias") or node["name"])
        for node in nodes
        if node["resource_type"] == "seed"
        or (node["resource_type"] == "model" and node["config"].get("materialized") == "view")
    )


def plan(dsn: str, manifest_path: Path | None = None, project_dir: Path = DBT_PROJECT_DIR) -> CycleBuild:
    """What this cycle's ``dbt build`` selects in the warehouse of ``dsn`` (see the module docstring)."""
    version = project_version(project_dir)
    manifest = load_manifest(manifest_path or project_dir / "target" / "manifest.json")
    relations = built_once_relations(manifest)
    with psycopg.connect(dsn, autocommit=True) as conn:
        built = conn.execute(
            "select exists (select from ops.dbt_project_versions where project_version = %s)", (version,)
        ).fetchone()
        if not (built and built[0]):
            return CycleBuild((), f"the whole project: version {version} of it was never built here", version)
        present = conn.execute(
            "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " join unnest(%s::text[], %s::text[]) as r(schema_name, relation) "
            " on n.nspname = r.schema_name and c.relname = r.relation",
            ([s for s, _ in relations], [r for _, r in relations]),
        ).fetchone()
        missing = len(relations) - (present[0] if present else 0)
        if missing:
            return CycleBuild(
                (), f"the whole project: {missing} of its views and seeds are missing here", version
            )
        reason = f"the cycle: version {version} of the project is built here (its views and seeds are left as they are)"
        last = conn.execute(
            "select succeeded from ops.dbt_builds order by started_at desc limit 1"
        ).fetchone()
        if last is not None and not last[0]:
            # a model or test that failed is built and tested again until it passes, even with nothing new
            return CycleBuild(
                CYCLE_SELECTION, f"{reason}; the last build failed: no model is left out", version
            )
        quiet = quiet_nodes(conn, manifest, _overlap(project_dir))
    if quiet:
        reason += f"; {len(quiet)} quiet nodes left out, nothing new reached them"
        return CycleBuild((*CYCLE_SELECTION, "--exclude", *quiet), reason, version, tuple(quiet))
    return CycleBuild(CYCLE_SELECTION, reason, version)


@dataclass(frozen=True)
class _Reads:
    """What a node reads, looking through views: raw tables, table and incremental models, anything else."""

    raw: frozenset[str]  # raw.<table>
    models: frozenset[str]  # unique ids
    other: bool  # an ops table, a source outside raw, a snapshot…


@dataclass(frozen=True)
class _Watermark:
    """A model's last build as its watermark row tells it (ages are counted back from one moment)."""

    present: bool  # the model's relation is in the warehouse
    oldest_xact_start: datetime | None  # the oldest transaction open in the database when it began
    horizon_ok: bool  # its snapshot's xmin is recorded and within 2^31 transactions
    horizon_age: int | None  # age of that xmin
    row_age: int  # age of the transaction that built it (the watermark row's xmin)


def quiet_nodes(conn: psycopg.Connection, manifest: Mapping[str, Any], overlap: timedelta) -> list[str]:
    """Names of the models (and of their data tests) nothing new can have reached since their last build, sorted
    (see the module docstring); ``overlap`` widens the landing-time bound as the incremental models do."""
    graph = _Graph(manifest)
    marks = _watermarks(conn)
    bounds = {uid: _bound(marks.get(graph.relation(uid)), overlap) for uid in graph.built}
    since: dict[str, datetime] = {}
    for uid, bound in bounds.items():
        for table in graph.reads(uid).raw:
            if bound is not None:
                since[table] = min(bound, since.get(table, bound))
    landed = _latest_landings(conn, since)

    @cache
    def quiet(uid: str) -> bool:
        mark, bound, inputs = marks.get(graph.relation(uid)), bounds[uid], graph.reads(uid)
        if mark is None or bound is None or inputs.other:
            return False
        for table in inputs.raw:
            if table not in landed or ((latest := landed[table]) is not None and latest >= bound):
                return False
        for parent in inputs.models:
            parent_mark = marks.get(graph.relation(parent))
            if not quiet(parent) or parent_mark is None or parent_mark.row_age <= (mark.horizon_age or 0):
                return False  # its last build may not have seen the parent's last build
        return True

    return graph.names({uid for uid in graph.built if quiet(uid)})


class _Graph:
    """The project's nodes as the manifest has them, and what each reads."""

    def __init__(self, manifest: Mapping[str, Any]) -> None:
        self.nodes: Mapping[str, Any] = manifest["nodes"]
        self.sources: Mapping[str, Any] = manifest["sources"]
        self.built = {u for u in self.nodes if self._materialized(u) in _BUILT}
        self._reads: dict[str, _Reads] = {}

    def _materialized(self, uid: str) -> str | None:
        node = self.nodes[uid]
        return node["config"].get("materialized") if node["resource_type"] == "model" else None

    def relation(self, uid: str) -> str:
        node = self.nodes[uid]
        return f"{node['schema']}.{node.get('alias') or node['name']}"

    def reads(self, uid: str) -> _Reads:
        """What ``uid`` reads, looking through views and ephemeral models."""
        if uid not in self._reads:
            raw: set[str] = set()
            models: set[str] = set()
            other = False
            for parent in self.nodes[uid].get("depends_on", {}).get("nodes", []):
                if parent in self.sources:
                    source = self.sources[parent]
                    if source["schema"] == "raw":
                        raw.add(f"raw.{source['identifier']}")
                    else:
                        other = True
                elif parent in self.built:
                    models.add(parent)
                elif self._materialized(parent) in ("view", "ephemeral"):
                    through = self.reads(parent)
                    raw, models, other = raw | through.raw, models | through.models, other or through.other
                elif parent not in self.nodes or self.nodes[parent]["resource_type"] != "seed":
                    other = True
            self._reads[uid] = _Reads(frozenset(raw), frozenset(models), other)
        return self._reads[uid]

    def names(self, quiet: set[str]) -> list[str]:
        """The quiet models' names, with the views over them only and the data tests of them only."""
        left_out = set(quiet)
        for uid, node in self.nodes.items():
            parents = node.get("depends_on", {}).get("nodes", [])
            if self._materialized(uid) == "view":
                # re-created only because a table it reads was (a table's swap drops the views over it)
                if self.reads(uid).models and self.reads(uid).models <= quiet:
                    left_out.add(uid)
            elif node["resource_type"] == "test" and parents and all(p in quiet for p in parents):
                left_out.add(uid)
        return sorted(self.nodes[uid]["name"] for uid in left_out)


def _bound(mark: _Watermark | None, overlap: timedelta) -> datetime | None:
    """The landing time from which a raw row may be one the model's last build did not see; None: unknown."""
    if mark is None or not mark.present or not mark.horizon_ok or mark.oldest_xact_start is None:
        return None
    return mark.oldest_xact_start - overlap


def _watermarks(conn: psycopg.Connection) -> dict[str, _Watermark]:
    rows = conn.execute(
        "select relation, to_regclass(relation) is not null, oldest_xact_start,"
        " snapshot_xmin is not null and pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
        "   - snapshot_xmin::text::bigint between 0 and 2147483647,"
        " age(snapshot_xmin::text::xid), age(xmin) from ops.dbt_watermarks"
    ).fetchall()
    return {r[0]: _Watermark(r[1], r[2], bool(r[3]), r[4], r[5]) for r in rows}


def _latest_landings(conn: psycopg.Connection, since: Mapping[str, datetime]) -> dict[str, datetime | None]:
    """For each raw table: the latest ``extracted_at`` at or after its bound (None: nothing landed since); a raw
    table that does not exist has nothing; one without ``extracted_at`` is left out (never quiet)."""
    names = [t.split(".", 1)[1] for t in since]
    rows = conn.execute(
        "select c.relname, exists (select from pg_attribute a where a.attrelid = c.oid"
        " and a.attname = 'extracted_at' and not a.attisdropped)"
        " from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = 'raw' and c.relkind in ('r', 'p') and c.relname = any(%s)",
        (names,),
    ).fetchall()
    present = {name: has for name, has in rows}
    landed: dict[str, datetime | None] = {f"raw.{t}": None for t in names if t not in present}
    queries = [
        sql.SQL("select {name}, max(extracted_at) from raw.{table} where extracted_at >= {since}").format(
            name=sql.Literal(name), table=sql.Identifier(name), since=sql.Literal(since[f"raw.{name}"])
        )
        for name, has in present.items()
        if has
    ]
    if queries:
        for name, latest in conn.execute(sql.SQL(" union all ").join(queries)).fetchall():
            landed[f"raw.{name}"] = latest
    return landed


def _overlap(project_dir: Path) -> timedelta:
    """var incremental_overlap_minutes of dbt_project.yml: the slack the incremental models read raw with."""
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text())
    return timedelta(minutes=float(project["vars"]["incremental_overlap_minutes"]))


def record_whole_build(dsn: str, version: str) -> None:
    """Note that a whole-project build of ``version`` succeeded in the warehouse of ``dsn``."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "insert into ops.dbt_project_versions (project_version) values (%s) on conflict (project_version)"
            " do update set last_built_at = clock_timestamp()",
            (version,),
        )
