"""What the gate leaves behind: CSV reports and the quarantine (the warehouse records them too:
:mod:`tasks.warehouse.quality_records`).

CSV columns follow the DATA Act Broker's error and warning reports: rule, field, value provided,
expected value, difference, source file, row number (plus severity, department, year, message), and each row as the
refusal says it (``detail``: its key, the compared figure and its files, the difference's unit), headed in
Chinese with the column's code in brackets (``规则（rule）``) for the staff who open them in Excel or WPS;
:func:`read_report` reads one back with the codes as column names.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import pandas as pd

from tasks import glossary as gl
from tasks.addresses import without_server_paths
from tasks.quality.gate import FAILING_COLUMNS, QualityReport, row_text
from tasks.quality.rules import INPUT_RULE
from tasks.sources.contract import field_label
from tasks.sources.errors import Problem

REPORT_COLUMNS = [*(c for c in FAILING_COLUMNS if c not in ("record", "message")), "detail", "message"]
ERRORS_CSV = "data-quality-errors.csv"
WARNINGS_CSV = "data-quality-warnings.csv"
QUARANTINE_CSV = "quarantine.csv"


# The headings staff read in the CSV reports; each keeps its column's code in brackets.
HEADINGS = {"rule": "规则", "severity": "严重程度", "department": "部门", "year": "年度", "field": "字段",
            "value_provided": "所填值", "expected_value": "对照值", "difference": "差额", "source_file": "来源文件",
            "row_number": "行号", "detail": "定位与对照", "message": "说明", "record": "原记录", "reason": "原因"}


def _headed(frame: pd.DataFrame, roots: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``frame`` as staff read it: Chinese headings with the codes, the severity and field named, and each file
    named by its path in the landing zone (``roots``: :func:`tasks.addresses.landing_roots`), not the server's."""
    if roots:
        frame = frame.assign(**{c: [without_server_paths(v, roots) if isinstance(v, str) else v for v in frame[c]]
                                for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(
                                    frame[c])})
    if "severity" in frame.columns:
        frame = frame.assign(severity=frame["severity"].map(gl.severity))
    if "field" in frame.columns:  # the contract's column by its header: 全年执行数（executed）
        frame = frame.assign(field=frame["field"].map(_field))
    return frame.rename(columns={c: gl.both(HEADINGS[c], c) for c in frame.columns if c in HEADINGS})


def _field(name: object) -> str:
    text = str(name)
    label = field_label(text)
    return gl.both(label, text) if label != text else text


def read_report(path: Path) -> pd.DataFrame:
    """A CSV report or quarantine file as written, every cell text, with the columns' codes (``rule``,
    ``row_number``) as names and the codes of the severity and the field as values."""
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    frame = frame.rename(columns=_code)
    for column in ("severity", "field"):  # 致命（fatal） → fatal, 全年执行数（executed） → executed
        if column in frame.columns:
            frame[column] = frame[column].map(_code)
    return frame


def _code(text: str) -> str:
    """The code in the brackets that end ``text`` (``规则（rule）`` → ``rule``), or ``text`` itself."""
    return text[text.rfind("（") + 1:-1] if text.endswith("）") else text


def write_csv_reports(folder: Path, report: QualityReport, code: str,
                      roots: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Error and warning reports for a department-year; the quarantine when it was refused. They go to the
    department: its files are named by their paths in the landing zone (``roots``), not the server's."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, severity in ((ERRORS_CSV, "fatal"), (WARNINGS_CSV, "warning")):
        rows = report.failing_rows(code, severity)
        path = folder / name
        if len(rows):
            rules = {r.rule.rule_id: r.rule for r in report.for_department(code)}
            rows = rows.assign(detail=[row_text(rules[str(r["rule"])], r) if r["rule"] in rules and r["record"] else ""
                                       for r in rows.to_dict("records")])  # a rule not evaluated: its message says why
            _headed(rows[REPORT_COLUMNS], roots).to_csv(path, index=False, encoding="utf-8-sig")
            written[severity] = path
        elif path.exists():
            path.unlink()  # a stale report from an earlier run would mislead
    quarantine = folder / QUARANTINE_CSV
    if report.blocked(code):
        _headed(quarantine_rows(report, code), roots).to_csv(quarantine, index=False, encoding="utf-8-sig")
        written["quarantine"] = quarantine
    elif quarantine.exists():
        quarantine.unlink()
    return written


def write_input_errors(folder: Path, code: str, year: int, problems: list[str],
                       roots: Mapping[str, str] | None = None, shared: Collection[str] = (),
                       records: Mapping[str, Problem] | None = None) -> Path:
    """The error report of a department-year refused for its inputs (a cell that is no amount, a missing column:
    nothing of it reached the rules), a row per problem in :data:`REPORT_COLUMNS`, the problem's text (naming its
    file, row and column) as the row's 定位与对照: the file sent to the department, as for a rule's refusal. A
    warnings report and a quarantine of an earlier run are removed (nothing was checked this time: they would list
    records of files since replaced). Files are named by their paths in the landing zone (``roots``). A problem of
    ``shared`` (a file every department reads: :meth:`tasks.pipeline.Intake.shared_problems`) says that the
    operator mends it, not the department. A problem of ``records`` (its words → the :class:`Problem`) fills the
    report's 字段, 来源文件 and 行号 too, so that the rows can be sorted and filtered by file as a rule's are."""
    folder.mkdir(parents=True, exist_ok=True)
    def where(problem: str) -> dict[str, str]:
        found = (records or {}).get(problem)
        if found is None:
            return {"field": "", "source_file": "", "row_number": ""}
        return {"field": found.column or "", "source_file": found.uri,
                "row_number": "" if found.row is None else str(found.row)}

    rows = pd.DataFrame([{"rule": INPUT_RULE, "severity": "fatal", "department": code, "year": year,
                          "value_provided": "", "expected_value": "", "difference": "", **where(problem),
                          "detail": problem, "message": gl.SHARED_INPUT_PROBLEM if problem in shared
                          else gl.INPUT_PROBLEM} for problem in problems], columns=REPORT_COLUMNS)
    path = folder / ERRORS_CSV
    _headed(rows, roots).to_csv(path, index=False, encoding="utf-8-sig")
    (folder / WARNINGS_CSV).unlink(missing_ok=True)
    (folder / QUARANTINE_CSV).unlink(missing_ok=True)
    return path


def quarantine_rows(report: QualityReport, code: str) -> pd.DataFrame:
    """The failing records of a refused department-year, each with its rule and reason.

    A rule that could not be evaluated refuses the data too: it has a row with no record, whose
    reason says why the rule could not run.
    """
    rows = report.failing_rows(code, "fatal").copy()
    reasons = {r.rule.rule_id: f"{r.rule.rule_id} {r.rule.label}: {r.rule.message}" for r in report.fatal(code)}
    errors = {r.rule.rule_id: r.reason() for r in report.fatal(code) if r.error}
    rows["reason"] = [errors.get(rule) if record == "" and rule in errors else reasons.get(rule)
                      for rule, record in zip(rows["rule"], rows["record"], strict=True)]
    return rows
