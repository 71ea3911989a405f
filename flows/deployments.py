"""The deployments, as code: nightly, on demand (a form in the Prefect UI), and backfill.

``python -m flows.deployments`` serves them against the server named by ``PREFECT_API_URL``;
``make serve`` first starts a local server on 127.0.0.1 (see ``flows/serve.py``).
"""

from __future__ import annotations

import logging
from typing import Any, cast

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.backfill import backfill
from flows.nightly import nightly as nightly_flow
from flows.self_evaluation import self_evaluation, with_runner
from tasks import domain
from tasks import glossary as gl
from tasks.settings import Settings
from tasks.sources.base import make_source
from tasks.sources.contract import DEPARTMENTS, department_choice
from tasks.sources.errors import SourceError
from tasks.sources.staging import stage

log = logging.getLogger("selfeval.deployments")

NIGHTLY_CRON = "0 2 * * *"
TIMEZONE = domain.TIMEZONE.key  # "Asia/Shanghai", as the schedule names it
TAGS = ["selfeval"]


def department_names(settings: Settings) -> dict[str, str]:
    """The departments of the configured finance folder, 编码 → 名称, in code order: the UI's multi-select
    lists the codes and its description names them.

    Read as a run reads them (any accepted encoding, header aliases, XLSX, a title line).
    Empty, so that the form takes any code, when finance is an API or a database (not read
    while serving) or its departments file cannot be read (a warning says why).
    """
    location = settings.location("finance")
    if "://" in location:
        return {}
    try:
        frame = stage(make_source("finance", location, sheets=settings.sheets).read(DEPARTMENTS))
    except (SourceError, OSError) as exc:
        log.warning("selfeval：按需运行与补跑的表单将不列出部门（the forms will not list departments）：%s", exc)
        return {}
    named = frame.dropna(subset=["department_code"])
    return dict(sorted((str(c), str(n)) for c, n in zip(named["department_code"], named["department_name"],
                                                         strict=True)))


def known_departments(settings: Settings) -> list[str]:
    """The department codes of :func:`department_names`, sorted."""
    return list(department_names(settings))


def _form(deployment: RunnerDeployment, codes: list[str], year: int | None,
          names: dict[str, str] | None = None) -> None:
    """Shape the Run form of the UI: a year box, a multi-select of known departments, plain text boxes.

    The flow's own signature is general (optional values, any code); the deployment's schema is
    what the UI draws and what the server enforces, so it is narrowed here to what an operator
    should choose from.
    """
    schema: Any = getattr(deployment, "_parameter_openapi_schema", None)
    if schema is None:  # a Prefect without this attribute: the form stays as the signature gives it
        return
    props = schema.properties
    for name, prop in props.items():
        keep = {k: prop[k] for k in ("title", "description", "position") if k in prop}
        if name in ("year", "first_year", "last_year"):
            props[name] = {**keep, "type": "integer", "minimum": domain.FIRST_YEAR, "maximum": domain.LAST_YEAR,
                           **({"default": year} if year and name != "first_year" else {})}
        elif name == "departments":
            props[name] = {**keep, **_picker(codes, names or {}), "default": []}
        elif prop.get("anyOf") and {"type": "string"} in prop["anyOf"]:
            props[name] = {**keep, "type": "string", "default": ""}


def _titled(deployment: RunnerDeployment) -> None:
    """Label each field of the deployment's run form in Chinese, its parameter's name in brackets: 年度（year）."""
    schema: Any = getattr(deployment, "_parameter_openapi_schema", None)
    if schema is None:
        return
    for name, prop in schema.properties.items():
        if name in gl.PARAMETERS:
            prop["title"] = gl.both(gl.PARAMETERS[name], name)


def _picker(codes: list[str], names: dict[str, str]) -> dict[str, Any]:
    """The departments' field: a multi-select of 编码 名称 (the UI labels a choice by its value alone), and, as a
    second choice the server accepts too, the codes alone, as scripts and ``run_deployment`` pass them (the
    server enforces the schema; the flow reads either back to codes: ``department_code``)."""
    def choices(values: list[str]) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "string", "enum": values}, "uniqueItems": True}

    if not codes:
        return {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
    if not names:
        return choices(codes)
    return {"anyOf": [{"title": "编码与名称（code and name）", **choices([department_choice(c, names.get(c))
                                                                         for c in codes])},
                      {"title": "仅编码（codes, as scripts pass them）", **choices(codes)}]}


def deployments(settings: Settings | None = None) -> list[RunnerDeployment]:
    settings = settings or Settings()
    flow = with_runner(self_evaluation, settings.dask_address)
    nightly = cast(RunnerDeployment, nightly_flow.to_deployment(
        name="nightly", schedules=[Cron(NIGHTLY_CRON, timezone=TIMEZONE)], tags=TAGS,
        description="每晚 02:00（北京时间）：本年度数据入库与预算执行进度监控；上年度自评报告定稿前一并处理 / "
                    "Every night at 02:00 Asia/Shanghai, every department: the current year (its ledger so far, "
                    "支付进度 against 序时进度), and the previous year until its reports are final.",
        enforce_parameter_schema=True))
    on_demand = cast(RunnerDeployment, flow.to_deployment(
        name="on-demand", tags=TAGS, enforce_parameter_schema=True,
        description="按需运行：选择年度、部门与数据来源；时间均为北京时间（Asia/Shanghai） / "
                    "On demand: choose the year, departments and sources; times are Asia/Shanghai."))
    names = department_names(settings)
    codes = list(names)
    this_year = domain.today().year
    _form(on_demand, codes, this_year, names)
    years = cast(RunnerDeployment, backfill.to_deployment(
        name="backfill", tags=TAGS, enforce_parameter_schema=True,
        description="补跑多个年度 / Run a range of years."))
    _form(years, codes, this_year, names)
    for deployment in (nightly, on_demand, years):
        _titled(deployment)
    return [nightly, on_demand, years]


def main() -> None:
    from prefect import serve

    serve(*deployments(), limit=4)


if __name__ == "__main__":
    main()
