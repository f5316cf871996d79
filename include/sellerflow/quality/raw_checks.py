"""Great Expectations suites over what landed in raw.

Great Expectations takes ~4 s to import, so it is imported inside the functions that use it,
never at module level (DAG files import this module at parse time).
"""

from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawSuite:
    """Expectations on the latest version of every record of one raw table.

    ``columns`` are payload fields pulled into the batch (``a.b`` reads a nested field); ``ranges`` bound
    numeric fields (None: open); ``max_drop`` is the largest share by which the number of records may fall
    below the previous run of the suite (a listing that suddenly lost most of its rows).
    """

    table: str  # raw table name without schema, e.g. 'onec_products'
    columns: tuple[str, ...]  # payload fields pulled into the batch
    not_null: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    min_rows: int = 1
    max_rows: int | None = None
    ranges: tuple[tuple[str, float | None, float | None], ...] = ()
    max_drop: float | None = 0.5


@dataclass
class SuiteResult:
    """Outcome of one suite run, as stored in ops.quality_results."""

    suite: str
    success: bool
    evaluated: int
    failed: list[str] = field(default_factory=list)
    rows: int = 0
    last_id: int | None = None  # the newest raw row id the suite saw


ONEC_PRODUCTS = RawSuite(
    table="onec_products",
    columns=("Ref_Key", "Description", "Артикул"),
    not_null=("Ref_Key", "Description"),
    unique=("Ref_Key",),
)

# The landings reconciliation depends on: keys present and unique, quantities and money in range. Orders and
# report rows only grow, so their count must not fall; catalogs may shrink a little (archived items).
RAW_SUITES: tuple[RawSuite, ...] = (
    ONEC_PRODUCTS,
    RawSuite("onec_customer_orders", ("Ref_Key", "Date", "Number", "НомерПоДаннымКлиента"),
             not_null=("Ref_Key", "Date", "Number"), unique=("Ref_Key",), max_drop=0.0),
    RawSuite("onec_shipments", ("Ref_Key", "Date", "Number", "СуммаДокумента"),
             not_null=("Ref_Key", "Date", "Number"), unique=("Ref_Key",), ranges=(("СуммаДокумента", 0, None),),
             max_drop=0.0),
    RawSuite("onec_customer_returns", ("Ref_Key", "Date", "Number"), not_null=("Ref_Key", "Date"),
             unique=("Ref_Key",), min_rows=0, max_drop=0.0),
    RawSuite("ozon_postings_fbs", ("posting_number", "status", "in_process_at"),
             not_null=("posting_number", "status", "in_process_at"), unique=("posting_number",), max_drop=0.0),
    RawSuite("ozon_postings_fbo", ("posting_number", "status", "created_at"),
             not_null=("posting_number", "status"), unique=("posting_number",), min_rows=0, max_drop=0.0),
    RawSuite("ozon_realization_rows", ("row_number", "order.posting_number", "item.offer_id",
                                       "delivery_commission.quantity", "delivery_commission.amount"),
             not_null=("row_number", "order.posting_number", "item.offer_id"), min_rows=0,
             ranges=(("delivery_commission.quantity", 0, 1000), ("delivery_commission.amount", 0, None)),
             max_drop=0.0),
    RawSuite("ozon_products", ("offer_id", "id"), not_null=("offer_id", "id"), unique=("offer_id",)),
    RawSuite("wildberries_orders", ("srid", "date", "supplierArticle", "priceWithDisc"),
             not_null=("srid", "date"), unique=("srid",), ranges=(("priceWithDisc", 0, None),), max_drop=0.0),
    RawSuite("wildberries_realization_rows", ("rrdId", "reportId", "sellerOperName", "quantity"),
             not_null=("rrdId", "reportId", "sellerOperName"), unique=("rrdId",), min_rows=0,
             ranges=(("quantity", 0, 1000),), max_drop=0.0),
    RawSuite("wildberries_products", ("nmID", "vendorCode"), not_null=("nmID", "vendorCode"), unique=("nmID",)),
    RawSuite("yandex_market_orders", ("orderId", "status", "creationDate"),
             not_null=("orderId", "status", "creationDate"), unique=("orderId",), max_drop=0.0),
    RawSuite("yandex_market_realization_rows", ("orderId", "shopSku"), not_null=("orderId", "shopSku"),
             min_rows=0, max_drop=0.0),
    RawSuite("yandex_market_service_rows", ("orderId", "shopSku"), min_rows=0, max_drop=0.0),
    RawSuite("yandex_market_offer_mappings", ("offer.offerId",), not_null=("offer.offerId",),
             unique=("offer.offerId",)),
    RawSuite("megamarket_shipments", ("shipmentId", "status", "creationDate"),
             not_null=("shipmentId", "status"), unique=("shipmentId",), max_drop=0.0),
    RawSuite("megamarket_report_rows", ("Номер заказа", "Тип операции", "Количество, шт."),
             not_null=("Тип операции",), min_rows=0, ranges=(("Количество, шт.", -1000, 1000),), max_drop=0.0),
)  # fmt: skip
SUITES_BY_TABLE = {suite.table: suite for suite in RAW_SUITES}


