"""From the warehouse to report files for one department-year: figures, score, rendering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tasks.report.figures import Figures, read_figures
from tasks.report.narrative import Narrative, NarrativeError, load_narrative
from tasks.report.render import QualityNote, ReportInput, load_options, write_report
from tasks.report.score import Scorecard, indicator_from, load_scoring, score
from tasks.settings import TEMPLATES_DIR, Settings


def scorecard(figures: Figures, narrative: Narrative, scoring_path: Path) -> Scorecard:
    grades, common = load_scoring(scoring_path)
    own = [indicator_from(i.model_dump()) for i in narrative.performance_indicators]
    values: dict[str, Any] = {name: f.value for name, f in figures.items.items()}
    try:
        return score(values, common + own, grades, narrative.conclusion.grade_override)
    except (KeyError, ValueError) as exc:
        raise NarrativeError(f"scoring of {narrative.department} {narrative.year}: {exc}") from exc


def render_department(engine: sa.Engine, settings: Settings, department: str, year: int,
                      quality_notes: list[QualityNote] | None = None) -> dict[str, Path]:
    narrative = load_narrative(settings.narrative_root(), year, department)
    with engine.connect() as conn:
        figures = read_figures(conn, department, year)
    card = scorecard(figures, narrative, TEMPLATES_DIR / "scoring.yaml")
    data = ReportInput(figures, narrative, card, quality_notes or [], load_options(settings.report_config))
    return write_report(settings.output_dir, data)
