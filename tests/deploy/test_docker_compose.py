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


# -- secrets: only in the generated, git-ignored env file --------------------------------------------------

SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|_KEY$", re.I)
VARIABLE = re.compile(r"(?<!\$)\$\{(\w+)(?::?[-?][^}]*)?\}")  # $${X} is the container's own


def _load_make_env():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_env", ROOT / "scripts/docker/make_env.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _environments(compose: dict) -> list[tuple[str, str, str]]:
    """(service, name, value) of every environment entry."""
    return [
        (service, name, str(value))
        for service, spec in compose["services"].items()
        for name, value in (spec.get("environment") or {}).items()
    ]


def test_no_secret_literal_remains_in_docker_compose(compose: dict) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "sellerflow:sellerflow@" not in text
    for service, name, value in _environments(compose):
        if SECRET_NAME.search(name):
            assert VARIABLE.fullmatch(value), f"{service}.{name} must come from the env file, not a literal"
        for userinfo in re.findall(r"://([^@/\s]+)@", value):  # user:password in a DSN
            assert ":" not in VARIABLE.sub("", userinfo), f"{service}.{name}: a password literal in the DSN"
            assert VARIABLE.search(userinfo), f"{service}.{name}: DSN credentials from the env file"


def test_compose_sets_a_fernet_key_and_shared_api_secrets(compose: dict) -> None:
    env = compose["services"]["airflow-scheduler"]["environment"]
    for name in ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API__SECRET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET"):
        assert VARIABLE.fullmatch(env[name]), name


def test_the_env_file_is_generated_with_every_variable_compose_reads(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    make_env = _load_make_env()
    out = tmp_path / ".env"
    assert make_env.main(["--out", str(out)]) == 0
    values = dict(line.split("=", 1) for line in out.read_text().splitlines() if not line.startswith("#"))
    used = set(VARIABLE.findall((ROOT / "docker-compose.yml").read_text()))
    assert used <= set(values), f"compose reads {sorted(used - set(values))} the generator does not write"
    Fernet(values["AIRFLOW__CORE__FERNET_KEY"].encode())  # a valid key
    assert values["POSTGRES_PASSWORD"] != "sellerflow"
    assert len(values["POSTGRES_PASSWORD"]) >= 32
    assert out.stat().st_mode & 0o077 == 0, "readable by its owner only"
    first = out.read_text()
    make_env.main(["--out", str(out)])
    assert out.read_text() == first, "an existing env file is kept (its Fernet key encrypts stored secrets)"
    other = tmp_path / "other.env"
    make_env.main(["--out", str(other)])
    assert other.read_text() != first, "every installation gets its own secrets"


def test_the_env_file_is_git_ignored() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in ignored or "/.env" in ignored
