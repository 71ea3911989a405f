"""Run the rule registry through Great Expectations and say what each department may load.

All departments of a run are checked together, one GX validation per view, and the
failing rows are then attributed to departments by their ``department_code``: the cost of
GX's machinery is paid per view, not per department.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import threading
from collections import defaultdict
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tasks import glossary as gl
from tasks.quality.gx_duckdb import keep_duckdb_connections_open, release
from tasks.quality.rules import Rule, load_rules
from tasks.quality.rundb import IDX, RunDatabase, check_views, run_database
from tasks.quality.views import ROW, SOURCE, RunData
from tasks.settings import Settings
from tasks.sources.contract import field_label

log = logging.getLogger(__name__)

FAILING_COLUMNS = ["rule", "severity", "department", "year", "field", "value_provided", "expected_value",
                   "difference", "source_file", "row_number", "message", "record"]
_NO_FAILING_ROWS = pd.DataFrame(columns=FAILING_COLUMNS)  # see no_failing_rows
_gx_lock = threading.Lock()
_gx_state: dict[str, Any] = {}
DOCS_SITE = "selfeval"
# How a refusal names a rule that was not checked (tests and operators read these words).
UNEVALUATED = "规则无法执行（the rule could not be evaluated）"
NO_RESULT = f"{UNEVALUATED}：Great Expectations 未返回结果（returned no result）"


def no_failing_rows() -> pd.DataFrame:
    """The failing rows of a rule that passed: one empty frame shared by every such result (a run of 600
    departments and 40 rules made 24,000 of them, 10 s of the gate); read it, never change it."""
    return _NO_FAILING_ROWS


@dataclass
class RuleResult:
    """One rule's outcome for one department: the failing rows in DATA Act Broker columns.

    ``error`` says why the rule failed with no row to show: it could not be evaluated (GX raised, a
    column it names is missing, its view could not be built), or it failed for the view as a whole
    (a table-level expectation). Such a result fails: the gate never passes what it did not check.
    """

    rule: Rule
    department_code: str
    failing: pd.DataFrame
    error: str | None = None

    @property
    def success(self) -> bool:
        return self.error is None and self.failing.empty

    @property
    def failing_count(self) -> int:
        return len(self.failing) if self.error is None else 0

    def reason(self) -> str:
        """One line for the operator: the rule, and what failed or why it could not run."""
        if self.error:
            return f"{self.rule.rule_id} {self.rule.label}：{self.error}"
        return f"{self.rule.rule_id} {self.rule.label}：{self.failing_count} 行不符；{self.example()}"

    def example(self) -> str:
        """The first failing row as staff read it (:func:`row_text`), or why the rule could not be checked."""
        if self.error:
            return self.error
        if self.failing.empty:
            return ""
        return row_text(self.rule, self.failing.iloc[0])


def row_text(rule: Rule, row: Mapping[str, Any]) -> str:
    """A failing row (of :func:`failing_rows`) as staff read it: ``budget_lines.csv 第 9 行：executed=…，应为 …``.

    A rule that sets the figure against another figure of the data (``expected_label``) names that figure, its files
    and the row's key instead, for either side may be the wrong one: ``budget_lines.csv 第 9 行（指标编号 L001）：
    全年执行数（executed）=1000.00 元，支付明细合计 1100.01 元（payments.csv），相差 -100.01 元``: a money rule's
    figures in 元, a difference of days in days (``相差 -12 天``)."""
    # the view's row is read only for what it names beyond the columns (its key, the compared figure's files)
    record = json.loads(row["record"]) if row["record"] and (rule.key or rule.expected_label) else {}
    where = f"{row['source_file']} 第 {row['row_number']} 行" if row["row_number"] != "" else row["source_file"]
    word = f" {VALUE_WORDS[rule.unit]}" if rule.unit in VALUE_WORDS else ""
    labels = dict(rule.key_labels)
    named = [f"{labels.get(k) or field_label(k)} {record[k]}" for k in rule.key if record.get(k, "") != ""]
    if named:
        where += f"（{'，'.join(named)}）"
    field = str(row["field"])
    provided = f"{row['value_provided']}{word}" if row["value_provided"] != "" else ""
    parts = [f"{field_label(field)}（{field}）={provided}" if field_label(field) != field else f"{field}={provided}"]
    compared = rule.expected_label
    if row["expected_value"] != "":
        files = record.get("counterpart_source", "")
        parts.append(f"{compared} {row['expected_value']}{word}" + (f"（{files}）" if files else "") if compared
                     else f"应为 {row['expected_value']}" + (word if rule.expected else ""))
    if row["difference"] != "":
        unit = f" {DIFFERENCE_WORDS[rule.unit]}" if rule.unit in DIFFERENCE_WORDS else ""
        parts.append(f"{'相差' if compared else '差额'} {row['difference']}{unit}")
    return f"{where}：" + "，".join(parts)


@dataclass
class QualityReport:
    year: int
    departments: list[str]
    results: list[RuleResult] = field(default_factory=list)
    validations: list[Any] = field(default_factory=list)  # GX suite results
    data_docs: str | None = None  # file:// address of the run's Data Docs site, when built
    # results by department, rebuilt when results were added (a scan per department cost 7 s at 600)
    _by_department: dict[str, list[RuleResult]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _indexed: int = field(default=-1, init=False, repr=False, compare=False)

    def for_department(self, code: str) -> list[RuleResult]:
        if self._indexed != len(self.results):
            index: dict[str, list[RuleResult]] = defaultdict(list)
            for r in self.results:
                index[r.department_code].append(r)
            self._by_department, self._indexed = dict(index), len(self.results)
        return list(self._by_department.get(code, []))

    def fatal(self, code: str) -> list[RuleResult]:
        return [r for r in self.for_department(code) if not r.success and r.rule.severity == "fatal"]

    def warnings(self, code: str) -> list[RuleResult]:
        return [r for r in self.for_department(code) if not r.success and r.rule.severity == "warning"]

    def blocked(self, code: str) -> bool:
        return bool(self.fatal(code))

    def failing_rows(self, code: str, severity: str | None = None) -> pd.DataFrame:
        """The failing rows of a department; a rule that failed with no rows (``error``) gets one row
        saying why, so that the error report and the quarantine never leave it out."""
        frames = []
        for r in self.for_department(code):
            if severity is not None and r.rule.severity != severity:
                continue
            if r.error:
                frames.append(pd.DataFrame([{
                    "rule": r.rule.rule_id, "severity": r.rule.severity, "department": code, "year": self.year,
                    "field": r.rule.field, "value_provided": "", "expected_value": "", "difference": "",
                    "source_file": "", "row_number": "", "message": r.error, "record": ""}],
                    columns=FAILING_COLUMNS))
            elif not r.failing.empty:
                frames.append(r.failing)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FAILING_COLUMNS)


# the word that follows a figure of a refusal, by the rule's unit: a money rule's figures are shown in 元 (the office's
# files may be in 万元, the quarantine's record is in 分), a difference of dates in days
VALUE_WORDS = {"fen": "元"}
DIFFERENCE_WORDS = {"fen": "元", "day": "天"}


def _fen_text(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    fen = int(value)
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _plain(value: Any) -> str:
    """A failing row's value as staff read it: a whole number with every digit, a fraction to 12 significant digits,
    never with an exponent (``1315243.3``, never ``1.31524e+06``: six digits misstated the statistics in the report's
    数据质量说明), a date as a date, NULL as empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float | np.floating):
        number = float(value)
        if number.is_integer():  # a sum of 分 (DuckDB's HUGEINT comes through pandas as a float): every digit
            return str(int(number))
        # a fraction (a statistic) to 12 significant digits: a computed difference's float noise
        # (0.30000000000000004) dropped, the figure kept
        return np.format_float_positional(float(f"{number:.12g}"), trim="-")
    return str(value)


