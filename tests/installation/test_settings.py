"""The installation's name, databases and ports, as the setup resolves them."""

from __future__ import annotations

from pathlib import Path

import pytest

from sellerflow.installation.settings import (
    PORT_BLOCK,
    SettingsError,
    choose_ports,
    derive_instance,
    env_lines,
    given_settings,
    read_env_file,
    resolve,
)

ADMIN = "postgresql://postgres@db.example:6543/postgres"


def test_instance_is_stable_per_checkout_and_differs_between_checkouts(tmp_path: Path) -> None:
    one, other = tmp_path / "sellerflow", tmp_path / "copy" / "sellerflow"
    assert derive_instance(one) == derive_instance(one)
    assert derive_instance(one) != derive_instance(other)
    assert derive_instance(one).startswith("sellerflow_")


def test_default_databases_are_the_instances_demo_databases(tmp_path: Path) -> None:
    installation = resolve(tmp_path, ADMIN, {"SELLERFLOW_INSTANCE": "acme"})
    assert installation.airflow_db == "sellerflow_acme_demo_airflow"
    assert installation.warehouse_db == "sellerflow_acme_demo_warehouse"
    assert installation.purpose == "demo"
    assert (
        installation.warehouse_dsn
        == "postgresql://sellerflow:sellerflow@db.example:6543/sellerflow_acme_demo_warehouse"
    )


def test_named_databases_make_an_installation_not_a_demo(tmp_path: Path) -> None:
    settings = {
        "SELLERFLOW_INSTANCE": "acme",
        "SELLERFLOW_AIRFLOW_DB": "sellerflow_acme_airflow",
        "SELLERFLOW_WAREHOUSE_DSN": "postgresql://etl:pw@prod:5432/dwh",
    }
    installation = resolve(tmp_path, ADMIN, settings)
    assert (installation.airflow_db, installation.warehouse_db) == ("sellerflow_acme_airflow", "dwh")
    assert installation.warehouse_dsn == "postgresql://etl:pw@prod:5432/dwh"
    assert installation.purpose == "installation"


def test_a_malformed_instance_name_is_refused_with_the_rule(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="lower-case letters, digits and '_'"):
        resolve(tmp_path, ADMIN, {"SELLERFLOW_INSTANCE": "Prod-1"})


def test_values_merely_sourced_from_the_env_file_are_not_overrides(tmp_path: Path) -> None:
    (tmp_path / "env").write_text("export SELLERFLOW_WAREHOUSE_DSN=postgresql://a:b@h:1/old\n")
    (tmp_path / "installation.env").write_text("export SELLERFLOW_INSTANCE=acme\n")
    sourced = {"SELLERFLOW_WAREHOUSE_DSN": "postgresql://a:b@h:1/old"}
    assert given_settings(sourced, tmp_path, tmp_path) == {"SELLERFLOW_INSTANCE": "acme"}
    given = {"SELLERFLOW_WAREHOUSE_DSN": "postgresql://a:b@h:1/new"}
    assert given_settings(given, tmp_path, tmp_path)["SELLERFLOW_WAREHOUSE_DSN"] == "postgresql://a:b@h:1/new"


def test_a_new_instance_name_drops_the_databases_saved_for_the_old_one(tmp_path: Path) -> None:
    (tmp_path / "installation.env").write_text(
        "export SELLERFLOW_INSTANCE=acme\nexport SELLERFLOW_WAREHOUSE_DB=sellerflow_acme_warehouse\n"
    )
    assert given_settings({"SELLERFLOW_INSTANCE": "beta"}, tmp_path, tmp_path) == {
        "SELLERFLOW_INSTANCE": "beta"
    }


def test_env_lines_name_the_key_file_never_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SELLERFLOW_KEYS_DIR", str(tmp_path / "keys"))
    installation = resolve(tmp_path, ADMIN, {"SELLERFLOW_INSTANCE": "acme"})
    path = tmp_path / "env"
    path.write_text("\n".join(env_lines(installation, {})) + "\n")
    env = read_env_file(path)
    assert env["SELLERFLOW_INSTANCE"] == "acme"
    assert env["SELLERFLOW_PURPOSE"] == "demo"
    assert env["AIRFLOW__CORE__FERNET_KEY_CMD"] == f"cat {tmp_path / 'keys' / 'acme' / 'fernet_key'}"
    assert "AIRFLOW__CORE__FERNET_KEY" not in env


def test_settings_sourced_from_another_checkout_are_ignored(tmp_path: Path) -> None:
    other_checkouts_shell = {
        "SELLERFLOW_ROOT": str(tmp_path / "other"),
        "SELLERFLOW_INSTANCE": "other_1a2b3c",
    }
    assert given_settings(other_checkouts_shell, tmp_path / "state", tmp_path / "mine") == {}
    own_shell = {"SELLERFLOW_ROOT": str(tmp_path / "mine"), "SELLERFLOW_INSTANCE": "mine_2"}
    assert given_settings(own_shell, tmp_path / "state", tmp_path / "mine") == {
        "SELLERFLOW_INSTANCE": "mine_2"
    }


def test_ports_skip_the_blocks_other_installations_recorded() -> None:
    home = choose_ports("acme", {})
    assert home[1] == home[0] + 10
    moved = choose_ports("acme", {}, taken={home[0]})
    assert moved != home
    assert moved[0] % PORT_BLOCK == home[0] % PORT_BLOCK  # a whole block of its own
    assert choose_ports("acme", {}, taken={home[1]}) == moved  # its emulators' port counts as well


def test_saved_ports_are_kept_even_when_another_installation_recorded_them() -> None:
    saved = {"SELLERFLOW_AIRFLOW_PORT": "18100", "SELLERFLOW_EMULATOR_BASE_PORT": "18110"}
    assert choose_ports("acme", saved, taken={18100}) == (18100, 18110)
