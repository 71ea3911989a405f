"""The narrative: what people write about a department-year, as a checked structured file.

``narrative/<year>/<department>.yaml``, or the Word form ``narrative/<year>/<department>.docx``
(:mod:`tasks.report.narrative_form`, written by ``selfeval form``), holds prose only. Where prose needs a figure it
names it (``{{ srdi_applicants }}``) and the figure comes from the warehouse. Narrative
text is rendered in Jinja2's sandbox, so a narrative file can name figures and use
simple conditions but cannot reach into the program.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, TemplateError, TemplateRuntimeError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from tasks import glossary as gl
from tasks import yamlfile
from tasks.glossary import NARRATIVE
from tasks.report.narrative_form import FIELDS, MEASURES, PARAMETERS, FormError, read_form
from tasks.sources.base import copied_stems
from tasks.sources.encoding import ACCEPTED, EncodingRefused, TextEncoding, decode
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
    # Where each field's items came from in a Word form ("section 【主要成效】, paragraph 2"); empty for YAML.
    _places: dict[str, list[str]] = PrivateAttr(default_factory=dict)
    _paragraphs: dict[str, list[str]] = PrivateAttr(default_factory=dict)  # a form's text field, by paragraph
    _warnings: list[str] = PrivateAttr(default_factory=list)  # how the file was read, when the operator should know

    @property
    def warnings(self) -> list[str]:
        """What the operator should know of how the file was read (a byte-order mark over GBK text, say)."""
        return list(self._warnings)

    def place(self, field: str, index: int | None = None) -> str:
        """How an error names a field: ``字段 achievements`` (YAML), or the form's section and paragraph."""
        places = self._places.get(field)
        if not places:
            return f"{FIELD} {field}" + (f".{index}" if index is not None else "")
        if index is not None and index < len(places):
            return places[index]
        return places[0].split("】")[0] + "】"


FIELD = "字段"  # a YAML narrative's field, as its errors name it: 字段 functions.3


def template_problem(exc: TemplateError) -> str:
    """A text that cannot be filled in, said in Chinese with Jinja's words in brackets: a name that is neither a
    figure nor a parameter (``没有名为 'x' 的指标或参数（'x' is undefined）``), a syntax error, anything else."""
    from jinja2 import TemplateSyntaxError, UndefinedError

    said = " ".join(str(exc).split())
    if gl.has_chinese(said):  # said by our own helpers, in Chinese already
        return said
    if isinstance(exc, UndefinedError):
        name = re.search(r"'([^']+)' is undefined", said)
        return gl.both(f"没有名为 {name.group(1)!r} 的指标或参数" if name else "引用了不存在的名称", said)
    if isinstance(exc, TemplateSyntaxError):
        return gl.both(f"第 {exc.lineno} 行模板语法有误" if exc.lineno and exc.lineno > 1 else "模板语法有误", said)
    return gl.both("无法填入数字", said)


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
    """The YAML a department-year's narrative is written in (its Word form: :func:`narrative_file`)."""
    return root / str(year) / f"{department}.yaml"


FORMS = (".yaml", ".yml", ".docx")


NarrativeIndex = dict[str, list[Path]]


def narrative_index(root: Path, year: int) -> NarrativeIndex:
    """The year's narrative files of the landing zone, listed once for many departments: each file (a narrative's
    suffix, in any case) under its stem and every stem it is a copy of (lower case: :func:`copied_stems`)."""
    folder = root / str(year)
    index: NarrativeIndex = {}
    if not folder.is_dir():
        return index
    with os.scandir(folder) as entries:
        for entry in entries:
            path = Path(entry.path)
            if path.suffix.lower() in FORMS and entry.is_file():
                for stem in (path.stem.lower(), *copied_stems(path.stem.lower())):
                    index.setdefault(stem, []).append(path)
    return index


def narrative_files(root: Path, year: int, department: str, index: NarrativeIndex | None = None) -> list[Path]:
    """Every file of the landing zone that is the department-year's narrative: ``<department>.yaml`` (or
    ``.yml``), the Word form ``<department>.docx``, in any case, and the copies a file manager makes of them
    (``<department> (1).docx``); the exact name first. ``index``: the year's :func:`narrative_index`, when the
    caller looks for many departments (else the folder is listed for this one)."""
    stem = department.lower()
    found = (narrative_index(root, year) if index is None else index).get(stem, [])
    return sorted(found, key=lambda p: (p.stem.lower() != stem, FORMS.index(p.suffix.lower()), p.name))


