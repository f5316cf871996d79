"""Serve an ASGI app over real HTTP on 127.0.0.1 from inside a test process; serve a private copy of a world."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from sellerflow_emulators.runtime import EmulatorState


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(app: object, port: int | None = None) -> Iterator[str]:
    """Run ``app`` with uvicorn in a daemon thread; yield its base URL; stop it on exit."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"emulator did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve_world_copy(
    pristine: Path, into: Path, create_app: Callable[[EmulatorState], object]
) -> Iterator[tuple[EmulatorState, str]]:
    """Copy the world in ``pristine`` (world.sqlite, accounts.json) into ``into`` and serve it with the app that
    ``create_app`` makes of its state; yield (state, base URL)."""
    for name in ("world.sqlite", "accounts.json"):
        shutil.copy(pristine / name, into / name)
    state = EmulatorState(into / "world.sqlite")
    with serve_in_thread(create_app(state)) as url:
        yield state, url
