"""Prefect tasks of the report: check the narratives, render a department-year, re-render."""

from __future__ import annotations

import time

import pandas as pd
import sqlalchemy as sa
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks.artifacts import publish_monitoring
from tasks.domain import today
from tasks.pipeline import DepartmentOutcome, MonitoringSummary, report_notes
from tasks.quality.alerts import deliver
from tasks.quality.rules import load_rules
from tasks.report.build import money_figures, notes_rendered
from tasks.report.build import render_department as render
from tasks.report.monitoring import already_told, lag_alerts, monitor
from tasks.report.narrative import NarrativeAbsent, NarrativeError, check_narrative, load_narrative, narrative_file
from tasks.report.render import QualityNote, report_dir
from tasks.report.score import load_profile
from tasks.report.stamp import write_stamp
from tasks.report.targets import check_sources
from tasks.resources import dropped_connection, engine_for
from tasks.settings import Settings
from tasks.warehouse import queries as q
from tasks.warehouse.dialect import take_waited
from tasks.warehouse.metrics import load_registry
from tasks.warehouse.runs import last_monitoring


@task(name="check-narratives", cache_policy=NO_CACHE)
def check_narratives(settings: Settings, year: int,
                     departments: list[str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Each department's narrative, where there is one, must be well formed before its data is loaded;
    a department with none yet is not refused (its report is a 草稿). Returns the problems by department,
    and the warnings of how a narrative was read (a byte-order mark over GBK text, say)."""
    problems: dict[str, list[str]] = {}
    warnings: dict[str, list[str]] = {}
    registry = load_registry(settings.metrics_registry)
    grades = [grade for _, grade in load_profile(settings.scoring_profile).grades]
    for code in departments:
        try:
            narrative = load_narrative(settings.narrative_root(), year, code)
            check_narrative(narrative, registry, str(narrative_file(settings.narrative_root(), year, code)), grades)
        except NarrativeAbsent:
            continue
        except NarrativeError as exc:
            problems[code] = [str(exc)]
            continue
        if narrative.warnings:
            warnings[code] = narrative.warnings
    return problems, warnings


@task(name="monitor", cache_policy=NO_CACHE)
def monitor_year(settings: Settings, year: int, run_id: str) -> MonitoringSummary | None:
    """An open year's 支付进度 against 序时进度, for every department the warehouse holds for it: published
    as an artifact, and alerted when ``settings.lag_alerts`` is on. None when the year is closed."""
    log = get_run_logger()
    engine = engine_for(settings)
    try:
        with engine.connect() as conn:
            found = monitor(conn, settings, year, today())
            previous = last_monitoring(conn, year, run_id) if found is not None else None
    finally:
        engine.dispose()
    if found is None:
        return None
    publish_monitoring(found)
    summary = MonitoringSummary.of(found)
    for code, findings in summary.lagging.items():
        for finding in findings:
            log.warning("%s %s: %s", code, year, finding)
    told = already_told(found, previous)  # delivered at this data date by an earlier run
    if settings.lag_alerts:
        for item in lag_alerts(found, run_id, told):
            problems = deliver(item, settings, "lag")
            for problem in problems:
                log.warning("%s %s: lag alert not delivered: %s", item.department, item.year, problem)
            if not problems:
                told.add(item.department)
    summary.told = sorted(told & set(summary.lagging))
    return summary


@task(name="check-targets", cache_policy=NO_CACHE)
def check_targets(settings: Settings, targets: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    """Each department's 绩效目标 must name a metric of the registry (or ``reported``) for every
    实际完成值, before anything loads. ``targets``: the staged rows by department."""
    registry = load_registry(settings.metrics_registry)
    profile, money = load_profile(settings.scoring_profile), money_figures(registry)
    problems: dict[str, list[str]] = {}
    for code, frame in targets.items():
        found = check_sources(frame, registry, profile, money)
        if found:
            problems[code] = [str(p) for p in found]
    return problems


@task(name="render", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[1, 2, 4],
      retry_condition_fn=dropped_connection)
def render_department(settings: Settings, department: str, year: int, notes: list[QualityNote],
                      fingerprint: str | None = None) -> tuple[dict[str, str], float, list[str]]:
    """Render one loaded department-year's report in every format, from the warehouse.

    A separate task from the load, so that a render retried (a dropped connection) does not reload.
    With ``fingerprint``, a render stamp records that every file was rendered from that load.
    Returns the report files by format, the seconds spent (without the wait for DuckDB's single
    writer when the score is published), and what the department has still to submit (a 草稿's).
    """
    engine = engine_for(settings)
    try:
        start = time.perf_counter()
        take_waited()
        paths, missing = render(engine, settings, department, year, notes)
        if fingerprint:
            write_stamp(report_dir(settings.output_dir, year, department), fingerprint, paths)
        # publishing the score waits for DuckDB's single writer: not render work
        seconds = time.perf_counter() - start - take_waited()
    finally:
        engine.dispose()
    return {k: str(v) for k, v in paths.items()}, seconds, missing


def recorded_notes(conn: sa.Connection, department: str, year: int) -> list[QualityNote]:
    """The report's data-quality notes from the warnings recorded when the department-year was loaded: what
    the run that loaded it passed to its render."""
    labels = {r.rule_id: r.label for r in load_rules()}
    warnings = [(str(w["rule_id"]), labels.get(str(w["rule_id"]), ""), int(w["failing_rows"]),  # type: ignore[call-overload]
                 str(w["example"] or "")) for w in q.recorded_warnings(conn, department, year)]
    return [QualityNote(*n) for n in report_notes([], warnings, {})]


@task(name="rerender", cache_policy=NO_CACHE)
def rerender(settings: Settings, year: int, departments: list[str] | None) -> list[DepartmentOutcome]:
    """Render the reports of department-years already in the warehouse, without touching their data, with the
    data-quality notes each was last rendered with (else the warnings recorded when it was loaded)."""
    engine = engine_for(settings)
    outcomes = []
    try:
        with engine.connect() as conn:
            held = q.loaded_departments(conn, year)
            notes: dict[str, list[QualityNote]] = {}
            for code in held:
                kept = notes_rendered(conn, code, year)
                notes[code] = kept if kept is not None else recorded_notes(conn, code, year)
        for code in dict.fromkeys(departments or held):
            if code not in held:
                outcomes.append(DepartmentOutcome(code, "refused", [f"{code} {year} is not in the warehouse"]))
                continue
            paths, missing = render(engine, settings, code, year, notes[code])
            outcomes.append(DepartmentOutcome(code, "rerendered", warnings=len(notes[code]),
                                              reports={k: str(v) for k, v in paths.items()}, missing=missing))
    finally:
        engine.dispose()
    return outcomes
