"""Render a department-year's report from its figures, narrative and score.

Pure functions: they take values and return text. Writing files is :func:`write_report`'s
only side effect, and it refuses any path outside the output folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from tasks.report import formatting as fmt
from tasks.report.document import MARK, Block, mark, parse_blocks, plain
from tasks.report.figures import Figures
from tasks.report.narrative import Narrative, render_text
from tasks.report.score import Scorecard
from tasks.settings import TEMPLATES_DIR

SAFE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass
class QualityNote:
    """A data-quality warning shown in the report's 数据质量说明 appendix."""

    rule_id: str
    label: str
    failing_rows: int
    example: str


@dataclass
class ReportInput:
    figures: Figures
    narrative: Narrative
    scorecard: Scorecard
    quality_notes: list[QualityNote] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


class FigureRefs:
    """Template access to figures: ``fig.budget`` is the written value, marked with its name."""

    def __init__(self, figures: Figures):
        self._figures = figures

    def __getattr__(self, name: str) -> str:
        return self[name]

    def __getitem__(self, name: str) -> str:
        figure = self._figures[name]
        return mark(name, figure.text)


def load_options(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


def _environment(templates: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["plain"] = plain
    env.filters["marked_html"] = marked_html
    return env


def narrative_context(figures: Figures, narrative: Narrative) -> dict[str, Any]:
    """What narrative text may name: every figure (marked), the year, and two helpers."""
    context: dict[str, Any] = {name: mark(name, f.text) for name, f in figures.items.items()}

    def growth_above(name: str, threshold: float) -> str:
        values = figures[name].value
        chosen = [k for k in sorted(values) if values[k] is not None and values[k] > Decimal(str(threshold))
                  and k != "全部行业"]
        return mark(name, "、".join(chosen)) if chosen else ""

    def pct(value: float, places: int = 0) -> str:
        return fmt.percent(Decimal(str(value)), places)

    context.update(narrative.parameters)
    context.update(year=figures.year, growth_above=growth_above, pct=pct)
    return context


def build_blocks(data: ReportInput, templates: Path = TEMPLATES_DIR) -> list[Block]:
    """The report's blocks, from ``templates/report.j2``."""
    figures, narrative = data.figures, data.narrative
    where = f"{narrative.year}/{narrative.department}.yaml"
    ctx = narrative_context(figures, narrative)
    env = _environment(templates)
    rendered = env.get_template("report.j2").render(
        department_name=figures.department_name,
        year=figures.year,
        n=narrative,
        fig=FigureRefs(figures),
        splits=figures.splits,
        task_analysis=render_text(narrative.task_analysis, ctx, f"{where} task_analysis"),
        achievements=render_text(narrative.achievements, ctx, f"{where} achievements"),
        score=data.scorecard,
        quality_notes=data.quality_notes,
        options=data.options,
        cn=chinese_number,
    )
    return parse_blocks(rendered)


CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 13 → 十三, 21 → 二十一: section numbering of official documents."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def to_markdown(blocks: list[Block]) -> str:
    """Plain paragraphs, one per block: the text as the published report reads."""
    out = []
    for b in blocks:
        if b.kind in ("title", "h1", "h2", "h3", "p", "note"):
            out.append(plain(b.text))
    return "\n\n".join(out) + "\n"


def marked_html(text: str) -> Markup:
    """Escape ``text`` and turn each figure mark into a link to its provenance entry."""
    parts: list[str] = []
    last = 0
    for m in MARK.finditer(text):
        parts.append(str(escape(text[last:m.start()])))
        name, value = m.group(1), m.group(2)
        parts.append(f'<a class="figure" href="#fig-{escape(name)}" data-figure="{escape(name)}">'
                     f"{escape(value)}</a>")
        last = m.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))


def to_html(blocks: list[Block], data: ReportInput, templates: Path = TEMPLATES_DIR) -> str:
    env = _environment(templates)
    used: list[str] = []
    for b in blocks:
        for m in MARK.finditer(b.text):
            if m.group(1) not in used:
                used.append(m.group(1))
    return env.get_template("report.html.j2").render(
        blocks=blocks,
        title=f"{data.figures.department_name} {data.figures.year} 年部门整体支出绩效自评报告",
        figures=[data.figures[name] for name in used],
    )


def report_dir(output_dir: Path, year: int, department: str) -> Path:
    """``<output_dir>/<year>/<department>``, refusing codes that could climb out of it."""
    if not SAFE_CODE.match(department) or department in (".", ".."):
        raise ValueError(f"department code {department!r} is not a safe folder name")
    base = output_dir.resolve()
    target = (base / str(int(year)) / department).resolve()
    if base not in target.parents:
        raise ValueError(f"report folder {target} is outside {base}")
    return target


def write_report(output_dir: Path, data: ReportInput, templates: Path = TEMPLATES_DIR) -> dict[str, Path]:
    """Render every format into the department-year's folder; returns format → path."""
    blocks = build_blocks(data, templates)
    folder = report_dir(output_dir, data.figures.year, data.figures.department_code)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"md": folder / "report.md", "html": folder / "report.html"}
    paths["md"].write_text(to_markdown(blocks), encoding="utf-8")
    paths["html"].write_text(to_html(blocks, data, templates), encoding="utf-8")
    return paths
