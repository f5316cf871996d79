"""docker-compose.yml cannot run here (no Docker engine), so its consistency is checked statically."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def pinned_airflow_version() -> str:
    match = re.search(r"^apache-airflow==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)
    assert match, "requirements.txt pins apache-airflow"
    return match.group(1)


def test_service_set(compose: dict) -> None:
    assert set(compose["services"]) >= {"postgres", "redis", "emulators", "airflow-init"} | AIRFLOW_SERVICES


def test_images_follow_the_pinned_airflow_version(compose: dict) -> None:
    version = pinned_airflow_version()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"FROM apache/airflow:{version}-python3.11" in dockerfile
    for name in AIRFLOW_SERVICES:
        assert compose["services"][name]["image"] == f"sellerflow-airflow:{version}", name
    for name, service in compose["services"].items():
        image = service.get("image", "")
        assert ":" in image, f"{name} pins its image tag"
        assert not image.endswith(":latest"), name


def test_every_service_has_a_healthcheck_or_runs_once(compose: dict) -> None:
    for name, service in compose["services"].items():
        assert "healthcheck" in service or service.get("restart") == "no", name


def test_celery_executor_and_local_env_names(compose: dict) -> None:
    env = compose["services"]["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert int(env["AIRFLOW__CORE__PARALLELISM"]) <= 4
    local_env = "".join(
        (ROOT / path).read_text()
        for path in (
            "scripts/write_env.sh",
            "scripts/ensure_postgres.sh",
            "include/sellerflow/installation/settings.py",  # the installation's database variables
        )
    )
    shared = [k for k in env if k.startswith(("SELLERFLOW_", "AIRFLOW_CONN_", "DBT_"))]
    assert shared, "compose carries sellerflow's own settings"
    for key in shared:
        assert key in local_env, f"{key} in compose is not a name the local setup uses"


def test_project_folders_are_mounted(compose: dict) -> None:
    mounts = {v.split(":")[1] for v in compose["services"]["airflow-scheduler"]["volumes"]}
    assert mounts >= {"/opt/airflow/dags", "/opt/airflow/plugins", "/opt/airflow/include", "/opt/airflow/dbt"}