def narrative_file(root: Path, year: int, department: str, index: NarrativeIndex | None = None) -> Path | None:
    """The department-year's narrative as the landing zone holds it (:func:`narrative_files`); None when there
    is none. Two at once (a YAML and a form, a file and its copy) are refused: which one is meant?"""
    present = narrative_files(root, year, department, index)
    if len(present) > 1:
        raise NarrativeError(f"{NARRATIVE} {'、'.join(str(p) for p in present)} 同时存在，请只保留一个（Word 填报表"
                             "仅在删除 YAML 后读取）（are all there; keep one）")
    return present[0] if present else None


def load_narrative(root: Path, year: int, department: str, index: NarrativeIndex | None = None) -> Narrative:
    """The department-year's narrative, from its YAML or its Word form, validated.

    Raises :class:`NarrativeAbsent` when there is none, :class:`NarrativeError` (naming the file and the
    field, or the form's section and paragraph) when it is malformed or for another department-year. ``index``:
    as for :func:`narrative_files`."""
    path = narrative_file(root, year, department, index)
    if path is None:
        raise NarrativeAbsent(f"{NARRATIVE} {narrative_path(root, year, department)}：文件不存在，也没有 Word 填报表"
                              f"（.docx）；应为该部门 {year} 年的文字材料，见 docs/data-contract.md"
                              "（the file does not exist）")
    places: dict[str, list[str]] = {}
    paragraphs: dict[str, list[str]] = {}
    encoding: TextEncoding | None = None
    try:
        if path.suffix.lower() == ".docx":
            content = read_form(path)
            data, places, paragraphs = content.data, content.places, content.paragraphs
        else:
            text, encoding = decode(path.read_bytes())
            data = yamlfile.parse(text)
        narrative = Narrative.model_validate(data)
    except OSError as exc:
        raise NarrativeError(f"{NARRATIVE} {path}：文件无法读取"
                             f"（the file cannot be read: {exc.strerror or exc}）") from exc
    except EncodingRefused as exc:
        raise NarrativeError(f"{NARRATIVE} {path}" + (f"，第 {exc.row} 行" if exc.row else "") + f"：{exc}；应为 "
                             f"{ACCEPTED}（编辑器默认保存为 UTF-8；记事本的 ANSI 即 GBK）") from exc
    except FormError as exc:
        raise NarrativeError(str(exc)) from exc
    except yaml.YAMLError as exc:
        raise NarrativeError(f"{NARRATIVE} {path}：不是有效的 YAML"
                             f"（not valid YAML: {' '.join(str(exc).split())}）") from exc

    except ValidationError as exc:
        first = exc.errors()[0]
        message = gl.both(gl.value_problem(first["type"], first.get("ctx")), first["msg"])
        if places and first["type"] == "too_short":
            message = "此栏不能为空：至少填写一段（the box is empty; write at least one paragraph）"
        raise NarrativeError(f"{NARRATIVE} {path}，{_where(first['loc'], places)}：{message}") from exc
    narrative._places, narrative._paragraphs = places, paragraphs
    if encoding is not None and encoding.note:
        narrative._warnings.append(f"{NARRATIVE} {path}：{encoding.note}")
    if narrative.department != department or narrative.year != year:
        raise NarrativeError(f"{NARRATIVE} {path}：文件写的是部门 {narrative.department}、年度 {narrative.year}，"
                             f"应为 {department} {year}（says another department or year）")
    return narrative


_LABELS = {f.path: f.label for f in FIELDS}


def _where(loc: tuple[int | str, ...], places: dict[str, list[str]]) -> str:
    """A validation error's place: ``字段 functions.3`` for YAML; the form's section and paragraph."""
    dotted = ".".join(str(p) for p in loc)
    if not places:
        return f"{FIELD} {dotted}"
    path = ".".join(str(p) for p in loc if isinstance(p, str))
    index = next((p for p in loc if isinstance(p, int)), None)
    label = _LABELS.get(path) or {"measures": MEASURES, "parameters": PARAMETERS}.get(path.split(".")[0])
    if label is None:
        return f"{FIELD} {dotted}"
    where = places.get(path.split(".")[0]) or places.get(path) or []
    if index is not None and index < len(where):
        return where[index]
    return f"【{label}】"


_sandbox = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


# The fields rendered as templates (they may name figures); the others are printed as written.
TEMPLATED = ("task_analysis", "achievements")
TEMPLATE_SYNTAX = re.compile(r"\{\{|\{%")


