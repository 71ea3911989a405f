"""Custom Great Expectations expectations for rules the built-in types cannot state.

Importing this module registers them with GX, so suites on disk can name them by type.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation, MulticolumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    MulticolumnMapMetricProvider,
    column_condition_partial,
    multicolumn_condition_partial,
)

from tasks.uscc import uscc_problem


class ColumnValuesValidUscc(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_uscc"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return column.map(lambda code: uscc_problem(code) is None).astype(bool)


class ExpectColumnValuesToBeValidUscc(ColumnMapExpectation):
    """Each value is an 18-character 统一社会信用代码 whose check digit is right (GB 32100-2015)."""

    map_metric: ClassVar[str] = "column_values.valid_uscc"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class MulticolumnValuesPlausible(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.plausible_indicator"
    condition_domain_keys = ("batch_id", "table", "column_list", "row_condition", "condition_parser",
                             "ignore_row_if")
    condition_value_keys = ("ranges",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, ranges: dict[str, list[float]], **kwargs: Any) -> pd.Series:
        code, value = column_list.columns[0], column_list.columns[1]
        low = column_list[code].map(lambda c: ranges.get(c, [None, None])[0]).astype("float64")
        high = column_list[code].map(lambda c: ranges.get(c, [None, None])[1]).astype("float64")
        v = column_list[value].astype("float64")
        return (low.isna() | (v >= low)) & (high.isna() | (v <= high))


class ExpectIndicatorValuesToBePlausible(MulticolumnMapExpectation):
    """Each indicator value (second column) lies in the range stated for its code (first column).

    ``ranges`` maps an indicator code to ``[low, high]``; codes without a range pass.
    """

    ranges: dict[str, list[float]]
    map_metric: ClassVar[str] = "multicolumn_values.plausible_indicator"
    success_keys: ClassVar[tuple[str, ...]] = ("ranges", "mostly")
