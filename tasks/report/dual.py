"""The 双监控 (绩效运行监控): each project's, and each department's own, spending and targets tracked together.

For a year not yet closed, as of the monitoring's data date: the spending half from the ledger (1-X月执行数 and 执行率
on the 调整后预算数, beside the department's own 全年预计执行数 and the ledger's projection, 按序时线性外推), and the
targets half from the department's submission (``monitoring.csv``: 1-X月完成值, 全年预计完成值, 完成目标可能性,
偏差原因, 整改措施), each item lit by the lights profile (:mod:`tasks.report.lights`). Without a submission, a
project's form is a 草稿 that shows the spending half. The bureau's summary counts departments and projects by
light and ranks the 重点监控 candidates. Monitoring warns; it never refuses data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from tasks.report import formatting as fmt
from tasks.report import lights as lg
from tasks.report import rectification as rc
from tasks.report.grid import Cell, Row
from tasks.report.monitoring import Monitoring, chinese_date
from tasks.report.project_form import file_stem, form_docx, form_html, form_xlsx
from tasks.report.projects import written_target
from tasks.report.targets import in_unit, number, target_unit
from tasks.warehouse import queries as q
from tasks.warehouse.monitoring import Progress, rate_of

OWN = ""  # the project code of a department's own form
NOT_SUBMITTED = "部门尚未报送本期绩效运行监控表：本表为草稿，只有资金执行部分。"
FOOTNOTE = "全年预计执行数（按序时线性外推）= 1-X月执行数 ÷ 序时进度；灯：红灯、黄灯、绿灯，取各项最差者。"
DASH = "—"
LATER_ONLY = "本表为草稿，只有资金执行部分。"


@dataclass(frozen=True)
class DualItem:
    """One indicator of a monitoring form, with its lights."""

    name: str
    nature: str
    target_text: str
    to_date: str
    forecast: str
    likelihood: str
    reason_category: str
    reason: str
    measures: str
    lights: list[lg.Light]

    @property
    def color(self) -> str | None:
        return lg.worst(self.lights)


@dataclass(frozen=True)
class DualForm:
    """A 绩效运行监控表: a project's (or, project_code "", the department's own) as of ``as_of``."""

    year: int
    as_of: dt.date
    department_code: str
    department_name: str
    project_code: str
    project_name: str
    initial_budget_fen: int | None
    budget_fen: int
    paid_fen: int
    forecast_spend_fen: int | None  # the department's own 全年预计执行数
    spending: lg.Light | None
    items: list[DualItem] = field(default_factory=list)
    submitted: bool = False
    notes: list[str] = field(default_factory=list)  # what of the submission was not used, and why
    rectifications: list[q.RectificationRow] = field(default_factory=list)  # this form's 整改, all of them
    followup_day: dt.date | None = None  # the day the 整改 are read as of (the run's date; as_of by default)
    period_end: dt.date | None = None  # the 截至日期 the submission's 1-X月完成值 are counted to, when it says
    submitted_later: bool = False  # a submission counted to a date after as_of exists (not used)

    @property
    def rate(self) -> Decimal | None:
        """执行率 (支付进度) as a fraction (:func:`~tasks.warehouse.monitoring.rate_of`)."""
        return rate_of(self.paid_fen, self.budget_fen)

    @property
    def projection_fen(self) -> int | None:
        return lg.linear_projection(self.paid_fen, self.as_of)

    @property
    def lights(self) -> list[lg.Light]:
        return [*([self.spending] if self.spending else []), *(x for i in self.items for x in i.lights)]

    @property
    def color(self) -> str | None:
        return lg.worst(self.lights)


def _exact(text: str | None, nature: str, unit: str) -> Decimal | str | None:
    if text is None or not str(text).strip():
        return None
    if nature == "定性":
        return str(text).strip()
    return in_unit(number(str(text), unit), unit)


def _with_unit(text: str | None, nature: str, unit: str) -> str:
    """A value as the form writes it: a bare number with its indicator's unit (14 家, 91%), anything else as given."""
    if text is None or not str(text).strip():
        return DASH
    text = str(text).strip()
    if nature != "定性" and unit and number(text) is not None and not text.endswith(unit):
        return f"{text}{unit}"
    return text


