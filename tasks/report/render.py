"""Render a department-year's report from its figures, narrative and score.

Pure functions: they take values and return text. Writing files is :func:`write_report`'s
only side effect, and it refuses any path outside the output folder.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import shutil
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from tasks import glossary as gl
from tasks.report import formatting as fmt
from tasks.report.charts import Chart
from tasks.report.document import MARK, Block, figure_names, mark, parse_blocks, plain, text_part
from tasks.report.figures import Figures
from tasks.report.narrative import Narrative, NarrativeError, render_text
from tasks.report.provenance import Provenance
from tasks.report.score import Scorecard
from tasks.report.tables import Table
from tasks.settings import TEMPLATES_DIR
from tasks.sources.contract import DEPARTMENT_CODE
from tasks.yamlfile import read_config

SAFE_CODE = re.compile(f"^{DEPARTMENT_CODE}$")  # a code that names a folder: the contract's, defined once


@dataclass
class QualityNote:
    """A data-quality warning shown in the report's 数据质量说明 appendix."""

    rule_id: str
    label: str
    failing_rows: int
    example: str


@dataclass(frozen=True)
class ReviewMark:
    """What review adds to a report (review: true): ``draft`` while it awaits a reviewer's approval (a 草稿
    watermark on the PDF, DOCX and HTML), and the ``lines`` it prints under the title: the approval stamp,
    or that an approved version is superseded. None on a report rendered without review."""

    draft: bool
    lines: tuple[str, ...] = ()
    content: str = ""  # the report's content hash, which decisions name
    history: tuple[tuple[str, ...], ...] = ()  # the department-year's decisions: 结论, 审核人, 时间, 意见, 内容 SHA-256


@dataclass
class ReportInput:
    figures: Figures
    narrative: Narrative
    scorecard: Scorecard
    quality_notes: list[QualityNote] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    charts: dict[str, Chart] = field(default_factory=dict)
    provenance: dict[str, Provenance] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # not submitted yet: the report is a 草稿
    open_year: bool = False  # no 决算 yet: execution is the ledger so far, carryover not yet known
    review: ReviewMark | None = None
    projects: list[Any] = field(default_factory=list)  # the projects' forms (tasks.report.projects.ProjectForm)

    @property
    def draft(self) -> bool:
        return bool(self.missing)

    @property
    def watermark(self) -> bool:
        """A report awaiting a reviewer's approval (review: true) carries 草稿 on every page; without review,
        a 草稿 of missing inputs says so in its title and note only, as before."""
        return self.review is not None and self.review.draft


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
    return read_config(path) if path.exists() else {}


@functools.lru_cache(maxsize=8)
def _environment(templates: Path) -> Environment:
    """One environment per template folder, so each template is compiled once per process, not per report."""
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

    def change(name: str) -> str:
        """同比增长 40% / 同比下降 12.5% / 与上年持平, from the registry's growth of ``name``."""
        growth = figures.growth_of.get(name, name)
        value = figures[growth].value
        if isinstance(value, dict):
            raise NarrativeError(f"change({name!r}): {growth} has one value per group; name one group's figure")
        return mark(growth, fmt.change_words(value))

    context.update(narrative.parameters)
    context.update(year=figures.year, growth_above=growth_above, pct=pct, change=change)
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
        appendices=data.options.get("appendices", True),
        draft=data.draft,
        missing=data.missing,
        open_year=data.open_year,
        review_lines=data.review.lines if data.review else (),
    )
    return parse_blocks(rendered, {**data.tables, **data.charts})


CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 13 → 十三, 21 → 二十一: section numbering of official documents."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def to_markdown(blocks: list[Block], with_appendix: bool = False) -> str:
    """Plain paragraphs, one per block: the text as the published report reads.

    The appended tables and charts are left out unless ``with_appendix`` (report.yaml:
    ``appendices_in_markdown``), so that the text can be compared with the published report.
    """
    out = []
    for b in blocks if with_appendix else text_part(blocks):
        if b.kind in ("title", "h1", "h2", "h3", "p", "note"):
            out.append(plain(b.text))
        elif b.kind == "table" and isinstance(b.data, Table):
            rows = [b.data.header, ["---"] * len(b.data.header), *b.data.rows]
            out.append(f"**{b.data.caption}**\n\n" + "\n".join("| " + " | ".join(r) + " |" for r in rows))
            out += b.data.notes
        elif b.kind == "image" and isinstance(b.data, Chart):
            out.append(f"![{b.data.title}](charts/{b.data.key}.png)")
    return "\n\n".join(out) + "\n"


def marked_html(text: str, page: str = "") -> Markup:
    """Escape ``text`` and turn each figure mark into a link to its provenance entry on ``page``."""
    parts: list[str] = []
    last = 0
    for m in MARK.finditer(text):
        parts.append(str(escape(text[last:m.start()])))
        name, value = m.group(1), m.group(2)
        parts.append(f'<a class="figure" href="{escape(page)}#fig-{escape(name)}" data-figure="{escape(name)}">'
                     f"{escape(value)}</a>")
        last = m.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))


