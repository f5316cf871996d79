"""The demo's pace: the vendors' rate limits, on both sides, run ``DEMO_PACE`` times faster.

Real quotas make a first sync of 75 days slow on purpose (Yandex Market generates one report per campaign every
2 minutes, Wildberries serves one finance report a minute). The demo shows the whole pipeline in minutes, so it
shortens every window, in the emulators (admin API ``PUT /limits/{vendor}/{group}``) and in the clients (the
connection extra ``rate_limits``) alike: the limits keep their shape (rate, burst, parallel cap), only faster.
Real cabinets never get this: their connections carry no ``rate_limits`` unless you write one.
"""

from __future__ import annotations

from typing import Any

import httpx

from sellerflow.sources.ratelimit import faster_overrides
from sellerflow_emulators.limits import DEFAULT_LIMITS

DEMO_PACE = 30.0


def client_limits(vendor: str, pace: float = DEMO_PACE) -> dict[str, dict[str, Any]]:
    """The connection extra ``rate_limits`` of a vendor's demo accounts: every known limit ``pace`` × faster."""
    return faster_overrides(vendor, pace)


def speed_up_emulators(admin_url: str, pace: float = DEMO_PACE) -> int:
    """Shorten every limited window of the emulators ``pace`` times; return how many groups were changed."""
    changed = 0
    with httpx.Client(base_url=admin_url, timeout=10) as http:
        for vendor, groups in DEFAULT_LIMITS.items():
            for group, config in groups.items():
                if config.limit is None:
                    continue  # a parallel cap alone has no window to shorten
                body = {
                    "limit": config.limit,
                    "window_s": config.window_s / pace,
                    "burst": config.burst,
                    "parallel": config.parallel,
                    "source": f"demo pace x{pace:g}: {config.source}",
                }
                http.put(f"/limits/{vendor}/{group}", json=body).raise_for_status()
                changed += 1
    return changed
