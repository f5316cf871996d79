"""build_extract_dag: one marketplace extract DAG from the shared shape, recorded in the file that calls it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sellerflow.orchestration.accounts import MARKETPLACES
from sellerflow.orchestration.marketplace_dag import build_extract_dag


def test_dag_is_recorded_in_the_file_that_calls_the_factory() -> None:
    dag = build_extract_dag("ozon", schedule="*/10 * * * *", doc_md="Ozon")
    assert dag.fileloc == __file__


@pytest.mark.parametrize("marketplace", MARKETPLACES)
def test_dag_id_pool_tags_and_assets_follow_the_marketplace(marketplace: str) -> None:
    dag = build_extract_dag(marketplace, schedule="*/10 * * * *", doc_md="doc")
    assert dag.dag_id == f"extract_{marketplace}"
    assert dag.get_task("extract_account").pool == marketplace
    assert set(dag.tags) == {"sellerflow", "extract", marketplace}
    outlets = {a.name for a in dag.get_task("publish_assets").outlets}
    assert outlets
    assert all(name.startswith(f"warehouse.raw.{marketplace}_") for name in outlets)


def test_schedule_and_description_are_the_callers() -> None:
    dag = build_extract_dag("megamarket", schedule="0 * * * *", doc_md="### extract_megamarket hourly")
    assert dag.timetable.expression == "0 * * * *"
    assert dag.doc_md == "### extract_megamarket hourly"


def test_task_docs_name_the_marketplace() -> None:
    dag = build_extract_dag("yandex_market", schedule="*/10 * * * *", doc_md="doc")
    assert dag.get_task("list_accounts").doc_md == (
        "Apply pending warehouse migrations, then list the configured Yandex Market cabinets."
    )
    assert dag.get_task("extract_account").doc_md == (
        "Run the due Yandex Market streams of one cabinet into raw.yandex_market_*."
    )


def test_unknown_marketplace_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown marketplace 'kaspi'"):
        build_extract_dag("kaspi", schedule="*/10 * * * *", doc_md="doc")


def test_building_the_dags_loads_no_extraction_or_warehouse_code() -> None:
    """Parsing a DAG file must stay cheap and offline: the task bodies import their work at run time."""
    probe = (
        "import sys\n"
        "from sellerflow.orchestration.accounts import MARKETPLACES\n"
        "from sellerflow.orchestration.marketplace_dag import build_extract_dag\n"
        "for m in MARKETPLACES:\n"
        "    build_extract_dag(m, schedule='*/10 * * * *', doc_md='doc')\n"
        "heavy = ('sellerflow.extract', 'sellerflow.sources', 'sellerflow.warehouse',\n"
        "         'sellerflow.orchestration.marketplaces', 'psycopg.')\n"
        "print(sorted(n for n in sys.modules if n.startswith(heavy) or n == 'psycopg'))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
