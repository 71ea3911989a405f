"""The report as offices deliver it: PDF with embedded CJK faces, an editable DOCX, tables, charts,
provenance, the district roll-up, and values from data that cannot inject HTML or escape the output."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from flows.cli import main
from tests.conftest import LIWAN, SAMPLE, libreoffice_convert


@pytest.fixture(scope="module")
def run_dir(prefect_harness, tmp_path_factory) -> Path:
    from flows.self_evaluation import self_evaluation

    tmp = tmp_path_factory.mktemp("outputs")
    state = self_evaluation(year=2022, warehouse_url=f"duckdb:///{tmp}/wh.duckdb", output_dir=str(tmp / "out"),
                            return_state=True)
    assert state.is_completed(), state.message
    from tasks.artifacts import run_markdown
    from tasks.settings import Settings

    summary = state.result()
    (tmp / "artifact.md").write_text(run_markdown(getattr(summary, "summary", summary), Settings()), encoding="utf-8")
    return tmp


def folder(run_dir: Path, code: str = LIWAN) -> Path:
    return run_dir / "out" / "2022" / code


def test_all_four_formats_and_charts(run_dir):
    for code in ("440103-KGXJ", "440103-SWJ", "440103-WTJ"):
        f = folder(run_dir, code)
        for name in ("report.md", "report.html", "report.docx", "report.pdf", "provenance.html"):
            assert (f / name).stat().st_size > 1000, f / name
        assert {p.name for p in (f / "charts").glob("*.png")} >= {
            "chart_fund_source.png", "chart_expense_type.png", "chart_trend.png"}


def test_pdf_embeds_cjk_faces_and_gives_back_the_text(run_dir, reference_text):
    pdf = folder(run_dir) / "report.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    faces = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert faces and all(" yes yes yes " in line for line in faces), fonts  # embedded, subset, unicode
    assert any("Noto-Serif-CJK-SC" in line for line in faces) and any("Noto-Sans-CJK-SC" in line for line in faces)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    body = re.sub(r"—\s*\d+\s*—", "", text)  # page numbers of the footer
    compact = re.sub(r"\s+", "", body)
    assert re.sub(r"\s+", "", reference_text) in compact
    assert "部门整体支出绩效自评表" in compact and "（三）绩效指标" in compact and "年度预算执行明细" in compact


def test_the_pdf_faces_have_a_glyph_for_every_character(run_dir):
    """No missing-glyph boxes: the body, heading and title faces cover every character of the report."""
    from fontTools.ttLib import TTCollection
    from matplotlib import font_manager

    text = (folder(run_dir) / "report.md").read_text(encoding="utf-8")
    for face in ("Noto Serif CJK SC", "Noto Sans CJK SC"):
        path = font_manager.findfont(font_manager.FontProperties(family=face), fallback_to_default=False)
        fonts = TTCollection(path).fonts if path.endswith(".ttc") else []
        cmap = next(f.getBestCmap() for f in fonts if face in f["name"].getDebugName(1))
        missing = sorted({c for c in text if not c.isspace() and ord(c) not in cmap})
        assert missing == [], f"{face} lacks {missing}"


def test_docx_uses_word_heading_styles_and_the_official_layout(run_dir):
    import docx
    from docx.oxml.ns import qn

    document = docx.Document(str(folder(run_dir) / "report.docx"))
    styles = [p.style.name for p in document.paragraphs]
    assert styles[:2] == ["Title", "Title"]
    assert styles.count("Heading 1") >= 4 and styles.count("Heading 2") >= 8
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[:4] == ["一、基本情况", "二、综合评价分析", "三、存在的主要问题", "四、下一步改进措施"]
    section = document.sections[0]
    measured = [section.page_width, section.page_height, section.top_margin, section.bottom_margin,
                section.left_margin, section.right_margin]
    assert [round(m.mm, 1) for m in measured] == [210, 297, 37, 35, 28, 26]  # A4, GB/T 9704 (Word keeps twips)
    normal = document.styles["Normal"]
    assert normal.font.size.pt == 16
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert document.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert document.styles["Heading 2"].element.rPr.rFonts.get(qn("w:eastAsia")) == "楷体_GB2312"
    # the 自评表's three blocks, 附表2, 附表3 (the projects' 汇总表)
    assert len(document.tables) == 5 and len(document.inline_shapes) >= 3
    assert "全年预算数 12103.34 万元" in "\n".join(p.text for p in document.paragraphs)


def test_docx_names_every_east_asian_face_and_takes_none_from_the_theme(run_dir):
    """Word resolves a face from the theme when w:eastAsiaTheme is set, overriding the named one; and the
    theme's language decides which (ja-JP gave ＭＳ ゴシック headings)."""
    import zipfile

    with zipfile.ZipFile(folder(run_dir) / "report.docx") as z:
        styles, settings = z.read("word/styles.xml").decode(), z.read("word/settings.xml").decode()
    assert not re.findall(r'w:(?:ascii|hAnsi|eastAsia|cs)Theme="', styles, re.I)
    assert re.search(r'<w:themeFontLang [^>]*w:eastAsia="zh-CN"', settings)
    defaults = re.search(r"<w:rPrDefault>.*?</w:rPrDefault>", styles, re.S)
    assert defaults and 'w:eastAsia="仿宋_GB2312"' in defaults.group(0) and 'w:eastAsia="zh-CN"' in defaults.group(0)
    for face in ("方正小标宋简体", "黑体", "楷体_GB2312", "仿宋_GB2312"):
        assert f'w:eastAsia="{face}"' in styles