def _item(nature: str, target: str, unit_given: str | None, name: str, row: q.MonitoringRow | None,
          rate: Decimal | None, profile: lg.LightsProfile) -> DualItem:
    unit = target_unit(unit_given, target)
    target_text = written_target(nature, target, unit)
    if row is None:
        return DualItem(name, nature, target_text, "待填写", "待填写", "待填写", "", "", "", [])
    exact_target = None if nature == "定性" else in_unit(number(target, unit, signed=True), unit)
    to_date = _exact(row.to_date, nature, unit)
    lights = lg.indicator_lights(nature, unit, exact_target, to_date, row.likelihood, row.reason, rate, profile)
    return DualItem(name, nature, target_text, _with_unit(row.to_date, nature, unit),
                    _with_unit(row.forecast, nature, unit), row.likelihood,
                    row.reason_category or "", row.reason or "", row.measures or "", lights)


def usable(rows: list[q.MonitoringRow], as_of: dt.date) -> tuple[list[q.MonitoringRow], dict[str, dt.date]]:
    """The submission's rows a form as of ``as_of`` uses: those counted to a 截至日期 on or before it (or with
    none). And, per project ("" for the department's own), the latest 截至日期 of its rows left out: a
    submission counted to a later date is not the data of ``as_of``."""
    later: dict[str, dt.date] = {}
    for r in rows:
        if r.period_end is not None and r.period_end > as_of:
            later[r.project_code] = max(later.get(r.project_code, r.period_end), r.period_end)
    return [r for r in rows if r.period_end is None or r.period_end <= as_of], later


def later_note(day: dt.date, kept: bool) -> str:
    """The 说明 of a form whose submission (some rows, or all when not ``kept``) counts to a later ``day``."""
    what = "部分指标" if kept else "本表"
    return f"部门报送的{what}监控数据截至{chinese_date(day)}，晚于本表日期，未采用。"


def unmatched(rows: list[q.MonitoringRow], units: dict[str, set[str]]) -> list[str]:
    """Notes for the submission's rows that name no 绩效目标: a project that has no form, or an indicator not among
    its form's 绩效目标 (not shown as items: they have no 指标值 to be measured against)."""
    out = []
    for r in rows:
        own = r.project_code == OWN
        where = "部门整体" if own else f"项目 {r.project_code}"
        if r.project_code not in units:
            out.append(f"监控表中{where}的「{r.indicator}」：该项目不在本部门的项目支出中，未采用。")
        elif not units[r.project_code]:
            out.append(f"监控表中{where}的「{r.indicator}」：{'部门' if own else '该项目'}未报送绩效目标，未采用。")
        elif r.indicator not in units[r.project_code]:
            out.append(f"监控表中{where}的「{r.indicator}」：不是{'部门' if own else '该项目'}已报送的绩效目标"
                       "（三级指标），未采用。")
    return out


def _noted_on(project: str, named: dict[str, set[str]]) -> str:
    """The form a note about ``project`` goes on: its own, or the department's own when it has no form."""
    return project if project in named else OWN


