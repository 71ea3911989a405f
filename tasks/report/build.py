"""From the warehouse to report files for one department-year: figures, score, tables, charts, provenance."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tasks.domain import PROGRAM_HITECH, PROGRAM_SRDI
from tasks.report import charts as ch
from tasks.report.figures import Figures, read_figures
from tasks.report.formatting import FEN_PER_WAN
from tasks.report.narrative import Narrative, NarrativeError, load_narrative
from tasks.report.provenance import provenance
from tasks.report.render import QualityNote, ReportInput, load_options, write_report
from tasks.report.score import Scorecard, indicator_from, load_scoring, score
from tasks.report.tables import execution_table, indicators_table
from tasks.settings import TEMPLATES_DIR, Settings
from tasks.sources.raw import sha256_file
from tasks.warehouse import queries as q
from tasks.warehouse.load import record_score
from tasks.warehouse.metrics import load_registry


def scorecard(figures: Figures, narrative: Narrative, scoring_path: Path) -> Scorecard:
    grades, common = load_scoring(scoring_path)
    own = [indicator_from(i.model_dump()) for i in narrative.performance_indicators]
    values: dict[str, Any] = {name: f.value for name, f in figures.items.items()}
    try:
        return score(values, common + own, grades, narrative.conclusion.grade_override)
    except (KeyError, ValueError) as exc:
        raise NarrativeError(f"scoring of {narrative.department} {narrative.year}: {exc}") from exc


def _wan(fen: int) -> Decimal:
    return Decimal(fen) / FEN_PER_WAN


def charts(conn: sa.Connection, figures: Figures) -> dict[str, ch.Chart]:
    """Budget against execution by fund source and by expense type; trends over the years held."""
    out = {}
    name, year = figures.department_name, figures.year
    for key, splits, title in (("chart_fund_source", figures.splits["fund_source"], "按资金来源"),
                               ("chart_expense_type", figures.splits["expense_type"], "按支出性质")):
        shown = [s for s in splits if s.lines] or splits
        out[key] = ch.budget_against_execution(
            f"{year}年预算与执行（{title}，万元）", [s.name for s in shown], [_wan(s.budget_fen) for s in shown],
            [_wan(s.executed_fen) for s in shown], key)
    history = q.department_years(conn, figures.department_code, year)
    if history:
        years = [h.year for h in history]
        out["chart_trend"] = ch.trend(
            f"{name}历年预算与执行（万元）", years,
            {"年度预算数": [_wan(h.budget_fen) for h in history],
             "全年执行数": [_wan(h.executed_fen) for h in history]},
            "万元", "chart_trend")
        srdi = q.applicants_by_year(conn, figures.department_code, PROGRAM_SRDI, years)
        first = q.applicants_by_year(conn, figures.department_code, PROGRAM_HITECH, years, first_only=True)
        if any(srdi.values()) or any(first.values()):
            out["chart_tasks"] = ch.trend(
                "重点工作任务产出（家）", years,
                {"省级专精特新申报企业": [Decimal(srdi[y]) for y in years],
                 "首次申报高企认定企业": [Decimal(first[y]) for y in years]},
                "家", "chart_tasks")
    return out


def report_input(conn: sa.Connection, settings: Settings, department: str, year: int,
                 quality_notes: list[QualityNote] | None = None) -> ReportInput:
    narrative = load_narrative(settings.narrative_root(), year, department)
    options = load_options(settings.report_config)
    figures = read_figures(conn, load_registry(settings.metrics_registry), department, year)
    card = scorecard(figures, narrative, TEMPLATES_DIR / "scoring.yaml")
    data = ReportInput(figures, narrative, card, quality_notes or [], options)
    if options.get("appendices", True):
        data.tables = {"execution": execution_table(figures, card), "indicators": indicators_table(figures, card)}
        if options.get("charts", True):
            data.charts = charts(conn, figures)
    data.provenance = provenance(conn, figures)
    return data


def render_department(engine: sa.Engine, settings: Settings, department: str, year: int,
                      quality_notes: list[QualityNote] | None = None) -> dict[str, Path]:
    """Render a loaded department-year's report in every configured format, then publish its 总分 and
    等级 to ``mart_score`` (with the report.md's SHA-256), where the roll-up reads them."""
    with engine.connect() as conn:
        data = report_input(conn, settings, department, year, quality_notes)
    paths = write_report(settings.output_dir, data)
    card = data.scorecard
    md = paths.get("md")
    record_score(engine, department, year, card.total, card.grade, card.computed_grade, card.overridden,
                 sha256_file(md) if md is not None else None)
    return paths