def test_docx_font_table_names_each_face_with_its_windows_name(run_dir):
    import zipfile

    with zipfile.ZipFile(folder(run_dir) / "report.docx") as z:
        table = z.read("word/fontTable.xml").decode()
    for face, windows in (("方正小标宋简体", "FZXiaoBiaoSong-B05S"), ("黑体", "SimHei"), ("楷体_GB2312", "KaiTi"),
                          ("仿宋_GB2312", "FangSong")):
        entry = re.search(rf'<w:font w:name="{face}">(.*?)</w:font>', table, re.S)
        assert entry, face
        assert f'<w:altName w:val="{windows}"/>' in entry.group(1) and '<w:charset w:val="86"/>' in entry.group(1)
    assert "ＭＳ" not in table


@pytest.fixture(scope="module")
def office_pdf(run_dir, tmp_path_factory) -> Path:
    """The report's DOCX as an office opens it: converted to PDF by LibreOffice (Debian's
    libreoffice-writer-nogui, installed by deploy/system-packages.sh --tests)."""
    return libreoffice_convert(folder(run_dir) / "report.docx", "pdf", tmp_path_factory.mktemp("office"))


def test_libreoffice_opens_the_docx_with_the_reference_text_in_order(office_pdf, reference_text):
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(office_pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    compact = re.sub(r"\s+", "", re.sub(r"—\s*\d+\s*—", "", text))
    assert re.sub(r"\s+", "", reference_text) in compact


def faces_of(pdf: Path) -> list[tuple[str, str]]:
    """Each piece of text of a PDF, in reading order, with the font it is set in (poppler's pdftohtml -xml).
    How poppler cuts a line into pieces depends on the faces a machine has (a paragraph's "1." may be a piece
    of its own, or not): callers look for the piece that holds a text, not one that starts with it."""
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", "-enc", "UTF-8", str(pdf)], capture_output=True,
                         text=True, check=True).stdout
    listed = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    full = {line.split("+")[0]: line.split()[0] for line in listed.splitlines()[2:] if "+" in line}
    # pdftohtml shortens a name to its family; the subset tag (ABCDEF+) finds pdffonts' full name, weight and all
    fonts = {i: full.get(family.split("+")[0], family)
             for i, family in re.findall(r'<fontspec id="(\d+)" size="[^"]*" family="([^"]*)"', xml)}
    return [(re.sub(r"<[^>]+>|\s+", "", text), fonts[font])
            for font, text in re.findall(r'<text [^>]*font="(\d+)"[^>]*>(.*?)</text>', xml)]


