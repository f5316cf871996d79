"""
### transform_dbt — the dbt project, one Airflow task per model and its tests after it

Rendered by Cosmos from `dbt/target/manifest.json`; runs whenever an extract DAG updates a raw
table it depends on (Assets `warehouse.raw.*`). The dbt profile comes from the Airflow
connection `sellerflow_warehouse`. Models land in the `staging`, `intermediate` and `marts`
schemas of the warehouse.
"""

from __future__ import annotations

from airflow.sdk import AssetAny
from cosmos import DbtDag

from sellerflow.orchestration.assets import RAW_ONEC_PRODUCTS
from sellerflow.orchestration.dbt import execution_config, profile_config, project_config, render_config
from sellerflow.orchestration.defaults import DEFAULT_ARGS, START_DATE
from sellerflow.orchestration.marketplace_assets import all_raw_assets

transform_dbt = DbtDag(
    dag_id="transform_dbt",
    project_config=project_config(),
    profile_config=profile_config(),
    execution_config=execution_config(),
    render_config=render_config(),
    schedule=AssetAny(RAW_ONEC_PRODUCTS, *all_raw_assets()),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "retries": 1},
    tags=["sellerflow", "dbt", "transform"],
    doc_md=__doc__,
)