def _record(row: dict[str, Any]) -> str:
    """The failing row as JSON, so a quarantined record can be fixed without its source at hand."""
    return json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False, sort_keys=True)


def failing_rows(rule: Rule, rows: pd.DataFrame, year: int) -> pd.DataFrame:
    """Failing view rows as the DATA Act Broker reports them: provided, expected, difference, where."""
    fmt = _fen_text if rule.unit == "fen" else _plain
    provided_col = rule.provided or rule.field
    fields = ([str(v) for v in rows[rule.field_column]] if rule.field_column and rule.field_column in rows
              else rule.field)

    def column(name: str | None, formatter: Any = fmt) -> list[str]:
        if name is None or name not in rows.columns:
            return [""] * len(rows)
        return [formatter(v) for v in rows[name]]

    provided = column(provided_col)
    stated = (rule.expected_text or "").replace("{year}", str(year))  # FIN-005: 2022 年内的日期
    expected = column(rule.expected) if rule.expected else [stated] * len(rows)
    difference = column(rule.difference, fmt if rule.unit == "fen" else _plain)
    return pd.DataFrame({
        "rule": rule.rule_id,
        "severity": rule.severity,
        "department": rows["department_code"].astype(str).to_numpy() if len(rows) else [],
        "year": year,
        "field": fields,
        "value_provided": provided,
        "expected_value": expected,
        "difference": difference,
        "source_file": [_plain(v) for v in rows[SOURCE]] if SOURCE in rows else [""] * len(rows),
        "row_number": [_plain(v) for v in rows[ROW]] if ROW in rows else [""] * len(rows),
        "message": rule.message,
        "record": [_record(r) for r in rows.drop(columns=[IDX], errors="ignore").to_dict("records")],
    }, columns=FAILING_COLUMNS)


