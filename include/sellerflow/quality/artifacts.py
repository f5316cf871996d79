"""Where `dbt docs generate` output is kept after each transform run (the docs site is the artifact)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DOC_FILES = ("index.html", "manifest.json", "catalog.json", "run_results.json")


def docs_dir() -> Path:
    """$SELLERFLOW_DOCS_DIR, else .sellerflow/dbt_docs under $SELLERFLOW_HOME (or the working directory)."""
    explicit = os.environ.get("SELLERFLOW_DOCS_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("SELLERFLOW_HOME", ".sellerflow")) / "dbt_docs"


def keep_docs(project_dir: str, **_: object) -> list[str]:
    """Cosmos docs callback: copy the generated site from the run's temporary project to ``docs_dir()``."""
    target = Path(project_dir) / "target"
    out = docs_dir()
    out.mkdir(parents=True, exist_ok=True)
    kept = []
    for name in DOC_FILES:
        if (target / name).exists():
            shutil.copy2(target / name, out / name)
            kept.append(name)
    return kept
