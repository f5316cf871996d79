-- docker-compose: the postgres image creates the Airflow metadata database; add the warehouse beside it.
-- Run as POSTGRES_USER (from the generated .env), which so owns it: no role name is written here.
create database sellerflow_warehouse;
