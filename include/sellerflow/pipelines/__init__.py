"""Pipeline steps the DAGs call: each takes plain arguments (DSN, account settings) and is testable without Airflow."""
