"""Custom Great Expectations expectations for rules the built-in types cannot state.

Importing this module registers them with GX, so suites on disk can name them by type. Each metric
has a SQL form (the gate runs on the run database, :mod:`tasks.quality.rundb`) and a pandas form (for
checking a frame directly); ``tests/unit/test_uscc.py`` holds the two to the same answers.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
import sqlalchemy as sa
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation, MulticolumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    MulticolumnMapMetricProvider,
    column_condition_partial,
    multicolumn_condition_partial,
)

from tasks.uscc import USCC_ALPHABET, USCC_PATTERN, USCC_WEIGHTS, uscc_problem


def uscc_valid_sql(column: Any) -> Any:
    """A SQL condition: ``column`` is a valid 统一社会信用代码 (the same test as :func:`uscc_problem`).

    The form (18 characters of the GB 32100 alphabet, positions 3-8 digits) is a regular expression;
    the check digit is the weighted sum of the first 17 characters' values mod 31, each value being
    the character's position in the alphabet (``strpos``, on DuckDB and PostgreSQL alike).
    """
    alphabet = sa.literal(USCC_ALPHABET)
    total = sum((sa.func.strpos(alphabet, sa.func.substr(column, i + 1, 1)) - 1) * w
                for i, w in enumerate(USCC_WEIGHTS))
    check = sa.func.substr(alphabet, (31 - total % 31) % 31 + 1, 1)
    return sa.and_(column.regexp_match(USCC_PATTERN), sa.func.substr(column, 18, 1) == check)


class ColumnValuesValidUscc(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_uscc"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return column.map(lambda code: uscc_problem(code) is None).astype(bool)

    @column_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column: Any, **kwargs: Any) -> Any:
        return uscc_valid_sql(column)


class ExpectColumnValuesToBeValidUscc(ColumnMapExpectation):
    """Each value is an 18-character 统一社会信用代码 whose check digit is right (GB 32100-2015)."""

    map_metric: ClassVar[str] = "column_values.valid_uscc"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


def _bounds(ranges: dict[str, list[float]]) -> tuple[dict[str, float], dict[str, float]]:
    low = {c: float(r[0]) for c, r in ranges.items() if r[0] is not None}
    high = {c: float(r[1]) for c, r in ranges.items() if r[1] is not None}
    return low, high


class MulticolumnValuesPlausible(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.plausible_indicator"
    condition_domain_keys = ("batch_id", "table", "column_list", "row_condition", "condition_parser",
                             "ignore_row_if")
    condition_value_keys = ("ranges",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, ranges: dict[str, list[float]], **kwargs: Any) -> pd.Series:
        code, value = column_list.columns[0], column_list.columns[1]
        low, high = _bounds(ranges)
        lo = column_list[code].map(low).astype("float64")
        hi = column_list[code].map(high).astype("float64")
        v = column_list[value].astype("float64")
        return (lo.isna() | (v >= lo)) & (hi.isna() | (v <= hi))

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_list: list[Any], ranges: dict[str, list[float]], **kwargs: Any) -> Any:
        code, value = column_list[0], column_list[1]
        low, high = _bounds(ranges)
        conditions = [sa.or_(code != c, value >= v) for c, v in low.items()]
        conditions += [sa.or_(code != c, value <= v) for c, v in high.items()]
        return sa.and_(sa.true(), *conditions)


class ExpectIndicatorValuesToBePlausible(MulticolumnMapExpectation):
    """Each indicator value (second column) lies in the range stated for its code (first column).

    ``ranges`` maps an indicator code to ``[low, high]``; codes without a range pass.
    """

    ranges: dict[str, list[float]]
    map_metric: ClassVar[str] = "multicolumn_values.plausible_indicator"
    success_keys: ClassVar[tuple[str, ...]] = ("ranges", "mostly")