def defer_scipy_stats() -> bool:
    """Make ``scipy.stats`` load on its first use rather than when Great Expectations is imported; True if
    deferred now.

    GX imports every core expectation as it starts, and one of them (``expect_column_kl_divergence_to_be_less_than``)
    does ``from scipy import stats`` at its top: 0.7 s of the run's fixed cost (scipy.stats with scipy.spatial and
    scipy.linalg) for statistics no rule of the registry uses. The module is put in place with the standard
    library's :class:`importlib.util.LazyLoader` and set on ``scipy``, so that ``from scipy import stats`` finds it
    without the import machinery (which would load it); any attribute read loads the real module, so a rule that
    needs scipy's statistics still gets them. Nothing is done when scipy.stats is already imported or scipy is
    absent. ``tests/unit/test_gate_import.py`` checks both sides in a fresh interpreter.

    What to know: on Python 3.11 the first use must not race another thread's (the standard library's lazy module
    is made thread-safe from 3.12 on); no code of the project uses scipy.stats, and GX's validations here never
    do. Whatever reads every module's attributes (``inspect.getmodule``'s search, pickle's ``whichmodule``) loads
    it, which costs the time again and nothing else; an error in scipy.stats shows at that first use."""
    if "scipy.stats" in sys.modules:
        return False
    try:
        import scipy
    except ImportError:
        return False
    spec = importlib.util.find_spec("scipy.stats")
    if spec is None or spec.loader is None:
        return False
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["scipy.stats"] = module
    spec.loader.exec_module(module)
    scipy.stats = module
    return True


def _gx_module() -> Any:
    """Great Expectations, imported on first use (it takes seconds) with the custom types registered."""
    if "gx" not in _gx_state:
        defer_scipy_stats()
        import great_expectations as gx

        import tasks.quality.custom_expectations  # noqa: F401  (registers the custom types)

        _gx_state["gx"] = gx
    return _gx_state["gx"]


