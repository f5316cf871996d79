"""Megamarket merchant API: the client and the entity streams (shipments with their status history, the
offers and prices shipments show), and the commission reports, which come as files (``file_import``: a drop
folder per cabinet and ``import_report_file`` for uploads)."""

from sellerflow.sources.megamarket.client import MegamarketClient
from sellerflow.sources.megamarket.file_import import ReportFileError, import_report_file
from sellerflow.sources.megamarket.streams import STREAMS, stream_names

__all__ = ["STREAMS", "MegamarketClient", "ReportFileError", "import_report_file", "stream_names"]
