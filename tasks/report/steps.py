"""Prefect tasks of the render stage."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.report.build import render_department as render
from tasks.report.figures import FIGURE_NAMES
from tasks.report.narrative import NarrativeError, check_narrative, load_narrative, narrative_path
from tasks.report.render import QualityNote
from tasks.settings import Settings
from tasks.warehouse.steps import engine_for


@task(name="check-narratives", cache_policy=NO_CACHE)
def check_narratives(settings: Settings, year: int, departments: list[str]) -> dict[str, list[str]]:
    """Each department's narrative must exist and be well-formed before its data is loaded."""
    problems: dict[str, list[str]] = {}
    for code in departments:
        try:
            narrative = load_narrative(settings.narrative_root(), year, code)
            check_narrative(narrative, FIGURE_NAMES, str(narrative_path(settings.narrative_root(), year, code)))
        except NarrativeError as exc:
            problems[code] = [str(exc)]
    return problems


@task(name="render-report", cache_policy=NO_CACHE)
def render_report(settings: Settings, department: str, year: int,
                  quality_notes: list[QualityNote]) -> dict[str, Path]:
    engine = engine_for(settings)
    try:
        return render(engine, settings, department, year, quality_notes)
    finally:
        engine.dispose()