def to_html(blocks: list[Block], data: ReportInput, templates: Path = TEMPLATES_DIR) -> str:
    """The report page; each figure links to its entry in ``provenance.html``."""
    return _environment(templates).get_template("report.html.j2").render(
        blocks=blocks, title=_title(data), provenance_page=PROVENANCE_HTML, watermark=data.watermark)


def provenance_html(blocks: list[Block], data: ReportInput, templates: Path = TEMPLATES_DIR) -> str:
    """How each figure of the report was obtained: query, sources with hashes, rules that checked it."""
    used: list[str] = []
    for b in blocks:
        used += [n for n in figure_names(b.text) if n not in used]
    entries = [data.provenance[n] for n in used if n in data.provenance]
    return _environment(templates).get_template("provenance.html.j2").render(
        title=_title(data), entries=entries, report_page="report.html", review=data.review,
        severities={k: gl.severity(k) for k in gl.SEVERITY})


def _title(data: ReportInput) -> str:
    return f"{data.figures.department_name} {data.figures.year} 年部门整体支出绩效自评报告"


PROVENANCE_HTML = "provenance.html"
STALE_FOLDER = "stale"  # <out>/<year>/<department>/stale/: the last report, set aside when new data is refused
STALE_NOTE = "说明.txt"
_REPORT_FILES = ("report.md", "report.html", "report.docx", "report.pdf", PROVENANCE_HTML, "charts", "projects")


def set_aside(folder: Path, note: str) -> Path | None:
    """Move the department-year's previous report (its files and charts) from ``folder`` into ``folder/stale/``
    with ``note`` in 说明.txt, replacing what an earlier refusal set aside there, so that no report stands
    unmarked beside data that was refused. The approved version (``approved/``) stays where it is: it is the
    record of what a reviewer signed. Returns the stale folder, or None when ``folder`` held no report."""
    present = [folder / name for name in _REPORT_FILES if (folder / name).exists()]
    if not present:
        return None
    stale = folder / STALE_FOLDER
    if stale.exists():
        shutil.rmtree(stale)
    stale.mkdir()
    for path in present:
        path.rename(stale / path.name)
    (stale / STALE_NOTE).write_text(note + "\n", encoding="utf-8")
    return stale


def report_dir(output_dir: Path, year: int, department: str) -> Path:
    """``<output_dir>/<year>/<department>``, refusing codes that could climb out of it."""
    if not SAFE_CODE.match(department) or department in (".", ".."):
        raise ValueError(f"department code {department!r} is not a safe folder name")
    base = output_dir.resolve()
    target = (base / str(int(year)) / department).resolve()
    if base not in target.parents:
        raise ValueError(f"report folder {target} is outside {base}")
    return target


FORMATS = ("md", "html", "docx", "pdf")


def content_hash(data: ReportInput, templates: Path = TEMPLATES_DIR) -> str:
    """The SHA-256 of the report's text as report.md writes it, without review marks: what a reviewer's
    decision is about. Equal to the report.md's own hash when the report is rendered without review."""
    unmarked = replace(data, review=None)
    markdown = to_markdown(build_blocks(unmarked, templates), data.options.get("appendices_in_markdown", False))
    return hashlib.sha256(markdown.encode("utf-8")).hexdigest()


def write_report(output_dir: Path, data: ReportInput, templates: Path = TEMPLATES_DIR,
                 subfolder: str | None = None) -> dict[str, Path]:
    """Render every configured format into the department-year's folder (or its ``subfolder``, e.g. the
    approved version's); returns format → path."""
    blocks = build_blocks(data, templates)
    folder = report_dir(output_dir, data.figures.year, data.figures.department_code)
    if subfolder:
        folder = folder / subfolder
    else:  # a current report replaces the one a refusal set aside
        shutil.rmtree(folder / STALE_FOLDER, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    formats = [f for f in data.options.get("formats", FORMATS) if f in FORMATS]
    paths: dict[str, Path] = {}
    charts = folder / "charts"
    if data.charts:
        charts.mkdir(exist_ok=True)
        for chart in data.charts.values():
            (charts / f"{chart.key}.png").write_bytes(chart.png)
    if "md" in formats:
        paths["md"] = folder / "report.md"
        paths["md"].write_text(to_markdown(blocks, data.options.get("appendices_in_markdown", False)),
                               encoding="utf-8")
    html = to_html(blocks, data, templates)
    if "html" in formats:
        paths["html"] = folder / "report.html"
        paths["html"].write_text(html, encoding="utf-8")
        paths["provenance"] = folder / PROVENANCE_HTML
        paths["provenance"].write_text(provenance_html(blocks, data, templates), encoding="utf-8")
    if "docx" in formats:
        from tasks.report.docx_render import to_docx

        paths["docx"] = folder / "report.docx"
        created = dt.datetime(data.figures.year + 1, 1, 1, tzinfo=dt.UTC)  # fixed: equal reports, equal bytes
        paths["docx"].write_bytes(to_docx(blocks, data.charts, created, watermark=data.watermark))
    if "pdf" in formats:
        from tasks.report.pdf_render import to_pdf

        paths["pdf"] = folder / "report.pdf"
        paths["pdf"].write_bytes(to_pdf(html, folder))
    return paths
