"""How `make test` deals the tests to its two pytest-xdist workers (``-n 2 --dist loadfile --no-loadscope-reorder``).

The unit of work is a module, as with xdist's ``loadfile`` (its module-scoped fixtures, an Airflow stack for one,
are built once, and its tests run in their order), except that the modules sharing one of the session worlds
below are one unit, so each world is built once. Units holding an ``e2e`` test (Airflow, dbt, a world: minutes
each) are dealt first, so that the longest do not end the run on one worker while the other idles.
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadFileScheduling

# test path prefix -> the session world its tests share (tens of seconds to build)
SHARED_WORLDS = {
    "tests/pages/": "seeded_warehouse",
    "tests/replay/": "seeded_warehouse",
    "tests/reverse_etl/": "built_world",
    "tests/picking/test_pick_demand_model.py": "built_world",
    "tests/e2e/": "e2e scenario",
}


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its shared world, else its module's path."""
    path = nodeid.split("::", 1)[0]
    return next((world for prefix, world in SHARED_WORLDS.items() if path.startswith(prefix)), path)


class WorldScheduling(LoadFileScheduling):
    """xdist's ``loadfile`` with the modules of one shared world as one unit."""

    def _split_scope(self, nodeid: str) -> str:
        return work_unit(nodeid)


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which would make a plain LoadFileScheduling
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> LoadFileScheduling | None:
    """Our scheduling for ``--dist loadfile``; any other mode is xdist's."""
    return WorldScheduling(config, log) if config.getvalue("dist") == "loadfile" else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The units holding an ``e2e`` test first (a stable sort: every other order stays)."""
    heavy = {work_unit(item.nodeid) for item in items if item.get_closest_marker("e2e")}
    items.sort(key=lambda item: work_unit(item.nodeid) not in heavy)
