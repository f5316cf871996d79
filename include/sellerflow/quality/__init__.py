"""Data-quality checks with Great Expectations, run as Airflow tasks; results kept in ops.quality_results."""