def latest_payloads(dsn: str, suite: RawSuite) -> list[dict[str, Any]]:
    """The latest version of every (account_id, natural_key) in the suite's raw table, projected to its columns."""
    fields = sql.SQL(", ").join(
        sql.SQL("payload #>> {} as {}").format(sql.Literal(c.split(".")), sql.Identifier(c))
        for c in suite.columns
    )
    query = sql.SQL(
        "select distinct on (account_id, natural_key) account_id, {fields} from raw.{table} "
        "order by account_id, natural_key, id desc"
    ).format(fields=fields, table=sql.Identifier(suite.table))
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(query)
        return cur.fetchall()


def raw_table_exists(dsn: str, table: str) -> bool:
    """Whether anything has landed in ``raw.<table>`` yet (the table may exist empty: transform_dbt creates
    every raw table dbt reads before the first extraction)."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute("select to_regclass(%s) is not null", (f'raw."{table}"',)).fetchone()
        if not (row and row[0]):
            return False
        landed = conn.execute(
            psycopg.sql.SQL("select exists (select from raw.{})").format(psycopg.sql.Identifier(table))
        ).fetchone()
    return bool(landed and landed[0])


@dataclass(frozen=True)
class PreviousRun:
    """What the suite's previous run saw (ops.quality_results)."""

    rows: int
    success: bool
    last_id: int | None


def previous_run(dsn: str, suite: RawSuite) -> PreviousRun | None:
    """The suite's previous run, if any."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "select rows_checked, success, last_id from ops.quality_results where suite = %s"
            " order by checked_at desc, id desc limit 1",
            (f"raw.{suite.table}",),
        ).fetchone()
    return PreviousRun(int(row[0]), bool(row[1]), row[2]) if row else None


def newest_id(dsn: str, table: str) -> int | None:
    """The newest row id of ``raw.<table>`` (raw is append-only: a new version is a new, higher id)."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(sql.SQL("select max(id) from raw.{}").format(sql.Identifier(table))).fetchone()
    return row[0] if row else None


def import_in_background() -> threading.Thread:
    """Start importing Great Expectations and pandas on a daemon thread (a task that waits anyway, e.g. for
    extractions to land, has them loaded when its suites run); returns the thread."""

    def load() -> None:
        import great_expectations  # noqa: F401
        import pandas  # noqa: F401

    thread = threading.Thread(target=load, name="import-great-expectations", daemon=True)
    thread.start()
    return thread


