"""Serve the admin app and every vendor emulator from one process, one uvicorn server per port.

Ports: admin on the base port (18100), then ozon +1, wildberries +2, yandex_market +3,
megamarket +4, onec +5. A vendor whose module is not there yet is skipped with a warning.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from sellerflow_emulators import admin
from sellerflow_emulators.runtime import EmulatorState
from sellerflow_emulators.scenario.params import VENDOR_PORT_OFFSETS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mounted:
    """One app bound to one port."""

    name: str
    port: int
    app: object


def vendor_factory(vendor: str) -> Callable[[EmulatorState], object] | None:
    """``create_app`` of ``sellerflow_emulators.<vendor>``, or None when the module does not exist yet."""
    module_name = f"sellerflow_emulators.{vendor}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None
    factory = getattr(module, "create_app", None)
    return factory if callable(factory) else None


def build_apps(state: EmulatorState, base_port: int) -> list[Mounted]:
    """The admin app plus every vendor app that exists, with their ports."""
    mounted = [Mounted("admin", base_port, admin.create_app(state))]
    for vendor, offset in VENDOR_PORT_OFFSETS.items():
        factory = vendor_factory(vendor)
        if factory is None:
            logger.warning("skipping %s: no sellerflow_emulators.%s.create_app yet", vendor, vendor)
            continue
        mounted.append(Mounted(vendor, base_port + offset, factory(state)))
    return mounted


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to :func:`serve` (several share one loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def _serve_all(servers: list[uvicorn.Server]) -> None:
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop)
    await asyncio.gather(*(server.serve() for server in servers))


def serve(world: Path, host: str = "127.0.0.1", base_port: int = 18100) -> int:
    """Run until interrupted; returns the process exit code."""
    if not world.exists():
        logger.error(
            "no world at %s (make one with: python -m sellerflow_emulators scenario --out DIR)", world
        )
        return 2
    state = EmulatorState(world)
    mounted = build_apps(state, base_port)
    servers: list[uvicorn.Server] = [
        _Server(uvicorn.Config(m.app, host=host, port=m.port, log_level="warning", lifespan="off"))  # type: ignore[arg-type]
        for m in mounted
    ]
    print(f"world {world} at clock {state.now():%Y-%m-%dT%H:%M:%SZ}", flush=True)
    for m in mounted:
        print(f"{m.name:<14} http://{host}:{m.port}", flush=True)
    _start_report_drop(world)
    asyncio.run(_serve_all(servers))
    return 0


REPORT_DROP_EVERY_S = 60.0


def _start_report_drop(world: Path) -> None:
    """Megamarket serves its reports as cabinet downloads only: every minute, write the published ones into the
    demo's drop folder (sources.megamarket.file_import.drop_folder's root), where the extraction takes them."""
    import os
    import threading

    from sellerflow_emulators.megamarket.reports import export_reports

    root = os.environ.get("SELLERFLOW_MEGAMARKET_DROP") or (
        Path(os.environ["SELLERFLOW_HOME"]) / "drop" / "megamarket"
        if os.environ.get("SELLERFLOW_HOME")
        else None
    )
    if root is None:
        return
    own = EmulatorState(world)

    def loop() -> None:
        while True:
            try:
                export_reports(own.conn(), own.now(), Path(root))
            except Exception:  # the next round tries again; the emulator keeps serving
                logger.exception("megamarket report drop into %s failed", root)
            threading.Event().wait(REPORT_DROP_EVERY_S)

    threading.Thread(target=loop, name="megamarket-report-drop", daemon=True).start()
    print(f"megamarket reports -> {root}/<account_id>/", flush=True)
