# The image every Airflow service in docker-compose.yml runs: Airflow's official image with sellerflow's lock.
# Keep the tag in step with apache-airflow in requirements.txt (a test checks it).
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:root requirements.txt /opt/sellerflow/requirements.txt
RUN pip install --no-cache-dir -r /opt/sellerflow/requirements.txt "apache-airflow==3.3.2"
ENV PYTHONPATH=/opt/airflow/include
