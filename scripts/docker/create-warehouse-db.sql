-- docker-compose: the postgres image creates the Airflow metadata database; add the warehouse beside it.
create database sellerflow_warehouse owner sellerflow;