def test_libreoffice_sets_title_headings_and_body_in_the_four_faces(office_pdf):
    """GB/T 9704 in an office without the Windows faces: 小标宋 title → a bold serif, 黑体 一级标题 → a sans,
    楷体 二级标题 → a 楷 face, 仿宋 body → a serif (deploy/fontconfig/65-selfeval-gbt9704.conf)."""
    faces = faces_of(office_pdf)

    def face(holding: str) -> str:
        """The face of the first piece of text holding ``holding``: the title, then each heading and the first
        职能 paragraph (``1.负责贯彻执行国家…``, whether or not poppler cuts its number off), in reading order."""
        return next(f for t, f in faces if holding in t)

    title, h1, h2 = face("广州市荔湾区科技工业和信息化局"), face("一、基本情况"), face("（一）部门职能")
    body = face("负责贯彻执行国家")
    assert "Serif" in title and "Bold" in title, title
    assert "Sans" in h1 and "Bold" not in h1, h1
    assert "Kai" in h2, h2
    assert "Serif" in body and "Bold" not in body, body
    assert len({title, h1, h2, body}) == 4


def test_every_figure_links_to_its_provenance(run_dir):
    html = (folder(run_dir) / "report.html").read_text(encoding="utf-8")
    provenance = (folder(run_dir) / "provenance.html").read_text(encoding="utf-8")
    linked = set(re.findall(r'href="provenance\.html#fig-([a-z0-9_]+)"', html))
    assert {"budget", "executed", "execution_rate", "srdi_applicants", "agreed_investment"} <= linked
    for name in linked:
        assert f'id="fig-{name}"' in provenance, name
    payments = Path("data/sample/finance/2022") / LIWAN / "payments.csv"
    assert hashlib.sha256(payments.read_bytes()).hexdigest() in provenance
    assert "FIN-001 执行数不超过预算数" in provenance and "REC-003" in provenance


def test_tables_carry_the_score(run_dir):
    html = (folder(run_dir) / "report.html").read_text(encoding="utf-8")
    assert "部门整体支出绩效自评表" in html and "（三）绩效指标" in html
    for header in ("年初预算数（万元）", "全年预算数（万元）", "全年执行数（万元）", "执行率", "分值", "得分",
                   "预期目标", "实际完成情况", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值",
                   "偏差原因分析及改进措施"):
        assert f"<th>{header}</th>" in html
    assert "自评等级：优秀" in html and "96.00%（自报）" in html  # the reported 企业服务满意度
    goals = html.split("（二）年度总体目标", 1)[1].split("</table>", 1)[0]
    done = goals.split("<td>")[-1]  # 实际完成情况: the conclusion and the figures, not the whole narrative
    assert "各重点工作任务完成较好。全年执行数 12103.27 万元，预算执行率 100%；绩效指标" in done
    assert "春运道路运输安全保障任务" not in done and len(done) < 200


