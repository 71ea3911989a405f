"""The district roll-up: one summary across every department of a year held in the warehouse."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from tasks import glossary as gl
from tasks.domain import TIMEZONE, today
from tasks.report import charts as ch
from tasks.report import formatting as fmt
from tasks.report import monitoring as mon
from tasks.report.build import MISSING_ACCOUNTS
from tasks.report.dual import DualForm, district_followup, district_lights, dual_forms, followup_lines, form_path
from tasks.report.dual import summary_markdown as dual_summary
from tasks.report.keyed import Keys
from tasks.report.lights import load_lights
from tasks.report.projects import DistrictProjects, counted, district_markdown, load_project_profile, summed
from tasks.report.render import _environment
from tasks.report.review import LABELS, decision_text, review_status, when
from tasks.settings import TEMPLATES_DIR, Settings
from tasks.warehouse import queries as q
from tasks.warehouse.metrics import load_registry
from tasks.warehouse.reviews import Review, current_report, reviews
from tasks.warehouse.runs import refused_since_loaded


@dataclass
class RollupRow:
    department_code: str
    department_name: str
    synthetic: bool
    region_code: str
    region_name: str
    budget: str
    executed: str
    rate: str
    score: str
    grade: str
    missing: list[str] | None  # what the department has still to submit (a 草稿); None: no report yet
    review: str = ""  # review: true: where its report stands (tasks.report.review.decision_text)
    refused: str = ""  # its latest run refused its data: when, and the date of the figures still shown

    @property
    def submitted(self) -> str:
        """材料报送 as the roll-up writes it: 齐全; 未报送 and what is missing; for a year not over, 年度未结束
        and what is still to come (nothing is late yet); or — before a report. A department whose latest run
        refused its data says so first, with the date of the figures still shown."""
        return f"{self.refused}；" + self._submitted if self.refused else self._submitted

    @property
    def _submitted(self) -> str:
        if self.missing is None:
            return "—"
        if not self.missing:
            return "齐全"
        if MISSING_ACCOUNTS in self.missing:
            rest = [m for m in self.missing if m != MISSING_ACCOUNTS]
            return "年度未结束" + ("，待报送" + "、".join(rest) if rest else "")
        return "未报送" + "、".join(self.missing)


def rollup_rows(conn: sa.Connection, year: int) -> list[RollupRow]:
    """One row per department-year in the warehouse: budget and execution from ``mart_department_year``,
    总分 and 等级 as its report published them (``mart_score``; "—" until its report is rendered)."""
    scores = q.published_scores(conn, year)
    refusals = refused_since_loaded(conn, year)
    rows = []
    for d in q.district_year(conn, year):
        rate = fmt.ratio(d.executed_fen, d.budget_fen)
        published = scores.get(d.department_code)
        if published is None:
            score, grade, missing = "—", "—（报告未生成）", None
        else:
            score, grade = f"{published.total:.2f}", published.grade + ("（部门自定）" if published.overridden else "")
            if published.draft:
                grade += "（草稿）"
            missing = published.missing
        rows.append(RollupRow(d.department_code, d.department_name, d.synthetic, d.region_code, d.region_name,
                              fmt.wan(d.budget_fen),
                              fmt.wan(d.executed_fen), f"{fmt.percent(rate, 2)}%", score, grade, missing))
        if d.department_code in refusals:
            rows[-1].refused = refusal_text(*refusals[d.department_code])
    return rows


def unloaded_text(conn: sa.Connection, year: int) -> str:
    """The departments whose latest run refused their data and that were never loaded, which the roll-up's table
    (the warehouse's department-years) cannot list: ``另有 2 个部门的数据未通过校验、从未入库，不在上表中：440103-D003
    （2022年12月7日）、…`` (dates in Asia/Shanghai); empty when there is none. They were left out unsaid."""
    never = sorted((code, at) for code, (at, held) in refused_since_loaded(conn, year).items() if held is None)
    if not never:
        return ""
    listed = "、".join(f"{code}（{mon.chinese_date(_local(at))}）" for code, at in never)
    return f"另有 {len(never)} 个部门的数据{gl.STATUS['refused']}、从未入库，不在上表中：{listed}。"


def _local(moment: dt.datetime) -> dt.datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(TIMEZONE)


def refusal_text(refused_at: dt.datetime, loaded_at: dt.datetime | None, this: str = "本行为") -> str:
    """``2022年12月4日数据未通过校验，本行为12月1日入库的数据`` (dates in Asia/Shanghai; ``this``: what shows the
    older data, ``以下为`` for a command's output)."""
    def day(moment: dt.datetime) -> str:
        return mon.chinese_date(_local(moment))

    shown = f"，{this}{day(loaded_at)}入库的数据" if loaded_at is not None else ""
    return f"{day(refused_at)}数据{gl.STATUS['refused']}{shown}"


def district_name(rows: list[RollupRow]) -> str:
    """The 行政区划 the roll-up covers, from the departments' own data: one name, or every name in code order."""
    regions = dict(sorted({r.region_code: r.region_name for r in rows}.items()))
    return "、".join(regions.values())


def short_name(row: RollupRow) -> str:
    """A department's name without its city and district prefix, for the chart's axis:
    广州市荔湾区商务局 → 商务局."""
    name = row.department_name
    return name.split(row.region_name, 1)[1] or name if row.region_name and row.region_name in name else name


def review_cells(conn: sa.Connection, year: int, rows: list[RollupRow]) -> list[Review]:
    """Fill each row's 审核 cell from the year's decisions; returns the decisions (none: no review ran)."""
    decisions = reviews(conn, year)
    if not decisions:
        return []
    for r in rows:
        current = current_report(conn, r.department_code, year)
        own = [d for d in decisions if d.department_code == r.department_code]
        r.review = decision_text(review_status(current[0], own)) if current else "—"
    return decisions


def write_rollup(engine: sa.Engine, settings: Settings, year: int) -> dict[str, Path]:
    with engine.connect() as conn:
        rows = rollup_rows(conn, year)
        unloaded = unloaded_text(conn, year)
        decisions = review_cells(conn, year, rows)
        monitoring = mon.monitor(conn, settings, year, today())
        lit = (dual_forms(conn, monitoring, load_lights(settings.monitoring_lights), followup_day=today())
               if monitoring else [])
        projects = projects_of(conn, settings, year, [r.department_code for r in rows if r.missing is not None])
    if not rows:
        raise LookupError(f"数据仓库中没有 {year} 年的部门（the warehouse holds no department for {year}）；"
                          f"请先运行 `selfeval run --year {year}`")
    folder = Path(settings.output_dir).resolve() / str(int(year))
    folder.mkdir(parents=True, exist_ok=True)
    district = district_name(rows)
    chart = ch.budget_against_execution(
        f"{district}{year}年各部门预算与执行（万元）", [short_name(r) for r in rows],
        [Decimal(r.budget) for r in rows], [Decimal(r.executed) for r in rows], "rollup")
    (folder / "rollup.png").write_bytes(chart.png)
    title = f"{district}{year}年度部门整体支出绩效自评汇总"
    header = ["部门编码", "部门", "年度预算数（万元）", "全年执行数（万元）", "执行率", "自评得分", "等级", "材料报送"]
    if decisions:
        header.append("审核")
    if monitoring is not None:  # the year is not over: execution so far, not the year's, and no score yet
        header[3:5] = ["执行数（万元，年度未结束）", "执行率（年度未结束）"]
        for r in rows:
            if r.missing and MISSING_ACCOUNTS in r.missing:
                r.score = "—"
    lines = [title, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        name = r.department_name + ("（模拟数据）" if r.synthetic and "模拟" not in r.department_name else "")
        lines.append(f"| {r.department_code} | {name} | {r.budget} | {r.executed} | {r.rate} | {r.score} | {r.grade} "
                     f"| {r.submitted} |" + (f" {fmt.md_cell(r.review)} |" if decisions else ""))
    drafts = [r for r in rows if r.missing]
    if drafts:
        lines += ["", f"{len(drafts)} 个部门的报告为草稿：" +
                  "；".join(f"{short_name(r)}{r.submitted}" for r in drafts) + "。"]
    if unloaded:
        lines += ["", unloaded]
    lines += ["", "![各部门预算与执行](rollup.png)", ""]
    if decisions:
        lines += ["## 审核记录", "", "| 部门编码 | 结论 | 审核人 | 时间 | 意见 | 报告内容 SHA-256 |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {d.department_code} | {LABELS[d.decision]} | {fmt.md_cell(d.reviewer)} | {when(d.decided_at)} | "
                  f"{fmt.md_cell(d.comment) or '—'} | {d.report_sha256[:12]} |" for d in decisions]
        lines.append("")
    def link(form: DualForm) -> str:  # a form's address from the roll-up's folder
        return form_path(settings.output_dir, form).relative_to(folder).as_posix()

    if monitoring is not None:  # a year not yet closed: how far each department has paid
        progress = mon.chart(monitoring, f"{district}各部门支付进度（截至{mon.chinese_date(monitoring.as_of)}）",
                             {r.department_code: short_name(r) for r in rows})
        (folder / "rollup-monitoring.png").write_bytes(progress.png)
        lines += [*monitoring.markdown("##"), "", "![各部门支付进度与序时进度](rollup-monitoring.png)", "",
                  *dual_summary(lit, "##", link), *followup_lines(lit)]
    if projects is not None:
        lines += district_markdown(projects)
    paths = {"md": folder / "rollup.md", "html": folder / "rollup.html"}
    paths["md"].write_text("\n".join(lines), encoding="utf-8")
    html = _environment(TEMPLATES_DIR).get_template("rollup.html.j2").render(
        title=title, header=header, rows=rows, unloaded=unloaded,
        decisions=[(d, LABELS[d.decision], when(d.decided_at)) for d in decisions], projects=projects,
        lights=district_lights(lit, link), followup=district_followup(lit), **_monitoring_context(monitoring))
    paths["html"].write_text(html, encoding="utf-8")
    return paths


def projects_of(conn: sa.Connection, settings: Settings, year: int,
                departments: list[str]) -> DistrictProjects | None:
    """The projects of ``departments`` (loaded, with a report) whose year is closed, summed up (an open year's
    projects have their 双监控 instead); None when none has a project."""
    if not departments:
        return None
    keys = Keys(conn, load_registry(settings.metrics_registry), year, departments)
    profile = load_project_profile(settings.project_profile)
    return summed([c for c in (counted(keys, profile, code) for code in sorted(departments)) if c is not None])


def _monitoring_context(m: mon.Monitoring | None) -> dict[str, object]:
    """What the HTML roll-up's monitoring section reads (nothing for a closed year)."""
    if m is None:
        return {"monitoring": None}
    levels = (("各部门", "total"), ("按资金来源", "fund_source"), ("按项目", "project"))
    return {"monitoring": m, "findings": m.findings(), "tables": [(name, m.table(level)) for name, level in levels],
            "as_of": mon.chinese_date(m.as_of), "time_progress": fmt.percent(m.time, 2)}
