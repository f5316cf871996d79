"""Pages for accountants and analysts, served by the sellerflow FastAPI app inside Airflow's api-server.

Server-side rendered with Jinja2 (templates/), static files and the vendored Chart.js under static/; every page
sits behind Airflow's own login (auth.py) and in Airflow's navigation (plugins/sellerflow_plugin.py).
"""

from sellerflow.pages.router import PAGES, router

__all__ = ["PAGES", "router"]
