"""Pages for accountants and analysts, served by the sellerflow FastAPI app inside Airflow's api-server.

Server-side rendered with Jinja2 (templates/), static files and the vendored Chart.js under static/; every page
sits behind Airflow's own login (auth.py) and in Airflow's navigation (plugins/sellerflow_plugin.py).

The page list lives in ``sellerflow.pages.menu`` (no imports): Airflow imports the plugin, and with it that list,
in every task process, which must not pay for FastAPI, Jinja2 and openpyxl. The routes are in
``sellerflow.pages.router``.
"""
