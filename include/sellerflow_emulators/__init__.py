"""Local emulators of the Ozon, Wildberries, Yandex Market, Megamarket and 1C OData APIs.

One FastAPI app per vendor (``ozon``, ``wildberries``, ``yandex_market``, ``megamarket``,
``onec``), all reading and writing one canonical world kept in a SQLite file
(:mod:`sellerflow_emulators.store`). The scenario generator fills that world
deterministically and writes ``ground_truth.json``; ``python -m sellerflow_emulators serve``
serves every vendor on its own 127.0.0.1 port.
"""