def run_suite(rows: list[dict[str, Any]], suite: RawSuite, previous: int | None = None) -> SuiteResult:
    """Validate rows with an ephemeral Great Expectations context; per-account uniqueness via a composite key."""
    import great_expectations as gx
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["account_id", *suite.columns])
    for column, _, _ in suite.ranges:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # GX draws a progress bar per validation: hundreds of lines in the task log for nothing a person reads.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    batch = (
        context.data_sources.add_pandas("raw")
        .add_dataframe_asset(suite.table)
        .add_batch_definition_whole_dataframe("latest")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    expectations: list[Any] = [
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=suite.min_rows, max_value=suite.max_rows)
    ]
    if previous is not None and suite.max_drop is not None:
        floor = math.ceil(previous * (1 - suite.max_drop))
        expectations.append(gx.expectations.ExpectTableRowCountToBeBetween(min_value=floor, max_value=None))
    expectations += [gx.expectations.ExpectColumnValuesToNotBeNull(column=c) for c in suite.not_null]
    expectations += [
        gx.expectations.ExpectColumnValuesToBeBetween(column=c, min_value=low, max_value=high)
        for c, low, high in suite.ranges
    ]
    expectations += [
        gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["account_id", c]) for c in suite.unique
    ]
    result = SuiteResult(
        suite=f"raw.{suite.table}", success=True, evaluated=len(expectations), rows=len(frame)
    )
    for expectation in expectations:
        outcome = batch.validate(expectation)
        if not outcome.success:
            result.success = False
            result.failed.append(
                f"{expectation.expectation_type} {json.dumps(outcome.result, default=str)[:300]}"
            )
    return result


def record_result(dsn: str, result: SuiteResult, run_id: str) -> None:
    """Keep the outcome in ops.quality_results for monitoring."""
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "insert into ops.quality_results (suite, run_id, success, evaluated, failed, rows_checked, last_id)"
            " values (%s, %s, %s, %s, %s, %s, %s)",
            (result.suite, run_id, result.success, result.evaluated, json.dumps(result.failed), result.rows,
             result.last_id),
        )  # fmt: skip


def check_raw_table(dsn: str, suite: RawSuite, run_id: str) -> SuiteResult | None:
    """Run a suite on a raw table (against the volume of its previous run), record it, log a one-line verdict.

    Returns None, running nothing, when nothing landed in the table since a passing run of the suite.
    """
    previous = previous_run(dsn, suite)
    last_id = newest_id(dsn, suite.table)
    if (
        previous is not None
        and previous.success
        and previous.last_id is not None
        and previous.last_id == last_id
    ):
        logger.info(
            "quality raw.%s: unchanged since its last passing run (newest id %s), not run",
            suite.table,
            last_id,
        )
        return None
    result = run_suite(latest_payloads(dsn, suite), suite, previous.rows if previous else None)
    result.last_id = last_id
    record_result(dsn, result, run_id)
    logger.info(
        "quality %s: %s (%d expectations, %d rows)%s",
        result.suite,
        "passed" if result.success else "FAILED",
        result.evaluated,
        result.rows,
        "" if result.success else f": {result.failed}",
    )
    return result


def check_landed_table(dsn: str, table: str, run_id: str) -> SuiteResult | None:
    """The Airflow task body: run the suite of ``raw.<table>`` if the table has landed and changed since the
    suite last passed (None otherwise); raise when the suite fails, naming what failed (the verdict is in
    ops.quality_results either way)."""
    if not raw_table_exists(dsn, table):
        logger.info("quality raw.%s: not landed yet, skipped", table)
        return None
    result = check_raw_table(dsn, SUITES_BY_TABLE[table], run_id)
    if result is not None and not result.success:
        raise ValueError(f"raw.{table} failed its quality suite: {result.failed}")
    return result


def check_landed_tables(dsn: str, run_id: str) -> dict[str, bool | None]:
    """Every raw suite (``check_landed_table``) over every table, then one error naming each table whose suite
    failed; the verdict per table otherwise (None: not landed, or nothing new since its suite last passed)."""
    from sellerflow.quality.suites import RAW_SUITE_TABLES

    verdicts: dict[str, bool | None] = {}
    failures: list[str] = []
    for table in RAW_SUITE_TABLES:
        try:
            result = check_landed_table(dsn, table, run_id)
        except ValueError as exc:  # the suite failed: its verdict is in ops.quality_results
            verdicts[table] = False
            failures.append(str(exc))
        else:
            verdicts[table] = None if result is None else True
    if failures:
        raise ValueError("; ".join(failures))
    return verdicts
