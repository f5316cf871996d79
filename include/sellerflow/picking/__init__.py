"""Pick lists for warehouse handhelds (TSD).

- :mod:`.builder` groups the orders awaiting assembly (dbt view ``marts.pick_demand``) per warehouse into pick
  lists in ``ops`` (migration 0060) and strikes orders cancelled while on a list;
- :mod:`.devices` issues, revokes and checks per-device bearer tokens (hashed, bound to one warehouse);
- :mod:`.service` claims lists (one holder at a time), takes scans (idempotent by client scan id) and finishes
  them (shortages recorded, the assembled orders handed to the reverse-ETL);
- :mod:`.api` is the FastAPI app the Airflow plugin mounts at ``/tsd`` (JSON API, the browser TSD page, the
  DataMobile exchange of :mod:`.datamobile`).
"""
