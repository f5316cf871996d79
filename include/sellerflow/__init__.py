"""sellerflow: marketplace + 1C data platform (extraction, reconciliation, reverse-ETL, pick lists)."""

__version__ = "0.1.0"
