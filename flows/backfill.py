"""Backfill: the yearly flow for a range of years, oldest first, each as its own subflow run."""

from __future__ import annotations

from typing import Annotated, Any

from prefect import flow, get_run_logger
from prefect.states import Failed, State
from pydantic import Field

from flows.self_evaluation import Departments, self_evaluation
from tasks import glossary as gl
from tasks.domain import FIRST_YEAR, LAST_YEAR

Years = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]


@flow(name="self-evaluation-backfill", log_prints=False, validate_parameters=True)
def backfill(first_year: Years, last_year: Years, departments: Departments = None, source: str | None = None,
             warehouse_url: str | None = None, output_dir: str | None = None) -> dict[int, str] | State[Any]:
    """Build the reports of every year from ``first_year`` to ``last_year``.

    A year that is refused does not stop the later years; the backfill then ends Failed, naming them.

    Args:
        first_year: 起始年度 / First year.
        last_year: 结束年度（含） / Last year, included.
        departments: 部门编码，可多选；留空为全部部门 / Department codes; empty for every department.
        source: 数据目录 / Landing-zone folder.
        warehouse_url: 数据仓库地址（不含密码） / Warehouse SQLAlchemy URL, without password.
        output_dir: 报告输出目录 / Folder the reports are written to.
    """
    log = get_run_logger()
    if last_year < first_year:
        raise ValueError(f"结束年度 {last_year} 早于起始年度 {first_year}（last_year is before first_year）")
    results: dict[int, str] = {}
    for year in range(first_year, last_year + 1):
        state = self_evaluation(year=year, departments=departments, source=source, warehouse_url=warehouse_url,
                                output_dir=output_dir, return_state=True)
        results[year] = state.type.value
        log.info("%s 年：%s %s", year, gl.run_state(state.type.value), state.message or "")
    failed = [y for y, s in results.items() if s != "COMPLETED"]
    if failed:
        return Failed(message=f"补跑（backfill）：{gl.years_line(results)}", data=results)
    return results
