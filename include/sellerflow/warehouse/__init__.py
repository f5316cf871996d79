"""The warehouse: migrations for ``raw``/``ops``/``quarantine``, the COPY-based raw loader and sync state."""

from sellerflow.warehouse.loader import LoadResult, load_records
from sellerflow.warehouse.migrations import MigrationChecksumError, MigrationError, migrate
from sellerflow.warehouse.sync_state import SyncState, get_sync_state, set_sync_state

__all__ = [
    "LoadResult",
    "MigrationChecksumError",
    "MigrationError",
    "SyncState",
    "get_sync_state",
    "load_records",
    "migrate",
    "set_sync_state",
]
