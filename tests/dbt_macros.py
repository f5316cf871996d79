"""The SQL of one of the dbt project's macros, for tests that run it on a real Postgres outside dbt."""

from __future__ import annotations

import re

from sellerflow.orchestration.dbt_cli import DBT_PROJECT_DIR


def macro_sql(file_name: str, macro: str, params: str = "") -> str:
    """The body of ``{% macro <macro>(<params>) -%}`` in dbt/macros/<file_name>, up to its ``{%- endmacro %}``;
    the caller fills in any Jinja it holds."""
    text = (DBT_PROJECT_DIR / "macros" / file_name).read_text()
    found = re.search(
        r"\{% macro " + re.escape(f"{macro}({params})") + r" -%\}(.*?)\{%- endmacro %\}", text, re.S
    )
    assert found, f"macro {macro} not found in dbt/macros/{file_name}"
    return found.group(1)
