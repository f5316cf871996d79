"""Every service sellerflow starts binds 127.0.0.1 by default: the emulators, Airflow's api-server, and no
Airflow log server (those bind every interface, so the demo does not start them)."""

from __future__ import annotations

import inspect
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sellerflow.demo.__main__ import AIRFLOW_COMPONENTS, airflow_command
from sellerflow_emulators.__main__ import build_parser
from sellerflow_emulators.server import serve

ROOT = Path(__file__).resolve().parents[2]


def _outside_address() -> str | None:
    """This machine's address on its outbound interface (no packet is sent), or None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def _free_port_block(size: int = 6) -> int:
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            base = sock.getsockname()[1]
        if base + size < 65535 and all(_is_free(base + n) for n in range(size)):
            return base
    raise RuntimeError("no free block of ports")


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def test_the_emulators_default_to_loopback() -> None:
    assert build_parser().parse_args(["serve", "--world", "w.sqlite"]).host == "127.0.0.1"
    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"


def test_served_emulators_answer_on_loopback_only(tmp_path: Path) -> None:
    outside = _outside_address()
    if outside is None:
        pytest.skip("this machine has no address besides loopback")
    subprocess.run(
        [sys.executable, "-m", "sellerflow_emulators", "scenario", "--seed", "3", "--days", "1",
         "--orders-per-day", "5", "--out", str(tmp_path)],
        check=True, capture_output=True,
    )  # fmt: skip
    base = _free_port_block()
    server = subprocess.Popen(
        [sys.executable, "-m", "sellerflow_emulators", "serve", "--world", str(tmp_path / "world.sqlite"),
         "--base-port", str(base)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not _answers("127.0.0.1", base + 5) and time.monotonic() < deadline:
            time.sleep(0.2)
        for port in range(base, base + 6):  # admin app, then the five vendors
            assert _answers("127.0.0.1", port), f"port {port} answers on loopback"
            assert not _answers(outside, port), f"port {port} must not answer on {outside}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_airflows_api_server_binds_loopback() -> None:
    env = (ROOT / "scripts/write_env.sh").read_text()
    assert "export AIRFLOW__API__HOST=127.0.0.1\n" in env
    assert "0.0.0.0" not in env


def test_the_demo_starts_no_airflow_log_server() -> None:
    commands = {component: airflow_command(component) for component in AIRFLOW_COMPONENTS}
    assert commands["api-server"] == ("airflow", "api-server")
    for component in ("scheduler", "triggerer"):  # they would start a log server on every interface
        assert "--skip-serve-logs" in commands[component], component
