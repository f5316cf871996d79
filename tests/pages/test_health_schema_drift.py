"""The health page lists the open schema drifts (ops.schema_drift) and stops listing one once acknowledged."""

from __future__ import annotations

import psycopg

from sellerflow.quality.schema_drift import Finding, acknowledge, record_finding

PAGES = "/sellerflow/pages"


def _health(context, airflow_ui):
    page = context.new_page()
    answer = page.goto(f"{airflow_ui.base_url}{PAGES}/health")
    assert answer is not None
    assert answer.status == 200, f"HTTP {answer.status}"
    page.wait_for_load_state("networkidle")
    return page


def test_health_shows_an_open_schema_drift_until_it_is_acknowledged(
    pages_warehouse, logged_in, airflow_ui
) -> None:
    finding = Finding(
        "prices", "acquiring", "retyped", "number", {"string"}, records=12, sample_key="MUG-01001"
    )
    with psycopg.connect(pages_warehouse.dsn) as conn:
        record_finding(conn, "ozon", "ozon_main", "prices", "pages-test", finding)
        (drift_id,) = conn.execute(
            "select id from ops.schema_drift where entity = 'prices' and field_path = 'acquiring'"
        ).fetchone()

    page = _health(logged_in, airflow_ui)
    row = page.locator(f"#schema-drift tr[data-kind='retyped']:has(td:text-is('{drift_id}'))")
    assert row.count() == 1
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[1:6] == ["raw.ozon_prices", "acquiring", "другой тип", "number", "string"]
    assert cells[6] == "ozon_main"
    assert cells[7] == "12"
    assert cells[10].startswith("MUG-01001")
    assert (
        page.locator("#schema-drift-count")
        .inner_text()
        .endswith(str(page.locator("#schema-drift tr[data-kind]").count()))
    )
    page.close()

    with psycopg.connect(pages_warehouse.dsn) as conn:
        assert acknowledge(conn, [drift_id]) == 1
    page = _health(logged_in, airflow_ui)
    assert page.locator(f"#schema-drift td:text-is('{drift_id}')").count() == 0
    page.close()
