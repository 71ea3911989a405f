"""selfeval's own data-quality page: every rule of a run, failing first, readable offline.

Great Expectations' Data Docs load their CSS and JavaScript from public CDNs and are blank on an intranet;
this page is one self-contained HTML file (no script, no remote style or font) that the run's artifact
links. Written to ``<output_dir>/<year>/data-quality/<run id>.html`` by :func:`write_quality_page`: a run's
link keeps showing that run's results.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tasks import glossary as gl
from tasks.quality.gate import QualityReport, RuleResult
from tasks.quality.rules import INPUT_RULE
from tasks.settings import TEMPLATES_DIR

PAGES = "data-quality"  # <output_dir>/<year>/data-quality/<run>.html: one page per run, never overwritten


@dataclass(frozen=True)
class RuleRow:
    """One rule's result for one department-year, as the page and the tests read it."""

    department: str
    rule: str
    label: str
    severity: str  # "致命（fatal）" / "警告（warning）"
    passed: bool
    failing_rows: int
    example: str  # the first failing row, or why the rule could not be evaluated
    errors_csv: str  # the CSV listing the rule's failing rows, relative to the page ("" when it has none): the
    # department's errors for a fatal rule, its warnings for a warning rule


def _rank(r: RuleResult) -> tuple[int, int]:
    """Failing fatal rules first, then failing warnings, then the rules that passed."""
    if r.success:
        return (2, 0)
    return (0 if r.rule.severity == "fatal" else 1, -r.failing_count)


INPUT_LABEL = gl.INPUT_PROBLEM


def rule_rows(report: QualityReport, errors_csv: dict[str, str] | None = None,
              input_problems: dict[str, list[str]] | None = None,
              warnings_csv: dict[str, str] | None = None) -> list[RuleRow]:
    """The report's results, failing rules first (fatal before warning, most rows first), then by department
    and rule id; a department refused for a malformed input first of all, one row per problem
    (``input_problems``: department → what is wrong, naming file, row and column). ``errors_csv`` maps a
    department to its error CSV's path relative to the page, ``warnings_csv`` to its warning CSV's: a failing rule
    links the one that lists its rows."""
    errors_csv, warnings_csv = errors_csv or {}, warnings_csv or {}

    def listed(r: RuleResult) -> str:
        if r.success:
            return ""
        return (errors_csv if r.rule.severity == "fatal" else warnings_csv).get(r.department_code, "")

    inputs = [RuleRow(code, INPUT_RULE, INPUT_LABEL, gl.severity("fatal"), False, 1, problem, errors_csv.get(code, ""))
              for code, problems in sorted((input_problems or {}).items()) for problem in problems]
    ordered = sorted(report.results, key=lambda r: (*_rank(r), r.department_code, r.rule.rule_id))
    return inputs + [RuleRow(r.department_code, r.rule.rule_id, r.rule.label, gl.severity(r.rule.severity),
                             r.success, r.failing_count, r.example(), listed(r)) for r in ordered]


def write_quality_page(folder: Path, report: QualityReport, errors_csv: dict[str, str] | None = None,
                       input_problems: dict[str, list[str]] | None = None, run_id: str = "latest",
                       warnings_csv: dict[str, str] | None = None) -> Path:
    """Write the run's page, ``folder/data-quality/<run_id>.html``, for ``report`` and the departments refused
    for their inputs, and return its path. ``errors_csv`` and ``warnings_csv`` paths are relative to ``folder``."""
    rows = rule_rows(report, {code: f"../{path}" for code, path in (errors_csv or {}).items()}, input_problems,
                     {code: f"../{path}" for code, path in (warnings_csv or {}).items()})
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined)
    html = env.get_template("data-quality.html.j2").render(
        year=report.year, rows=rows, failing=sum(not r.passed for r in rows), gl=gl)
    pages = folder / PAGES
    pages.mkdir(parents=True, exist_ok=True)
    path = pages / f"{run_id}.html"
    path.write_text(html, encoding="utf-8")
    return path