def dual_forms(conn: sa.Connection, m: Monitoring, profile: lg.LightsProfile,
               followup_day: dt.date | None = None) -> list[DualForm]:
    """Every open department's forms as of ``m.as_of``: its own (its 绩效目标), then each 项目支出 project with a
    budget line or a 绩效目标, in code order. Reads the warehouse for all the departments at once. A submission
    counted to a date after ``m.as_of`` is not used (:func:`usable`); the 整改 are read as of ``followup_day``
    (the run's date in the nightly; ``m.as_of`` when not given)."""
    departments = sorted({r.department_code for r in m.rows})
    day = followup_day or m.as_of
    followups = q.rectifications(conn, departments, m.year)
    projects = q.projects_of(conn, departments, m.year)
    own_targets = q.performance_targets(conn, departments, m.year)
    project_targets = q.project_targets(conn, departments, m.year)
    reports = q.monitoring_reports(conn, departments, m.year)
    funds = q.project_funds(conn, departments, m.year)
    progress: dict[tuple[str, str], Progress] = {(r.department_code, r.key if r.level == "project" else OWN): r
                                                 for r in m.rows if r.level in ("total", "project")}
    out = []
    for code in departments:
        total = progress[(code, OWN)]
        rows, later = usable(reports.get(code, []), m.as_of)
        by_project: dict[str, list[q.ProjectTargetRow]] = {}
        for t in project_targets.get(code, []):
            by_project.setdefault(t.project_code, []).append(t)
        units: list[tuple[str, str, int | None, list[tuple[str, str, str | None, str]]]] = [
            (OWN, "部门整体", None, [(t.nature, t.target, t.unit, t.indicator) for t in own_targets.get(code, [])])]
        for p in projects.get(code, []):
            if p.expense_type_code != "PROJECT" and p.code not in by_project:
                continue
            initial = funds.get((code, p.code), q.empty_funds())[0][0].initial_budget_fen
            units.append((p.code, p.name, initial, [(t.nature, t.target, t.unit, t.indicator)
                                                    for t in by_project.get(p.code, [])]))
        named = {u[0]: {t[3] for t in u[3]} for u in units}
        # the rows that name a 绩效目标 of a form: a form with none of them is not submitted (a 草稿)
        submitted = {(r.project_code, r.indicator): r for r in rows if r.indicator in named.get(r.project_code, ())}
        notes: dict[str, list[str]] = {}
        for r in rows:
            notes.setdefault(_noted_on(r.project_code, named), []).extend(unmatched([r], named))
        for project, day_later in later.items():
            notes.setdefault(_noted_on(project, named), []).insert(
                0, later_note(day_later, any(p == project for p, _ in submitted)))
        mine = followups.get(code, [])
        for f in mine:
            notes.setdefault(_noted_on(f.project_code, named), []).extend(
                rc.row_problems(f, named.get(f.project_code)))
        for project, name, initial, targets in units:
            row = progress.get((code, project))
            budget, paid = (row.budget_fen, row.paid_fen) if row else (0, 0)
            rate = row.rate if row else None  # 支付进度, as the monitoring measures it
            items = [_item(nature, target, unit, indicator, submitted.get((project, indicator)), rate, profile)
                     for nature, target, unit, indicator in targets]
            forecast = next((r.forecast_spend_fen for (p, _), r in submitted.items()
                             if p == project and r.forecast_spend_fen is not None), None)
            periods = [r.period_end for (p, _), r in submitted.items() if p == project and r.period_end]
            out.append(DualForm(m.year, m.as_of, code, total.department_name, project, name, initial, budget, paid,
                                forecast, lg.spending_light(rate, m.as_of, profile), items,
                                any(p == project for p, _ in submitted), notes.get(project, []),
                                [r for r in mine if r.project_code == project], day, max(periods, default=None),
                                project in later))
    return out


# The form --------------------------------------------------------------------------------------------------------

WIDTHS = (22, 8, 12, 12, 12, 12, 10, 20, 20, 8)


def _wan(fen: int | None) -> str:
    return DASH if fen is None else fmt.wan(fen)


def _light_cell(color: str | None, span: int = 1) -> Cell:
    return Cell(lg.TEXT[color] if color else DASH, span, "value", color or "")


def form_grid(form: DualForm) -> list[Row]:
    """The 绩效运行监控表 as rows of ten cells (spans included)."""
    own = form.project_code == OWN
    title = ("部门整体" if own else "项目支出") + "绩效运行监控表" + ("" if form.submitted else "（草稿）")
    x = form.as_of.month
    rows: list[Row] = [
        [Cell(title, 10, "title")],
        [Cell(f"（{form.year}年1-{x}月，截至{chinese_date(form.as_of)}）", 10, "subtitle")],
        [Cell("部门名称", 2, "label"), Cell(form.department_name, 3), Cell("部门编码", 2, "label"),
         Cell(form.department_code, 3)] if own else
        [Cell("项目名称", 2, "label"), Cell(form.project_name, 3), Cell("项目编码", 2, "label"),
         Cell(form.project_code, 3)],
        [Cell("监控对象", 2, "label"), Cell("部门整体支出", 3), Cell("监控结果", 2, "label"),
         _light_cell(form.color, 3)] if own else
        [Cell("主管部门", 2, "label"), Cell(form.department_name, 3), Cell("监控结果", 2, "label"),
         _light_cell(form.color, 3)],
        [Cell("资金执行（万元）", 2, "head"), *(Cell(h, 1, "head") for h in (
            "年初预算数", "调整后预算数", f"1-{x}月执行数", "执行率", "全年预计执行数（部门填报）", "按序时线性外推")),
         Cell("执行灯", 2, "head")],
        [Cell("资金", 2, "label"), Cell(_wan(form.initial_budget_fen), kind="number"),
         Cell(_wan(form.budget_fen), kind="number"), Cell(_wan(form.paid_fen), kind="number"),
         Cell(DASH if form.rate is None else f"{fmt.percent(form.rate, 2)}%", kind="number"),
         Cell(_wan(form.forecast_spend_fen), kind="number"), Cell(_wan(form.projection_fen), kind="number"),
         _light_cell(form.spending.color if form.spending else None, 2)],
    ]
    if form.spending:
        rows.append([Cell("执行灯依据", 2, "label"), Cell(f"{form.spending.rule_id} {form.spending.label}："
                                                          f"{form.spending.reason}", 8, "note")])
    rows.append([Cell("绩效指标", 10, "head")])
    done = form.period_end.month if form.period_end else x  # the submission's own 1-X月
    rows.append([Cell(h, 1, "head") for h in ("三级指标", "指标性质", "指标值", f"1-{done}月完成值", "全年预计完成值",
                                              "完成目标可能性", "偏差原因类别", "偏差原因说明", "整改措施", "灯")])
    for item in form.items:
        rows.append([Cell(item.name), Cell(item.nature), Cell(item.target_text), Cell(item.to_date),
                     Cell(item.forecast), Cell(item.likelihood), Cell(item.reason_category), Cell(item.reason),
                     Cell(item.measures), _light_cell(item.color)])
    if not form.items:
        rows.append([Cell("未报送绩效目标：只监控资金执行", 10, "note")])
    for item in form.items:
        for light in item.lights:
            if light.color != "green":
                why = f"「{item.name}」{lg.TEXT[light.color]} {light.rule_id} {light.label}：{light.reason}"
                rows.append([Cell("亮灯依据", 2, "label"), Cell(why, 8, "note")])
    for note in form.notes:
        rows.append([Cell("说明", 2, "label"), Cell(note, 8, "note")])
    if not form.submitted:
        rows.append([Cell("说明", 2, "label"), Cell(NOT_SUBMITTED if not form.submitted_later else LATER_ONLY, 8,
                                                     "note")])
    if form.submitted and form.period_end and form.period_end < form.as_of:
        rows.append([Cell("说明", 2, "label"), Cell(f"绩效指标完成值为部门报送的监控表数据，截至"
                                                     f"{chinese_date(form.period_end)}。", 8, "note")])
    rows += rc.grid_rows(form.rectifications, form.followup_day or form.as_of)
    rows.append([Cell(FOOTNOTE, 10, "sign")])
    return rows