def _context(docs_dir: Path | None) -> Any:
    """A fresh ephemeral GX context for one run, with a Data Docs site in ``docs_dir`` if given."""
    gx = _gx_module()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        context.add_data_docs_site(site_name=DOCS_SITE, site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
    return context


def parameters_for(year: int, ledger_tolerance_fen: int, yoy_bound: float, jump_factor: float = 100.0,
                   ) -> dict[str, Any]:
    """The values the suites' ``$PARAMETER``s take: the report year, the ledger tolerance (分), the
    statistics' year-over-year bound (1.0 = 100 %) and the factor beyond which a figure's jump warns."""
    return {
        "year": year,
        "ledger_tolerance_fen": ledger_tolerance_fen,
        "ledger_tolerance_neg_fen": -ledger_tolerance_fen,
        "yoy_bound": yoy_bound,
        "yoy_bound_neg": -yoy_bound,
        "jump_factor": jump_factor,
    }


def gate_parameters(settings: Settings, year: int) -> dict[str, Any]:
    """The suites' parameters for ``year`` from the settings that change results
    (``Settings.RESULT_SETTINGS``: the ledger tolerance, the year-over-year bound, the jump factor)."""
    return parameters_for(year, settings.ledger_tolerance_fen(), settings.yoy_warning_bound,
                          settings.jump_warning_factor)


def run_gate(data: RunData, parameters: dict[str, Any], rules: tuple[Rule, ...] | None = None,
             docs_dir: Path | None = None, scratch: Path | None = None,
             memory_limit: str | None = None) -> QualityReport:
    """Check ``data`` against every rule; each rule gets a result for each department of the run.

    The data is staged in a run database (:mod:`tasks.quality.rundb`, DuckDB in ``scratch``, at most
    ``memory_limit`` of memory before it spills; or ``data.staged``, the run's own, which is left open
    for the load), the rule views are built there in SQL, and Great
    Expectations checks them with its SQL engine, view by view (:func:`_check_view`). With
    ``docs_dir``, the run's Data Docs site is built there.
    """
    rules = rules if rules is not None else load_rules()
    report = QualityReport(year=data.year, departments=data.codes)
    by_view: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        by_view[rule.view].append(rule)
    known = set(check_views())
    staging = nullcontext(data.staged) if data.staged is not None else run_database(scratch, memory_limit)
    with _gx_lock, staging as db:
        db.build(data.year, data.departments, data.frames)
        gx = _gx_module()
        keep_duckdb_connections_open()
        context = _context(docs_dir)
        source = context.data_sources.add_sql("selfeval", connection_string=db.url)
        try:
            for view_name, view_rules in by_view.items():
                why = None
                if view_name not in known:
                    why = f"{UNEVALUATED}：视图 {view_name!r} 不存在（view does not exist）"
                elif view_name in db.failed:
                    why = (f"{UNEVALUATED}：视图 {view_name!r} 无法生成（view could not be built: "
                           f"{db.failed[view_name]}）")
                if why is not None:  # without its view, none of the view's rules can be checked
                    log.error("%s: %s", ", ".join(r.rule_id for r in view_rules), why)
                    for rule in view_rules:
                        _refuse_all(report, rule, data, why)
                    continue
                try:
                    asset = source.add_table_asset(view_name, table_name=f"chk_{view_name}")
                except Exception as exc:  # GX tries the view first: DuckDB out of memory says "test query failed"
                    stop_if_out_of_memory(exc)
                    raise
                _check_view(gx, context, asset, view_name, view_rules, db, data, parameters, report)
            if docs_dir is not None:
                urls = context.build_data_docs(site_names=[DOCS_SITE])
                report.data_docs = urls.get(DOCS_SITE)
        finally:
            release(source)
    return report


def _check_view(gx: Any, context: Any, asset: Any, view_name: str, view_rules: list[Rule], db: RunDatabase,
                data: RunData, parameters: dict[str, Any], report: QualityReport) -> None:
    """Check a view's rules in two passes: all of them in one validation asking only for a verdict
    (``BOOLEAN_ONLY``: the nightly case, where every rule passes, costs least), then the rules that did
    not pass cleanly again, with every failing row (``COMPLETE``). A rule passes on a clean first
    verdict, or when its second result names no failing row; an error in either pass, or no result,
    refuses. If GX refuses a validation as a whole (one rule's arguments are malformed), each
    rule is tried alone, so that only the broken one fails, at its own severity."""
    groups = [view_rules]
    while groups:
        group = groups.pop(0)
        part = f".{group[0].rule_id}" if len(group) < len(view_rules) else ""
        try:
            verdicts = _validate_view(gx, context, asset, view_name, group, data.year, parameters, suffix=part)
        except Exception as exc:
            stop_if_out_of_memory(exc)
            if len(group) > 1:
                groups.extend([rule] for rule in group)
                continue
            why = _raised(exc)
            log.error("%s %s", group[0].rule_id, why)
            _refuse_all(report, group[0], data, why)
            continue
        report.validations.append(verdicts)
        by_id = {r.rule_id: r for r in group}
        recheck: list[Rule] = []
        for result in verdicts.results:
            rule = by_id.pop(result.expectation_config.meta["rule_id"])
            if result.success is True and evaluation_error(result) is None:
                for code in data.codes:
                    report.results.append(RuleResult(rule, code, no_failing_rows()))
            else:
                recheck.append(rule)
        for rule in by_id.values():  # GX returned no result for it: it was not checked
            _refuse_all(report, rule, data, NO_RESULT)
        if recheck:
            _detail(gx, context, asset, view_name, recheck, db, data, parameters, report, part)


def _detail(gx: Any, context: Any, asset: Any, view_name: str, rules: list[Rule], db: RunDatabase,
            data: RunData, parameters: dict[str, Any], report: QualityReport, part: str) -> None:
    """The second pass: ``rules`` (which did not pass) validated again with their failing rows."""
    try:
        outcome = _validate_view(gx, context, asset, view_name, rules, data.year, parameters,
                                 suffix=f"{part}.detail", complete=True)
    except Exception as exc:
        stop_if_out_of_memory(exc)
        why = _raised(exc)
        for rule in rules:
            log.error("%s %s", rule.rule_id, why)
            _refuse_all(report, rule, data, why)
        return
    report.validations.append(outcome)
    by_id = {r.rule_id: r for r in rules}
    for result in outcome.results:
        _collect(report, by_id.pop(result.expectation_config.meta["rule_id"]), result, db, view_name, data)
    for rule in by_id.values():
        _refuse_all(report, rule, data, NO_RESULT)


# The failing rows a rule lists (the error report, the quarantine, "N 条记录") at most, per view: beyond it the
# listing stops there (docs/known-gaps.md).
LISTED_ROWS = 200_000


def _validate_view(gx: Any, context: Any, asset: Any, view_name: str, rules: list[Rule], year: int,
                   parameters: dict[str, Any], suffix: str = "", complete: bool = False) -> Any:
    """One GX validation of ``rules`` on the view (``suffix`` names a part of the view's rules): the
    verdicts only, or with ``complete`` every failing row's ``_idx`` and values."""
    name = f"{view_name}{suffix}"
    suite = context.suites.add(gx.ExpectationSuite(
        name=f"{rules[0].suite}.{name}", expectations=[dict(r.expectation) for r in rules]))
    batches = asset.add_batch_definition_whole_table(name)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{year}.{name}", data=batches, suite=suite))
    # GX's SQL engine cuts the failing rows it lists at partial_unexpected_count (20 by default) even when asked for
    # them all: without a larger one, a rule failing on 24 rows named 20 of them, and said "20 条记录"
    result_format = ({"result_format": "COMPLETE", "unexpected_index_column_names": [IDX],
                      "partial_unexpected_count": LISTED_ROWS} if complete
                     else {"result_format": "BOOLEAN_ONLY"})
    return definition.run(expectation_parameters=parameters, result_format=result_format)


def evaluation_error(result: Any) -> str | None:
    """Why GX could not evaluate an expectation, or None when it could.

    GX 1.x reports an exception in one of two shapes: at the top of ``exception_info``
    (``raised_exception``, ``exception_message``), or nested under the ids of the metric
    configurations that raised (``{"MetricConfigurationID(...)": {"exception_message": ...}}``).
    """
    info = result.exception_info or {}
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "an exception was raised")
    for nested in info.values():
        if isinstance(nested, dict) and (nested.get("raised_exception") or nested.get("exception_message")
                                         or nested.get("exception_traceback")):
            message = nested.get("exception_message")
            if not message and nested.get("exception_traceback"):
                message = str(nested["exception_traceback"]).strip().splitlines()[-1]
            return str(message or "an exception was raised")
    return None