def test_the_office_pdf_never_leaves_a_title_word_alone_on_a_line(office_pdf):
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(office_pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    lines = [line.strip() for line in text.splitlines()]
    assert "评表" not in lines and "号" not in lines  # 附表1's title and 财预〔2020〕10号 hold together


def test_explain_prints_query_sources_and_rules(run_dir, capsys):
    code = main(["explain", "--year", "2022", "--department", LIWAN, "--figure", "executed",
                 "--warehouse", f"duckdb:///{run_dir}/wh.duckdb"])
    out = capsys.readouterr().out
    assert code == 0
    assert "executed = 12103.27" in out and "指标（metric）：executed" in out and "FROM mart_line_execution" in out
    assert "payments.csv (sha256" in out and "REC-003 支付明细合计等于执行数 [致命（fatal）]: 通过" in out
    assert main(["explain", "--year", "2022", "--department", LIWAN, "--figure", "nope",
                 "--warehouse", f"duckdb:///{run_dir}/wh.duckdb"]) == 2
    capsys.readouterr()
    # a year never loaded gives no figure (not a made-up 0.00); the UI's 编码 名称 is read as the code
    assert main(["explain", "--year", "2021", "--department", f"{LIWAN} 广州市荔湾区科技工业和信息化局",
                 "--figure", "executed", "--warehouse", f"duckdb:///{run_dir}/wh.duckdb"]) == 2
    printed = capsys.readouterr()
    assert f"{LIWAN} 2021 年未入库" in printed.err and "executed =" not in printed.out


def test_district_rollup(run_dir):
    code = main(["rollup", "--year", "2022", "--warehouse", f"duckdb:///{run_dir}/wh.duckdb",
                 "--out", str(run_dir / "out")])
    assert code == 0
    text = (run_dir / "out" / "2022" / "rollup.md").read_text(encoding="utf-8")
    assert "| 440103-KGXJ | 广州市荔湾区科技工业和信息化局 | 12103.34 | 12103.27 | 100.00% | 100.00 | 优秀 |" in text
    assert text.count("| 440103-") == 3 and "（模拟）" in text
    assert (run_dir / "out" / "2022" / "rollup.png").stat().st_size > 1000
    # the district's projects (issue 29): 25 + 10 + 12 项目支出 projects, two of them assessed (the 商务局's)
    projects = text.split("## 项目支出绩效自评情况", 1)[1]
    assert "共 47 个项目，已自评 2 个，未自评 45 个。" in projects
    assert "| 良 | 2 |" in projects and "| 未自评 | 45 |" in projects
    assert "| 60%-80% | 2 |" in projects and "| PJC-001 执行率偏低未说明原因 | 1 |" in projects
    assert "| 广州市荔湾区商务局（模拟） | XM22010 | 粤港澳合作交流经费 | 自评未报送或未填齐 |" in projects
    assert "| 广州市荔湾区科技工业和信息化局 | XM22025 | 经济运行监测分析经费 | 未报送绩效目标 |" in projects


def test_the_rollup_reads_the_published_scores_not_the_narratives(run_dir, tmp_path, monkeypatch):
    """Scores and grades are stored when a report is rendered (mart_score, with the report.md's hash);
    the roll-up reads them. A narrative edited after the render does not change the roll-up, and a
    department-year reloaded but not yet rendered shows no score."""
    import sqlalchemy as sa

    from tasks.sources.raw import sha256_file

    engine = sa.create_engine(f"duckdb:///{run_dir}/wh.duckdb")
    with engine.connect() as conn:
        published = {r[0]: (str(r[1]), r[2], r[3]) for r in conn.execute(sa.text(
            "SELECT department_code, total, grade, report_sha256 FROM mart_score WHERE year = 2022"))}
    assert len(published) == 3
    assert published[LIWAN][:2] == ("100.00", "优秀")
    assert published[LIWAN][2] == sha256_file(folder(run_dir) / "report.md")

    landing = tmp_path / "landing"
    shutil.copytree(SAMPLE, landing)
    for path in (landing / "narrative" / "2022").glob("*.yaml"):
        path.write_text("not: [a narrative", encoding="utf-8")  # unreadable: a re-score would fail
    monkeypatch.setenv("SELFEVAL_SOURCE", str(landing))
    assert main(["rollup", "--year", "2022", "--warehouse", f"duckdb:///{run_dir}/wh.duckdb",
                 "--out", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "2022" / "rollup.md").read_text(encoding="utf-8")
    assert "| 100.00 | 优秀 |" in text

    with engine.begin() as conn:  # what a load does to a department-year until its report is rendered
        conn.execute(sa.text("DELETE FROM mart_score WHERE department_code = :c AND year = 2022"), {"c": LIWAN})
    engine.dispose()
    assert main(["rollup", "--year", "2022", "--warehouse", f"duckdb:///{run_dir}/wh.duckdb",
                 "--out", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "2022" / "rollup.md").read_text(encoding="utf-8")
    assert "| 12103.34 | 12103.27 | 100.00% | — | —（报告未生成） |" in text


def test_values_from_data_are_escaped(prefect_harness, sample_copy, tmp_path):
    from flows.self_evaluation import self_evaluation

    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    path = sample_copy / "narrative" / "2022" / f"{LIWAN}.yaml"
    narrative = yaml.safe_load(path.read_text(encoding="utf-8"))
    narrative["functions"][0] = hostile
    achievements = narrative["achievements"]
    narrative["achievements"] = "{{ '<b>' }}" + achievements
    path.write_text(yaml.safe_dump(narrative, allow_unicode=True), encoding="utf-8")
    departments = sample_copy / "finance" / "departments.csv"
    departments.write_text(departments.read_text(encoding="utf-8").replace(
        "广州市荔湾区科技工业和信息化局", "广州市荔湾区科技工业和信息化局<iframe src=//evil>"), encoding="utf-8")
    state = self_evaluation(year=2022, departments=[LIWAN], source=str(sample_copy),
                            warehouse_url=f"duckdb:///{tmp_path}/wh.duckdb", output_dir=str(tmp_path / "out"),
                            return_state=True)
    assert state.is_completed(), state.message
    out = tmp_path / "out" / "2022" / LIWAN
    for name in ("report.html", "provenance.html"):
        html = (out / name).read_text(encoding="utf-8")
        assert "<script>" not in html and "<img src=x" not in html and "<iframe" not in html and "<b>" not in html
    html = (out / "report.html").read_text(encoding="utf-8")
    assert hostile not in html
    assert "<p>1.&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</p>" in html
    assert '<div class="title">广州市荔湾区科技工业和信息化局&lt;iframe src=//evil&gt;</div>' in html
    assert f"<p>&lt;b&gt;{achievements[:20]}" in html  # what the narrative's own {{ }} gives is escaped too
    # report.md is the report as plain text, not HTML: values from data appear exactly as written,
    # neither dropped nor entity-encoded
    md = (out / "report.md").read_text(encoding="utf-8")
    lines = md.splitlines()
    assert lines[0] == "广州市荔湾区科技工业和信息化局<iframe src=//evil>"
    assert f"1.{hostile}" in lines
    assert any(line.startswith(f"<b>{achievements[:20]}") for line in lines)
    assert "&lt;" not in md and "&gt;" not in md and "&#34;" not in md


HOSTILE = "../../../tmp/evil"


def paths_under(root: Path) -> dict[Path, tuple[int, int] | None]:
    """Every file (with its mtime and size) and folder (None) under ``root``."""
    return {p: (p.stat().st_mtime_ns, p.stat().st_size) if p.is_file() else None for p in root.rglob("*")}


def test_a_hostile_department_code_is_refused_and_writes_nothing_outside(prefect_harness, tmp_path, monkeypatch):
    """A department code that climbs out of its folder is refused, and the run writes nothing outside its
    output folder and its warehouse's folder.

    The output folder, the warehouse's folder and the working folder all lie three levels below
    tmp_path/run, so the code's three ``..`` from out/2022, the warehouse's folder or the working folder
    land inside tmp_path, where they are watched. The hostile department's inputs are planted where its
    climb out of finance/2022 and narrative/2022 leads, so that nothing but the refusal keeps it from
    being loaded and rendered.
    """
    from flows.self_evaluation import self_evaluation

    victim = "440103-WTJ"
    source = tmp_path / "data" / "sample"
    shutil.copytree(SAMPLE, source)
    departments = source / "finance" / "departments.csv"
    departments.write_bytes(departments.read_bytes().replace(victim.encode(), HOSTILE.encode()))
    planted = tmp_path / "data" / "tmp" / "evil"
    assert (source / "finance" / "2022" / HOSTILE).resolve() == planted
    assert (source / "narrative" / "2022" / f"{HOSTILE}.yaml").resolve() == planted.with_suffix(".yaml")
    planted.mkdir(parents=True)
    for f in (source / "finance" / "2022" / victim).iterdir():
        (planted / f.name).write_bytes(f.read_bytes().replace(victim.encode(), HOSTILE.encode()))
    narrative = source / "narrative" / "2022" / f"{victim}.yaml"
    planted.with_suffix(".yaml").write_bytes(narrative.read_bytes().replace(victim.encode(), HOSTILE.encode()))

    run = tmp_path / "run"
    out, warehouse, cwd = run / "a" / "b" / "out", run / "w" / "x" / "y", run / "c" / "d" / "e"
    for d in (out / "2022", warehouse, cwd):
        d.mkdir(parents=True)
    landings = {(d / HOSTILE).resolve() for d in (out / "2022", warehouse, cwd)}
    assert landings == {run / "a" / "tmp" / "evil", run / "tmp" / "evil"}
    monkeypatch.chdir(cwd)
    before = paths_under(tmp_path)

    state = self_evaluation(year=2022, source=str(source), warehouse_url=f"duckdb:///{warehouse}/wh.duckdb",
                            output_dir=str(out), return_state=True)

    after = paths_under(tmp_path)
    written = sorted(p for p in after if p not in before or before[p] != after[p])
    assert [p for p in written if out not in p.parents and warehouse not in p.parents] == []
    assert [p for p in landings if p.exists()] == []
    assert state.is_failed()
    assert "'../../../tmp/evil' is not a valid 部门编码" in str(state.message)


# 项目支出绩效自评表 (issue 29): the forms the nightly writes, and those written on demand.

SWJ = "440103-SWJ"


def _rows_read_back(path: Path) -> list[list[str]]:
    from tests.conftest import xlsx_rows

    return xlsx_rows(path)


def test_every_project_has_its_form_and_the_appendix_lists_every_project(run_dir):
    forms = folder(run_dir, SWJ) / "projects"
    projects = [f"XM220{n:02d}" for n in range(1, 11)]  # the 商务局's ten 项目支出 projects
    assert sorted(p.stem for p in forms.glob("*.xlsx")) == projects
    assert sorted(p.stem for p in forms.glob("*.html") if p.name != "index.html") == projects
    html = (folder(run_dir, SWJ) / "report.html").read_text(encoding="utf-8")
    assert "附表3" in html and "项目支出绩效自评情况汇总表" in html
    for code in projects:
        assert code in html
    text = re.sub(r"<[^>]+>", "|", html)
    assert re.search(r"XM22003\|+老字号保护传承经费\|+699\.86\|+465\.08\|+66\.45%\|+87\.65\|+良\|+已自评", text)
    assert re.search(r"XM22010\|+粤港澳合作交流经费\|.*?\|+自评未报送或未填齐", text)  # named, not dropped
    assert re.search(r"XM22002\|+商贸流通业发展资金\|.*?\|+自评未报送或未填齐", text)
    liwan = (folder(run_dir) / "report.html").read_text(encoding="utf-8")
    assert liwan.count("未报送绩效目标") >= 25  # every project of the reference department, none assessed


def test_the_hand_worked_project_form_opens_in_libreoffice_with_the_same_cells(run_dir, tmp_path):
    from openpyxl import load_workbook

    source = folder(run_dir, SWJ) / "projects" / "XM22003.xlsx"
    written = _rows_read_back(source)
    assert ["年度资金总额", "—", "699.86", "465.08", "10", "66.45%", "6.65"] in written  # no 年初预算数 given
    assert ["产出指标", "时效指标", "扶持申请平均办理时长", "≤", "天", "≤30天", "36天", "15", "12.50"] in written
    assert ["效益指标", "社会效益指标", "老字号品牌影响力", "定性", "—", "明显提升", "部分达成", "15",
            "10.50"] in written
    assert ["总分", "100", "87.65", "良"] in written
    assert any(r and r[0] == "审核提示" and r[1].startswith("PJC-001") for r in written)

    total = next(c for row in load_workbook(source).worksheets[0].iter_rows() for c in row if c.value == 87.65)
    assert total.number_format == "0.00"  # a number an office can add up, shown as written
    saved = libreoffice_convert(source, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    assert _rows_read_back(saved) == written
    merged = {str(r) for r in load_workbook(saved).worksheets[0].merged_cells.ranges}
    assert "A1:J1" in merged and "A6:C6" in merged  # the title across the form, the funds block's label


def test_the_forms_in_word_and_pdf_on_demand(run_dir, tmp_path):
    out = run_dir / "out"
    assert main(["projects", "--year", "2022", "--department", SWJ, "--format", "docx", "pdf", "xlsx", "html",
                 "--warehouse", f"duckdb:///{run_dir}/wh.duckdb", "--out", str(out)]) == 0
    forms = folder(run_dir, SWJ) / "projects"
    pdf_text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(forms / "XM22003.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
    compact = re.sub(r"\s+", "", pdf_text)
    assert "老字号保护传承经费" in compact and "87.65" in compact and "PJC-001" in compact
    word = libreoffice_convert(forms / "XM22003.docx", "pdf", tmp_path / "word")
    word_text = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-enc", "UTF-8", str(word), "-"],
                                                  capture_output=True, text=True, check=True).stdout)
    for cell in ("项目支出绩效自评表", "老字号保护传承经费", "699.86", "66.45%", "6.65", "12.50", "10.50", "87.65",
                 "偏差原因分析及改进措施", "单位负责人（签章）"):
        assert cell in word_text, cell
    # the year's 整改 of its mid-year monitoring (rectification.csv), as the year-end form's 整改情况, read as of
    # its last 整改完成日期 or 31 December: the 整改要求 of 15 July 2022, due 31 August, done on 20 September
    assert "绩效运行监控整改情况" in word_text and "加快项目资金支付进度" in word_text
    from docx import Document

    cells = [c.text for t in Document(str(forms / "XM22003.docx")).tables for r in t.rows for c in r.cells]
    for cell in ("绩效运行监控整改情况（截至2022年12月31日）", "资金执行", "2022-07-15", "2022-08-31",
                 "已于9月集中支付第二期资金，执行率回升至60.2%", "逾期完成（2022-09-20）"):
        assert cell in cells, cell
    assert main(["projects", "--year", "2022", "--department", "440103-NONE", "--warehouse",
                 f"duckdb:///{run_dir}/wh.duckdb", "--out", str(out)]) == 2
    assert main(["projects", "--year", "2021", "--warehouse", f"duckdb:///{run_dir}/wh.duckdb",
                 "--out", str(out)]) == 2  # nothing loaded that year: said, not a silent exit 0


def test_the_run_artifact_carries_the_projects(run_dir):
    artifact = (run_dir / "artifact.md").read_text(encoding="utf-8")
    row = next(line for line in artifact.splitlines() if line.startswith(f"| {SWJ} |"))
    assert "10 个项目：已自评 2，草稿 8；审核提示 5 条" in row and "项目自评表" in row
    projects = artifact.split("## 项目支出绩效自评情况", 1)[1]
    assert "共 47 个项目，已自评 2 个，未自评 45 个。" in projects and "| 良 | 2 |" in projects
    # what the renders counted, summed, is what the roll-up reads from the warehouse, line for line
    from tasks import glossary as gl
    from tasks.report.projects import district_markdown
    from tasks.report.rollup import projects_of
    from tasks.resources import engine_for
    from tasks.settings import Settings
    from tasks.warehouse import queries as q

    settings = Settings().with_overrides(warehouse_url=f"duckdb:///{run_dir}/wh.duckdb")
    engine = engine_for(settings, read_only=True)
    try:
        with engine.connect() as conn:
            found = projects_of(conn, settings, 2022, q.loaded_departments(conn, 2022))
    finally:
        engine.dispose()
    assert found is not None
    expected = "\n".join(district_markdown(found, "##")).split("## 项目支出绩效自评情况", 1)[1].strip()
    section = projects.split(f"\n| {gl.STAGE} |", 1)[0].strip()  # up to the stages' timings that follow it
    assert section == expected, (section, expected)


def test_a_render_of_many_departments_lists_the_narrative_folder_once(run_dir, tmp_path, monkeypatch):
    """``render_keys`` lists the year's narrative folder once for all its departments, and each report still
    reads its own narrative (no section left 【待填写】). Listing it for each department cost ~2.5 s of the
    600-department city's render."""
    import sqlalchemy as sa

    from tasks.report import build, narrative
    from tasks.settings import Settings

    listed: list[Path] = []
    real = narrative.narrative_index

    def counted(root: Path, year: int) -> narrative.NarrativeIndex:
        listed.append(root)
        return real(root, year)

    monkeypatch.setattr(narrative, "narrative_index", counted)
    monkeypatch.setattr(build, "narrative_index", counted)
    settings = Settings(warehouse_url=f"duckdb:///{run_dir}/wh.duckdb", output_dir=tmp_path / "out",
                        report_config=Path("templates/report-nightly.yaml").resolve())
    engine = sa.create_engine(settings.warehouse_url, connect_args={"read_only": True})
    try:
        done = build.render_keys(engine, settings, ["440103-KGXJ", "440103-SWJ", "440103-WTJ"], 2022)
    finally:
        engine.dispose()
    assert [d.error for d in done] == [None] * 3 and [d.missing for d in done] == [[]] * 3
    assert len(listed) == 1
    for d in done:
        assert narrative.PENDING not in d.paths["md"].read_text(encoding="utf-8"), d.department
