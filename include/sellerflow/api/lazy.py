"""An ASGI app built on its first request, so that importing the Airflow plugin costs nothing.

Airflow imports every plugin in every process it starts (each task, the DAG processor, the triggerer), but only
the api-server serves the plugin's FastAPI apps. Building them at import (FastAPI, pydantic models, Jinja2,
openpyxl, the TSD service) cost about a second of CPU in each task process; ``LazyApp`` defers that to the first
request the api-server receives.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LazyApp:
    """The ASGI app that ``factory`` ("package.module:function") returns, built once, on the first call."""

    def __init__(self, factory: str) -> None:
        module, _, function = factory.partition(":")
        if not module or not function:
            raise ValueError(f"{factory!r}: expected 'package.module:function'")
        self.factory = factory
        self._app: ASGIApp | None = None
        self._lock = threading.Lock()

    @property
    def app(self) -> ASGIApp:
        """The built app (built now if this is the first use)."""
        if self._app is None:
            with self._lock:
                if self._app is None:
                    module, _, function = self.factory.partition(":")
                    self._app = getattr(importlib.import_module(module), function)()
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def __repr__(self) -> str:
        return f"LazyApp({self.factory!r})"