def form_path(output_dir: Path, form: DualForm, suffix: str = "html", into: Path | None = None) -> Path:
    """Where a form is written: ``<output_dir>/<year>/<department>/monitoring/<项目编码 or 部门整体>.<suffix>``, or
    under ``<into>/<department>/``."""
    from tasks.report.render import report_dir

    folder = (into / form.department_code if into is not None
              else report_dir(output_dir, form.year, form.department_code) / "monitoring")
    return folder / f"{file_stem(form.project_code) if form.project_code else '部门整体'}.{suffix}"


def write_dual_forms(output_dir: Path, forms: list[DualForm], formats: tuple[str, ...] = ("xlsx", "html"),
                     into: Path | None = None) -> dict[str, Path]:
    """Each form into ``<output_dir>/<year>/<department>/monitoring/`` as ``<项目编码>`` (``部门整体`` for the
    department's own) in ``formats`` (xlsx, html, docx), or into ``<into>/<department>/`` when given; other files
    of the folder removed. Returns department code → its folder."""
    out: dict[str, Path] = {}
    keep: dict[Path, set[str]] = {}
    for form in forms:
        where = form_path(output_dir, form, "html", into)
        folder, stem = where.parent, where.stem
        folder.mkdir(parents=True, exist_ok=True)
        grid = form_grid(form)
        title = f"{form.project_name}绩效运行监控表"
        created = dt.datetime(form.as_of.year, form.as_of.month, form.as_of.day, tzinfo=dt.UTC)
        if "xlsx" in formats:
            (folder / f"{stem}.xlsx").write_bytes(form_xlsx([(stem, grid)], created, title, WIDTHS))
        if "html" in formats:
            (folder / f"{stem}.html").write_text(form_html(grid, title, WIDTHS), encoding="utf-8")
        if "docx" in formats:
            (folder / f"{stem}.docx").write_bytes(form_docx(grid, created, title, WIDTHS))
        keep.setdefault(folder, set()).update(f"{stem}.{f}" for f in formats)
        out[form.department_code] = folder
    for folder, names in keep.items():
        for old in folder.iterdir():
            if old.is_file() and old.name not in names:
                old.unlink()
    return out


def red_items(forms: list[DualForm]) -> dict[str, list[str]]:
    """Each department's red items in words, for its alert: the form, the item, the rule and its inputs."""
    out: dict[str, list[str]] = {}
    for f in forms:
        where = "部门整体" if f.project_code == OWN else f"{f.project_code} {f.project_name}"
        lit = [("资金执行", f.spending)] if f.spending else []
        lit += [(i.name, x) for i in f.items for x in i.lights]
        for item, light in lit:
            if light is not None and light.color == "red":
                out.setdefault(f.department_code, []).append(
                    f"{where}「{item}」红灯 {light.rule_id} {light.label}：{light.reason}")
    return out


