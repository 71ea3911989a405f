"""Prefect tasks of the report: check the narratives and targets, render department-years by keys, publish
their scores, re-render, monitor an open year."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import cast

import pandas as pd
import sqlalchemy as sa
from prefect import get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.settings import PREFECT_API_URL
from prefect.task_runners import ProcessPoolTaskRunner

from tasks import glossary as gl
from tasks.artifacts import publish_monitoring
from tasks.domain import today
from tasks.pipeline import (
    DepartmentOutcome,
    MonitoringSummary,
    chunks,
    render_in_processes,
    render_work,
    report_notes,
)
from tasks.quality.alerts import deliver
from tasks.quality.rules import INPUT_RULE, load_rules
from tasks.report.build import Rendered, money_figures, notes_rendered, prepare_worker, render_keys
from tasks.report.build import render_department as render
from tasks.report.dual import dual_forms, followup_lines, form_path, red_items, write_dual_forms
from tasks.report.dual import summary_markdown as dual_summary
from tasks.report.lights import load_lights
from tasks.report.monitoring import (
    LagAlert,
    already_told,
    chinese_date,
    lag_alerts,
    light_alerts,
    light_key,
    monitor,
    told_lights,
)
from tasks.report.narrative import (
    NarrativeAbsent,
    NarrativeError,
    check_narrative,
    load_narrative,
    narrative_file,
    narrative_index,
)
from tasks.report.projects import check_project_inputs, district_markdown, load_project_profile, summed
from tasks.report.render import QualityNote, report_dir, set_aside
from tasks.report.score import load_profile
from tasks.report.stamp import write_stamp
from tasks.report.targets import check_sources
from tasks.resources import dropped_connection, engine_for
from tasks.settings import Settings
from tasks.warehouse import queries as q
from tasks.warehouse.load import record_scores
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
    root = settings.narrative_root()
    listed = narrative_index(root, year)  # the folder listed once for all departments
    for code in departments:
        try:
            narrative = load_narrative(root, year, code, listed)
            check_narrative(narrative, registry, str(narrative_file(root, year, code, listed)), grades)
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
    """An open year's 支付进度 against 序时进度 and its 双监控, for every department the warehouse holds for it:
    the forms written, published as an artifact (with the 整改 still open), lags alerted when
    ``settings.lag_alerts`` is on and red lights when ``settings.light_alerts`` is, each once per data date.
    None when the year is closed."""
    log = get_run_logger()
    engine = engine_for(settings)
    try:
        with engine.connect() as conn:
            found = monitor(conn, settings, year, today())
            previous = last_monitoring(conn, year, run_id) if found is not None else None
            forms = (dual_forms(conn, found, load_lights(settings.monitoring_lights), followup_day=today())
                     if found is not None else [])
    finally:
        engine.dispose()
    if found is None:
        return None
    write_dual_forms(settings.output_dir, forms)  # the 双监控: each project's and department's form, lit
    publish_monitoring(found, [*dual_summary(forms, "#", lambda f: settings.link(form_path(settings.output_dir, f))),
                               *followup_lines(forms)])
    summary = MonitoringSummary.of(found)
    summary.red = red_items(forms)
    for code, findings in summary.lagging.items():
        for finding in findings:
            log.warning("%s %s: %s", code, year, finding)
    told = already_told(found, previous)  # delivered at this data date by an earlier run
    if settings.lag_alerts:
        told.update(item.department for item in _delivered(lag_alerts(found, run_id, told), settings,
                                                            "支付进度滞后告警（lag alert）"))
    summary.told = sorted(told & set(summary.lagging))
    lit = told_lights(found, previous)  # red items alerted at this data date by an earlier run
    if settings.light_alerts:
        for item in _delivered(light_alerts(summary.red, year, run_id, lit), settings, "红灯告警（red-light alert）"):
            lit.setdefault(item.department, set()).update(light_key(f) for f in item.findings)
    summary.told_lights = {code: sorted(items) for code, items in sorted(lit.items()) if code in summary.red}
    return summary


def _delivered(alerts: list[LagAlert], settings: Settings, what: str) -> list[LagAlert]:
    """Each of ``alerts`` sent on the lag alerts' channels; those delivered (a channel that failed is logged, and
    its alert goes again on the next run)."""
    log = get_run_logger()
    out = []
    for item in alerts:
        problems = deliver(item, settings, "lag")
        for problem in problems:
            log.warning("%s %s：%s未送达（not delivered）：%s", item.department, item.year, what, problem)
        if not problems:
            out.append(item)
    return out


@task(name="check-targets", cache_policy=NO_CACHE)
def check_targets(settings: Settings, targets: pd.DataFrame, project_targets: pd.DataFrame | None = None,
                  project_actuals: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """Each department's 绩效目标 must name a metric of the registry (or ``reported``) for every
    实际完成值, and each project's 绩效目标 and 绩效自评 must be scorable by the project profile, before anything
    loads. ``targets``, ``project_targets``, ``project_actuals``: the staged rows of every department."""
    registry = load_registry(settings.metrics_registry)
    profile, money = load_profile(settings.scoring_profile), money_figures(registry)
    found = check_sources(targets, registry, profile, money)
    if project_targets is not None and project_actuals is not None:
        found += check_project_inputs(project_targets, project_actuals, load_project_profile(settings.project_profile))
    problems: dict[str, list[str]] = {}
    for problem in found:
        problems.setdefault(str(problem.department), []).append(str(problem))
    return problems


@task(name="projects", cache_policy=NO_CACHE)
def sum_up_projects(done: list[Rendered]) -> list[str]:
    """The rendered departments' projects summed up for the run's artifact, as the roll-up sums them
    (:func:`tasks.report.rollup.projects_of`): by grade, by 执行率 band, by the reviewer's checks, and every project
    not assessed, named; from what each render counted (``Rendered.district``), not read again. Empty without
    projects."""
    found = summed([r.district for r in sorted(done, key=lambda r: r.department)
                    if r.error is None and r.district is not None])
    return district_markdown(found, "##") if found is not None else []


@task(name="render", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[1, 2, 4],
      retry_condition_fn=dropped_connection)
def render_reports(settings: Settings, year: int, departments: list[str],
                   notes: dict[str, list[QualityNote]]) -> list[Rendered]:
    """Render loaded department-years' reports in every format, reading the warehouse once for all of them
    (keys, not frames: :func:`tasks.report.build.render_keys`) and without writing to it, so that renders
    run side by side, in threads, processes or Dask workers. The scores go in afterwards, all at once
    (:func:`publish_scores`)."""
    engine = engine_for(settings, read_only=True)
    try:
        return render_keys(engine, settings, departments, year, notes)
    finally:
        engine.dispose()


def _in_processes(settings: Settings, departments: int, parts: int) -> bool:
    """:func:`tasks.pipeline.render_in_processes` for this run's settings and server."""
    return render_in_processes(departments, parts, settings.render_processes_from, settings.dask_address is not None,
                               bool(PREFECT_API_URL.value()))


