"""The pages in Airflow's navigation: imported by the plugin in every Airflow process, so it imports nothing."""

from __future__ import annotations

# (route under /pages, Russian title, English name for Airflow's menu)
PAGES: list[tuple[str, str, str]] = [
    ("reconciliation", "Сверка", "Reconciliation"),
    ("dashboards", "Дашборды", "Dashboards"),
    ("marts", "Витрины", "Marts"),
    ("health", "Состояние данных", "Data health"),
    ("upload", "Загрузка отчётов", "Report upload"),
    ("docs", "Документация хранилища", "Warehouse docs"),
]