# The bureau's summary --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DistrictLights:
    """The bureau's summary of the 双监控: the lights' counts in a sentence, and the 重点监控 candidates as table
    rows (项目编码 a link to its form when one was given), for the roll-up's Markdown and HTML and the artifact."""

    as_of: dt.date
    counts: str
    candidates: list[dict[str, str]]
    links: dict[str, str]  # a candidate's 排序 → its form's address


def district_lights(forms: list[DualForm], link: Callable[[DualForm], str] | None = None) -> DistrictLights | None:
    """Departments and projects by light, and the 重点监控 candidates ranked by light, lag and amount; None
    without forms."""
    if not forms:
        return None
    as_of = forms[0].as_of
    projects = [f for f in forms if f.project_code != OWN]
    departments: dict[str, str | None] = {}
    for f in forms:  # a department's light: the worst of its own form and its projects'
        departments[f.department_code] = lg.worst([lg.Light(c, "", "") for c in (departments.get(f.department_code),
                                                                                  f.color) if c])

    def counts(colors: list[str | None]) -> str:
        return "，".join(f"{lg.TEXT[c]} {sum(1 for x in colors if x == c)}" for c in lg.COLORS)

    sentence = (f"部门 {len(departments)} 个：{counts(list(departments.values()))}；"
                f"项目 {len(projects)} 个：{counts([p.color for p in projects])}；"
                f"已报送监控表的项目 {sum(1 for p in projects if p.submitted)} 个。")
    ranked = lg.rank_candidates([(f"{p.department_code}\t{p.department_name}", p.project_code, p.project_name,
                                  p.color or "green", p.rate, p.budget_fen) for p in projects], as_of)
    by_key = {(p.department_code, p.project_code): p for p in projects}
    rows, links = [], {}
    for c in ranked:
        code, name = c.department.split("\t", 1)
        rows.append({"排序": str(c.rank), "部门": name, "项目编码": c.project_code, "项目名称": c.project_name,
                     "灯": lg.TEXT[c.color], "理由": c.reason})
        if link is not None:
            links[str(c.rank)] = link(by_key[code, c.project_code])
    return DistrictLights(as_of, sentence, rows, links)


def summary_markdown(forms: list[DualForm], heading: str = "##",
                     link: Callable[[DualForm], str] | None = None) -> list[str]:
    """:func:`district_lights` as Markdown: a heading, the counts, the candidates' table (each 项目编码 a link to
    its form when ``link`` gives the form's address)."""
    found = district_lights(forms, link)
    if found is None:
        return []
    lines = [f"{heading} 双监控（截至{chinese_date(found.as_of)}）", "", found.counts, ""]
    if found.candidates:
        rows = [{**{k: fmt.md_cell(v) for k, v in r.items()},
                 "项目编码": f"[{r['项目编码']}]({found.links[r['排序']]})" if r["排序"] in found.links
                 else fmt.md_cell(r["项目编码"])} for r in found.candidates]
        lines += ["重点监控候选（红灯先于黄灯，再按落后序时进度的百分点、预算金额排序）：", "",
                  *fmt.markdown_table(rows), ""]
    return lines


def summary_page(forms: list[DualForm], m: Monitoring, followups: list[str]) -> str:
    """The bureau's summary as markdown: the lights and the candidates, the 整改 still open, then 支付进度."""
    return "\n".join([*summary_markdown(forms, "#"), *followups, *m.markdown("##")]) + "\n"


def _followup_args(forms: list[DualForm]) -> tuple[list[q.RectificationRow], dt.date, dict[str, str],
                                                   dict[tuple[str, str], str]]:
    day = forms[0].followup_day or forms[0].as_of
    names = {f.department_code: f.department_name for f in forms}
    projects = {(f.department_code, f.project_code): f.project_name for f in forms}
    return [r for f in forms for r in f.rectifications], day, names, projects


def district_followup(forms: list[DualForm]) -> tuple[str, list[dict[str, str]]] | None:
    """The district's 整改 as of the forms' follow-up day: the counts' sentence and the rows still open
    (:func:`tasks.report.rectification.followup`); None without any."""
    return rc.followup(*_followup_args(forms)) if forms else None


def followup_lines(forms: list[DualForm]) -> list[str]:
    """:func:`district_followup` as Markdown (:func:`tasks.report.rectification.summary_lines`)."""
    return rc.summary_lines(*_followup_args(forms)) if forms else []
