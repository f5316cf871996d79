"""Airflow-facing glue shared by the DAG files: default args, Assets, account discovery, dbt wiring."""
