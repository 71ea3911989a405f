"""The narrative: what people write about a department-year, as a checked structured file.

``narrative/<year>/<department>.yaml`` holds prose only. Where prose needs a figure it
names it (``{{ srdi_applicants }}``) and the figure comes from the warehouse. Narrative
text is rendered in Jinja2's sandbox, so a narrative file can name figures and use
simple conditions but cannot reach into the program.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tasks import yamlfile
from tasks.warehouse.metrics import Registry


class Measure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    heading: str
    text: str


class Conclusion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summary: str
    grade_override: str | None = None


class PerformanceIndicator(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level1: str
    level2: str
    name: str
    figure: str
    target: float
    unit: str = ""
    weight: float
    method: str = "at_least"
    deviation_reason: str | None = None


class Narrative(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department: str
    year: int
    functions: list[str] = Field(min_length=1)
    goals: list[str] = Field(min_length=1)
    key_tasks: list[str] = Field(min_length=1)
    conclusion: Conclusion
    task_analysis: str
    achievements: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    problems: list[str] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    performance_indicators: list[PerformanceIndicator] = Field(default_factory=list)


class NarrativeError(Exception):
    """A narrative file that is missing, malformed, or names something that does not exist."""


class NarrativeAbsent(NarrativeError):
    """No narrative file for the department-year yet: its report is a 草稿 (see :func:`pending_narrative`)."""


# What a 草稿 shows where the department's prose will go.
PENDING = "【待填写】"


def pending_narrative(department: str, year: int) -> Narrative:
    """The narrative of a department-year whose prose is not written yet: every section marked
    :data:`PENDING`, so that the 草稿 has every figure and table and shows what is still to write."""
    return Narrative(department=department, year=year, functions=[PENDING], goals=[PENDING], key_tasks=[PENDING],
                     conclusion=Conclusion(summary=PENDING), task_analysis=PENDING, achievements=PENDING,
                     problems=[PENDING], measures=[Measure(heading=PENDING, text=PENDING)])


def narrative_path(root: Path, year: int, department: str) -> Path:
    return root / str(year) / f"{department}.yaml"


def load_narrative(root: Path, year: int, department: str) -> Narrative:
    path = narrative_path(root, year, department)
    if not path.exists():
        raise NarrativeAbsent(f"narrative: {path}: the file does not exist; expected the department's "
                             f"narrative for {year} (see docs/data-contract.md)")
    try:
        data = yamlfile.parse(path.read_text(encoding="utf-8"))
        narrative = Narrative.model_validate(data)
    except yaml.YAMLError as exc:
        raise NarrativeError(f"narrative: {path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise NarrativeError(f"narrative: {path}, field {where}: {first['msg']}") from exc
    if narrative.department != department or narrative.year != year:
        raise NarrativeError(f"narrative: {path}: says department {narrative.department} year "
                             f"{narrative.year}; expected {department} {year}")
    return narrative


_sandbox = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def check_narrative(narrative: Narrative, registry: Registry, where: str) -> None:
    """Render every text against placeholder figures, so an unknown name (a figure, or the growth
    that ``change()`` writes) fails before loading."""
    figure_names = registry.names
    context: dict[str, Any] = dict.fromkeys(figure_names, "0")

    def change(name: str) -> str:
        if registry.growth_of(name) is None:
            raise NarrativeError(f"narrative: {where}: change({name!r}): the metric registry has no growth of "
                                 f"{name!r}; add one (kind: growth, of: {name}) to {registry.path}")
        return "与上年持平"

    context.update(narrative.parameters)
    context.update(year=narrative.year, growth_above=lambda name, threshold: "", pct=lambda v, places=0: "0",
                   change=change)
    for field in ("task_analysis", "achievements"):
        render_text(getattr(narrative, field), context, f"{where}, field {field}")
    for i, indicator in enumerate(narrative.performance_indicators):
        if indicator.figure not in figure_names:
            raise NarrativeError(f"narrative: {where}, field performance_indicators.{i}.figure: "
                                 f"{indicator.figure!r} is not a figure; expected one of {sorted(figure_names)}")


def render_text(text: str, context: dict[str, Any], where: str) -> str:
    """Render one narrative text with figure names resolved; errors name the file and field."""
    try:
        return _sandbox.from_string(text).render(**context).strip()
    except NarrativeError:
        raise
    except TemplateError as exc:
        raise NarrativeError(f"narrative: {where}: {exc}") from exc