OUT_OF_MEMORY = "Out of Memory Error"  # how DuckDB's out-of-memory errors begin, in GX's messages too


def stop_if_out_of_memory(found: BaseException | str) -> None:
    """Raise DuckDB's out-of-memory error when ``found`` (an exception GX raised, with its causes, or the message
    GX kept of one) is one: the run database could not work within its memory limit, which says nothing of the
    data, so the run stops naming the setting (``flows/self_evaluation.py``) instead of refusing every department
    as a rule that could not be evaluated."""
    import duckdb

    seen: BaseException | None = found if isinstance(found, BaseException) else None
    while seen is not None:
        if isinstance(seen, duckdb.OutOfMemoryException):
            raise seen
        seen = seen.__cause__ or seen.__context__
    text = str(found)
    if OUT_OF_MEMORY in text:
        raise duckdb.OutOfMemoryException(text[text.index(OUT_OF_MEMORY):])


def _raised(exc: Exception) -> str:
    """Why a validation that raised could not evaluate its rules."""
    return f"{UNEVALUATED}：执行出错（{type(exc).__name__}: {str(exc)[:300]}）"


def _refuse_all(report: QualityReport, rule: Rule, data: RunData, why: str) -> None:
    for code in data.codes:
        report.results.append(RuleResult(rule, code, no_failing_rows(), error=why))


