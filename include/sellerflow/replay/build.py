"""Build the dbt project from raw into the replay's schemas: ``dbt seed`` and ``dbt run --full-refresh``.

``dbt build`` is not used: its on-run-end hook records a whole-project build in ops.dbt_builds, which the transform's
gate reads (a replay is not a live build). dbt writes its target and logs under the replay's work folder, so the
project's own target/ (partial parsing, Cosmos' manifest) is left alone.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sellerflow.orchestration.dbt_cli import run_dbt
from sellerflow.replay.scratch import Scratch


class BuildError(RuntimeError):
    """dbt failed; the message holds the end of its output."""


def build(dsn: str, scratch: Scratch, work_dir: Path, timeout_s: float = 3600) -> None:
    """Seed and run every model into the replay's schemas; raise ``BuildError`` when dbt fails."""
    variables = json.dumps({"schema_prefix": scratch.prefix})
    for command in (["seed", "--full-refresh"], ["run", "--full-refresh"]):
        done: subprocess.CompletedProcess[str] = run_dbt(
            dsn, work_dir, *command, "--vars", variables, timeout_s=timeout_s
        )
        if done.returncode != 0:
            raise BuildError(f"dbt {command[0]} failed:\n{done.stdout[-4000:]}")