@task(name="start-render-worker", cache_policy=NO_CACHE)
def start_render_worker() -> int:
    """Nothing but a render worker process's start (Python, Prefect, the report's modules: ``prepare_worker``,
    ~2 s) while the run extracts and checks, rather than when its renders begin. Returns the worker's process id."""
    return os.getpid()


class RenderWorkers:
    """The render worker processes of a run (Prefect's ``ProcessPoolTaskRunner``), closed in the background once
    their renders are in: a spawned worker's interpreter takes ~0.5 s to finish (its modules torn down), which the
    run spends publishing scores and summing up instead of waiting. :func:`render_workers` waits for the close."""

    def __init__(self, runner: ProcessPoolTaskRunner):
        self.runner = runner
        self._closing: threading.Thread | None = None
        self._failed: Exception | None = None

    def close_soon(self) -> None:
        """Begin closing the pool in a thread of its own (idempotent); nothing may be submitted to it after."""
        if self._closing is None:
            self._closing = threading.Thread(target=self._exit, name="selfeval-render-workers-exit", daemon=True)
            self._closing.start()

    def close(self) -> Exception | None:
        """The pool closed and its processes gone: waits for :meth:`close_soon`'s thread, or closes it now. Returns
        what closing it raised (None when it closed): the renders are in and published by then, so a pool that
        would not close is the operator's to hear of, not a reason to lose the run's artifact and record."""
        if self._closing is None:
            self._exit()
        else:
            self._closing.join()
        return self._failed

    def _exit(self) -> None:
        try:
            self.runner.__exit__(None, None, None)
        except Exception as exc:  # kept for close(), on the run's own thread
            self._failed = exc


@contextlib.contextmanager
def render_workers(settings: Settings, planned: list[str]) -> Iterator[RenderWorkers | None]:
    """The processes a run of the ``planned`` departments renders in beside its own, started now and gone when
    the context ends, when :func:`tasks.pipeline.render_in_processes` says a run of that many would render in
    processes: one fewer than the parts they make (the run's own process renders one part while it waits); else None
    (threads, or Dask). ``planned`` bounds the departments the gate accepts: :func:`render_all` still renders in
    threads when fewer are accepted than ``render_processes_from``. A process takes ~2 s to start (spawned, as
    Prefect's runner does): starting it here overlaps that with the extraction and the gate, on the core they
    leave idle; :func:`render_all` begins closing them when the renders are in, and the context's end waits for
    that (so the run may go on to publish and sum up while they exit)."""
    parts = len(chunks(planned, settings.render_workers))
    if not _in_processes(settings, len(planned), parts):
        yield None
        return
    runner = ProcessPoolTaskRunner(max_workers=parts - 1, initializer=prepare_worker).__enter__()
    workers = RenderWorkers(runner)
    try:
        started = [runner.submit(start_render_worker, {}) for _ in range(parts - 1)]  # one spawn each
        try:
            yield workers
        finally:
            for future in started:  # resolved (a worker that did not start fails its part's render, named)
                future.wait()
    finally:
        failed = workers.close()
        if failed is not None:
            get_run_logger().error("报告进程池未能正常关闭（the render worker pool did not close: %s: %s）",
                                   type(failed).__name__, failed)