def _failing_view_rows(rule: Rule, result: Any, db: RunDatabase, view_name: str) -> pd.DataFrame | None:
    """The view rows a failed GX result points at: by ``_idx`` where GX lists them; else (GX's SQL
    engine lists only the values for multi-column rules such as compound uniqueness) every row
    holding one of the failing values, which for a map rule (its verdict a function of the values
    in its columns) are exactly the failing rows. None when the result names neither."""
    outcome = result.result or {}
    indexes = [int(row[IDX]) for row in (outcome.get("unexpected_index_list") or [])]
    if indexes:
        return db.rows(view_name, indexes)
    values = outcome.get("unexpected_list") or []
    kwargs = rule.expectation.get("kwargs", {})
    if values and isinstance(values[0], dict):
        return db.rows_with_values(view_name, pd.DataFrame(values))
    if values and isinstance(kwargs.get("column"), str):
        return db.rows_with_values(view_name, pd.DataFrame({kwargs["column"]: values}))
    return None


def _with_counterpart(bad: pd.DataFrame, rule: Rule, db: RunDatabase) -> pd.DataFrame:
    """Failing rows with the files their compared figure is summed from; as they are when the lookup fails (the
    refusal then names one side only, which is still true)."""
    import duckdb

    assert rule.counterpart is not None
    try:
        return db.with_counterpart_files(bad, *rule.counterpart)
    except (duckdb.Error, KeyError) as exc:  # KeyError: an ``on`` column the view lacks (a test checks the registry)
        log.warning("%s：未能查到对照数据的来源文件（could not look up the compared figure's files）：%s",
                    rule.rule_id, str(exc).splitlines()[0][:200])
        return bad


def _collect(report: QualityReport, rule: Rule, result: Any, db: RunDatabase, view_name: str,
             data: RunData) -> None:
    """Attribute a GX result to departments; what cannot be attributed fails every department."""
    error = evaluation_error(result)
    if error is not None:
        stop_if_out_of_memory(error)
        why = f"{UNEVALUATED}：{gl.both('执行出错', str(error))}"
        log.error("%s %s", rule.rule_id, why)
        _refuse_all(report, rule, data, why)
        return
    bad = _failing_view_rows(rule, result, db, view_name)
    if not result.success and (bad is None or bad.empty):  # a table-level rule, or no row to point at
        observed = (result.result or {}).get("observed_value")
        _refuse_all(report, rule, data, "规则对整体数据未通过，无法对应到具体行（failed for the data as a whole"
                    + (f", observed {observed}" if observed is not None else "") + "）")
        return
    if rule.counterpart is not None and bad is not None and not bad.empty:
        bad = _with_counterpart(bad, rule, db)
    rows = failing_rows(rule, bad, data.year) if bad is not None else pd.DataFrame(columns=FAILING_COLUMNS)
    grouped = dict(tuple(rows.groupby("department"))) if len(rows) else {}
    if not result.success and not set(grouped) & set(data.codes):
        log.warning("%s 仅在本次运行以外部门的行上未通过（%s），本次运行的部门不因此被拒绝"
                    "（failed only on rows of departments outside this run）", rule.rule_id,
                    "、".join(sorted(map(str, grouped))) or "无")
    for code in data.codes:
        failing = grouped.get(code)
        report.results.append(RuleResult(rule, code, no_failing_rows() if failing is None
                                         else failing.reset_index(drop=True)))
