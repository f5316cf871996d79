"""Turn Airflow connections into the source settings the pipelines take."""

from __future__ import annotations

from sellerflow.sources.onec import OneCBase


def onec_base(conn_id: str) -> OneCBase:
    """Settings of the 1C base behind connection ``onec_<base>`` (host = OData URL, login/password = Basic auth)."""
    from airflow.sdk import Connection

    conn = Connection.get(conn_id)
    url = conn.host or ""
    if not url.startswith("http"):
        schema = conn.schema or "http"
        url = f"{schema}://{conn.host}{f':{conn.port}' if conn.port else ''}"
    if "/odata/" not in url:
        raise ValueError(
            f"connection {conn_id}: host must be the base's OData URL, e.g. "
            "http://1c.example/ut_main/odata/standard.odata"
        )
    return OneCBase(
        base_id=conn_id.removeprefix("onec_"),
        odata_url=url,
        username=conn.login or "",
        password=conn.password or "",
    )