def render_all(settings: Settings, year: int, departments: list[str], notes: dict[str, list[QualityNote]],
               workers: RenderWorkers | None = None, projects: dict[str, int] | None = None) -> list[Rendered]:
    """Every accepted key's report, cut into ``render_workers`` parts of about equal work (a report, and each of its
    ``projects``' forms: :func:`tasks.pipeline.render_work`), a render task each: the first in the run's own process
    and the others in ``workers``' processes (:func:`render_workers`), a core each, when
    :func:`tasks.pipeline.render_in_processes` says so for the departments accepted; otherwise all on the flow's
    task runner (threads, or Dask workers). The worker processes begin to close once their parts are in. Returns
    what each department's render gave, in order."""
    parts = chunks(departments, settings.render_workers, render_work(projects) if projects is not None else None)
    try:
        if workers is not None and _in_processes(settings, len(departments), len(parts)):
            # Prefect types the runner's map as futures of futures; its items are the tasks' futures
            elsewhere = cast("list[PrefectFuture[list[Rendered]]]", workers.runner.map(render_reports, {
                "settings": unmapped(settings), "year": unmapped(year), "departments": parts[1:],
                "notes": unmapped(notes)}))
            here = render_reports.submit(settings, year, parts[0], notes)
            for future in elsewhere:  # their parts in, the workers exit while this process may still render
                future.wait()
            workers.close_soon()
            return gathered(parts, [here, *elsewhere])
        return gathered(parts, list(render_reports.map(unmapped(settings), year, parts, unmapped(notes))))
    finally:
        if workers is not None:
            workers.close_soon()


def gathered(parts: list[list[str]], futures: list[PrefectFuture[list[Rendered]]]) -> list[Rendered]:
    """What each part's render task gave, in order; a part whose task failed (its process died, the warehouse
    went away after the retries) is each of its departments failed, with why, and the other parts stand."""
    out: list[Rendered] = []
    for part, future in zip(parts, futures, strict=True):
        try:
            out.extend(future.result())
        except Exception as exc:
            why = f"{type(exc).__name__}: {str(exc)[:300]}"
            get_run_logger().error("%s：报告生成失败（render task failed: %s）", "、".join(part), why)
            out.extend(Rendered(code, {}, [], None, error=why) for code in part)
    return out


@task(name="publish-scores", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[1, 2, 4],
      retry_condition_fn=dropped_connection)
def publish_scores(settings: Settings, year: int, rendered: list[Rendered],
                   fingerprints: dict[str, str | None]) -> None:
    """Every rendered report's 总分 and 等级 into ``mart_score`` in one transaction, then each report folder's
    render stamp: written last, so that a run stopped before it renders again rather than skipping."""
    engine = engine_for(settings)
    try:
        record_scores(engine, [r.score for r in rendered if r.score is not None])
    finally:
        engine.dispose()
    for r in rendered:
        fingerprint = fingerprints.get(r.department)
        if fingerprint:
            write_stamp(report_dir(settings.output_dir, year, r.department), fingerprint, r.paths)


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
                outcomes.append(DepartmentOutcome(code, "refused", [gl.NOT_LOADED.format(codes=code, year=year)]))
                continue
            paths, missing = render(engine, settings, code, year, notes[code])
            outcomes.append(DepartmentOutcome(code, "rerendered", warnings=len(notes[code]),
                                              reports={k: str(v) for k, v in paths.items()}, missing=missing,
                                              input_warnings=sum(1 for n in notes[code] if n.rule_id == INPUT_RULE)))
    finally:
        engine.dispose()
    return outcomes


@task(name="set-aside-stale", cache_policy=NO_CACHE)
def set_aside_stale(settings: Settings, year: int, department: str) -> str | None:
    """A refused department-year's previous report moved into its ``stale/`` folder, with a note saying that
    its data did not pass the checks and the report is not current (:func:`tasks.report.render.set_aside`)."""
    note = (f"{chinese_date(today())}：数据未通过校验，本目录中的报告非最新"
            "（data refused; this report is not current）。原因见该次运行的数据质量检查结果"
            f"（{year}/data-quality/ 下的页面）及上一级目录的 data-quality-errors.csv（如有）。")
    moved = set_aside(report_dir(settings.output_dir, year, department), note)
    return None if moved is None else str(moved)
