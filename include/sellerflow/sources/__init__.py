"""API clients and entity streams, one module per source: ozon, wildberries, yandex_market, megamarket, onec."""
