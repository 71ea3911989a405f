"""The yearly flow: extract → validate → load → render, for each department of a year.

The body only sequences named steps; what each step does lives in ``tasks/``.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import Failed, State

from tasks import pipeline as pl
from tasks.artifacts import publish_reports, publish_run
from tasks.quality.steps import alert, record_quality, validate
from tasks.report.render import QualityNote
from tasks.report.steps import check_narratives, render_report
from tasks.settings import Settings
from tasks.sources.steps import extract_departments, extract_finance, extract_registry, extract_statistics
from tasks.warehouse.steps import close_run, load_department, prepare_warehouse


@flow(name="self-evaluation", log_prints=False, validate_parameters=True)
def self_evaluation(
    year: int,
    departments: list[str] | None = None,
    source: str | None = None,
    warehouse_url: str | None = None,
    output_dir: str | None = None,
    finance_source: str | None = None,
    statistics_source: str | None = None,
    registry_source: str | None = None,
    narrative_dir: str | None = None,
) -> pl.RunSummary | State:
    """Build each department's 部门整体支出绩效自评报告 for ``year`` from its source data.

    A department whose data fails a fatal rule, or whose inputs are malformed, loads
    nothing and gets no report; the others go on, and the run then ends Failed naming it.
    """
    log = get_run_logger()
    settings = Settings().with_overrides(
        source=source, warehouse_url=warehouse_url, output_dir=Path(output_dir) if output_dir else None,
        finance_source=finance_source, statistics_source=statistics_source, registry_source=registry_source,
        narrative_dir=narrative_dir)
    run_id = str(flow_run.get_id() or uuid.uuid4())
    summary = pl.RunSummary(year=year, run_id=run_id)
    version = pl.code_version()
    prepare_warehouse(settings, run_id, year, {"year": year, "departments": departments}, version)

    catalogue, dept_extract = extract_departments(settings)
    if dept_extract.failed:  # without the list of departments, nothing can be checked or loaded
        summary.outcomes = [pl.DepartmentOutcome(code, "refused", [str(p) for p in dept_extract.problems])
                            for code in departments or ["(all)"]]
        close_run(settings, run_id, "refused", summary.as_dict())
        return Failed(message=summary.failure_message(), data=pl.DataRefused(summary))
    chosen = pl.resolve_departments(catalogue, departments)
    finance = extract_finance(settings, year, chosen)
    statistics = extract_statistics(settings)
    registry = extract_registry(settings)
    problems = pl.input_problems(chosen, dept_extract, finance, statistics, registry)
    input_warnings = pl.input_warnings(chosen, dept_extract, finance, statistics, registry)
    pl.merge_problems(problems, check_narratives(settings, year, chosen))

    data = pl.assemble(year, catalogue, [c for c in chosen if c not in problems], finance, registry, statistics)
    report = validate(data, settings)
    record_quality(report, settings, run_id)
    alert(report, problems, settings, run_id)
    hashes = pl.file_hashes(dept_extract, finance, statistics, registry)

    for code in chosen:
        if code in problems:
            outcome = pl.DepartmentOutcome(code, "refused", problems[code])
            log.error("%s %s refused: %s", code, year, "; ".join(problems[code]))
        elif report.blocked(code):
            rules, reasons = pl.quality_outcome(report, code)
            outcome = pl.DepartmentOutcome(code, "refused", reasons, rules, len(report.warnings(code)))
            log.error("%s %s refused by data-quality rules %s", code, year, ", ".join(rules))
        else:
            notes = [QualityNote("INPUT", "输入文件提示", 1, w) for w in input_warnings.get(code, [])]
            notes += [QualityNote(r.rule.rule_id, r.rule.label, r.failing_count, r.example())
                      for r in report.warnings(code)]
            for w in input_warnings.get(code, []):
                log.warning("%s %s: %s", code, year, w)
            rows = load_department(data, code, settings, run_id, hashes, version)
            paths = render_report(settings, code, year, notes)
            outcome = pl.DepartmentOutcome(code, "loaded", warnings=len(notes),
                                           reports={k: str(v) for k, v in paths.items()}, rows=rows)
            publish_reports(outcome, year)
            log.info("%s %s loaded and rendered: %s", code, year, paths["md"])
        summary.outcomes.append(outcome)

    publish_run(summary)
    close_run(settings, run_id, "refused" if summary.refused else "completed", summary.as_dict())
    if summary.refused:
        # A Failed state rather than an exception: the refusal is the expected outcome of bad
        # data, and its message names the departments and rules without a traceback.
        return Failed(message=summary.failure_message(), data=pl.DataRefused(summary))
    return summary
