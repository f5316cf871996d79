"""Great Expectations suites over what landed in raw.

Great Expectations takes ~4 s to import, so it is imported inside the functions that use it,
never at module level (DAG files import this module at parse time).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawSuite:
    """Expectations on the latest version of every record of one raw table."""

    table: str  # raw table name without schema, e.g. 'onec_products'
    columns: tuple[str, ...]  # payload fields pulled into the batch
    not_null: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    min_rows: int = 1
    max_rows: int | None = None


@dataclass
class SuiteResult:
    """Outcome of one suite run, as stored in ops.quality_results."""

    suite: str
    success: bool
    evaluated: int
    failed: list[str] = field(default_factory=list)
    rows: int = 0


ONEC_PRODUCTS = RawSuite(
    table="onec_products",
    columns=("Ref_Key", "Description", "Артикул"),
    not_null=("Ref_Key", "Description"),
    unique=("Ref_Key",),
)


def latest_payloads(dsn: str, suite: RawSuite) -> list[dict[str, Any]]:
    """The latest version of every (account_id, natural_key) in the suite's raw table, projected to its columns."""
    fields = sql.SQL(", ").join(
        sql.SQL("payload ->> {} as {}").format(sql.Literal(c), sql.Identifier(c)) for c in suite.columns
    )
    query = sql.SQL(
        "select distinct on (account_id, natural_key) account_id, {fields} from raw.{table} "
        "order by account_id, natural_key, id desc"
    ).format(fields=fields, table=sql.Identifier(suite.table))
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(query)
        return cur.fetchall()


def run_suite(rows: list[dict[str, Any]], suite: RawSuite) -> SuiteResult:
    """Validate rows with an ephemeral Great Expectations context; per-account uniqueness via a composite key."""
    import great_expectations as gx
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["account_id", *suite.columns])
    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("raw")
        .add_dataframe_asset(suite.table)
        .add_batch_definition_whole_dataframe("latest")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    expectations: list[Any] = [
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=suite.min_rows, max_value=suite.max_rows)
    ]
    expectations += [gx.expectations.ExpectColumnValuesToNotBeNull(column=c) for c in suite.not_null]
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
            "insert into ops.quality_results (suite, run_id, success, evaluated, failed, rows_checked)"
            " values (%s, %s, %s, %s, %s, %s)",
            (result.suite, run_id, result.success, result.evaluated, json.dumps(result.failed), result.rows),
        )


def check_raw_table(dsn: str, suite: RawSuite, run_id: str) -> SuiteResult:
    """Run a suite on a raw table, record it, and log a one-line verdict."""
    result = run_suite(latest_payloads(dsn, suite), suite)
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
