"""HTTP API served inside Airflow's api-server through the sellerflow plugin (status now; TSD endpoints later)."""