def _plain_texts(narrative: Narrative) -> list[tuple[str, int | None, str]]:
    """Every text printed as written: (field, index, text)."""
    out: list[tuple[str, int | None, str]] = [("conclusion.summary", None, narrative.conclusion.summary)]
    for field in ("functions", "goals", "key_tasks", "problems"):
        out += [(field, i, text) for i, text in enumerate(getattr(narrative, field))]
    for i, m in enumerate(narrative.measures):
        out += [("measures", i, m.heading), ("measures", i, m.text)]
    return out


def check_narrative(narrative: Narrative, registry: Registry, where: str, grades: list[str] | None = None) -> None:
    """Render every text against placeholder figures, so an unknown name (a figure, or the growth
    that ``change()`` writes) fails before loading. A figure named where text is printed as written (only
    :data:`TEMPLATED` fields are filled in), and a ``grade_override`` that is not one of ``grades`` (the scoring
    profile's), are refused too."""
    for field, index, text in _plain_texts(narrative):
        if TEMPLATE_SYNTAX.search(text):
            raise NarrativeError(f"{NARRATIVE} {where}，{narrative.place(field, index)}：数字占位符（{{{{ }}}}）只在"
                                 "重点工作任务完成情况分析（task_analysis）与主要成效（achievements）中填入；"
                                 "请在此直接写数值，或把这句移到那里")
    override = narrative.conclusion.grade_override
    if grades is not None and override and override not in grades:  # empty: no override
        raise NarrativeError(f"{NARRATIVE} {where}，{narrative.place('conclusion.grade_override')}：等级 "
                             f"{override!r} 不是评分方案中的等级，应为 {'、'.join(grades)} 之一"
                             "（not a grade of the scoring profile）")
    figure_names = registry.names
    context: dict[str, Any] = dict.fromkeys(figure_names, "0")

    def change(name: str) -> str:
        if registry.growth_of(name) is None:
            raise NarrativeError(f"{NARRATIVE} {where}：change({name!r})：指标库中没有 {name!r} 的增长率，请在 "
                                 f"{registry.path} 中添加（kind: growth, of: {name}）")
        return "与上年持平"

    def number(value: object, what: str) -> None:  # as render.narrative_context reads it: Decimal(str(value))
        try:
            Decimal(str(value))
        except InvalidOperation:
            raise TemplateRuntimeError(f"{what} {value!r} 不是数字（is not a number）；【参数】的值只写数字，如 "
                                       "0.5") from None

    def growth_above(name: str, threshold: object) -> str:
        number(threshold, "growth_above 的阈值")
        return ""

    def pct(value: object, places: int = 0) -> str:
        number(value, "pct 的值")
        return "0"

    context.update(narrative.parameters)
    context.update(year=narrative.year, growth_above=growth_above, pct=pct, change=change)
    for field in TEMPLATED:
        try:
            render_text(getattr(narrative, field), context, f"{where}，{narrative.place(field)}")
        except NarrativeError:
            raise NarrativeError(_located(narrative, field, context, where)) from None
    for i, indicator in enumerate(narrative.performance_indicators):
        if indicator.figure not in figure_names:
            raise NarrativeError(f"{NARRATIVE} {where}，{FIELD} performance_indicators.{i}.figure："
                                 f"{indicator.figure!r} 不是指标名（is not a figure），应为 "
                                 f"{'、'.join(sorted(figure_names))} 之一")


def _located(narrative: Narrative, field: str, context: dict[str, Any], where: str) -> str:
    """The error of a text that failed to render, at the paragraph of the form it comes from when one
    paragraph fails alone (a block opened in one paragraph and closed in another is named by section)."""
    text = getattr(narrative, field)
    try:
        render_text(text, context, f"{where}，{narrative.place(field)}")
    except NarrativeError as whole:
        message = str(whole)
    places = narrative._places.get(field) or []
    if len(places) > 1:
        for index, paragraph in enumerate(narrative._paragraphs.get(field, [])):
            try:
                render_text(paragraph, context, "")
            except NarrativeError as exc:
                if "unexpected end of template" in str(exc) or "Encountered unknown tag" in str(exc):
                    continue  # a block spread over paragraphs
                return message.replace(narrative.place(field), narrative.place(field, index), 1)
    return message


def render_text(text: str, context: dict[str, Any], where: str) -> str:
    """Render one narrative text with figure names resolved; errors name the file and field."""
    try:
        return _sandbox.from_string(text).render(**context).strip()
    except NarrativeError:
        raise
    except TemplateError as exc:
        raise NarrativeError(f"{NARRATIVE} {where}：{template_problem(exc)}") from exc
