"""Writes the corpus files of issue 26's round of real-world inputs into tests/corpus/files/, from the bundled
sample, deterministically: ``python -m tests.corpus.make_round3``. Each file is one kind of input as an office
sends it; tests/corpus/cases.yaml says what the flow must make of it."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import yaml
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from tasks.report.narrative_form import FormFigure, write_form

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
LIWAN = "440103-KGXJ"
FOLDER = SAMPLE / "finance" / "2022" / LIWAN
OUT = Path(__file__).resolve().parent / "files"
CREATED = dt.datetime(2026, 12, 4, 9, 0)


def rows_of(name: str) -> list[list[str]]:
    with (FOLDER / name).open(encoding="utf-8", newline="") as f:
        return [list(r) for r in csv.reader(f)]


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def write(name: str, data: bytes) -> None:
    (OUT / name).write_bytes(data)


def deterministic(data: bytes) -> bytes:
    """A zip (XLSX, DOCX) with its members' times fixed, so that a file rewritten is the same bytes."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 12, 4, 9, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            body = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the time it saved at
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-12-04T09:00:00Z", body)
            target.writestr(fixed, body)
    return out.getvalue()


def workbook(sheets: dict[str, list[list[object]]], merges: dict[str, list[str]] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        for cells in (merges or {}).get(name, []):
            ws.merge_cells(cells)
    wb.properties.created = wb.properties.modified = CREATED
    out = io.BytesIO()
    wb.save(out)
    return deterministic(out.getvalue())


def numbers(rows: list[list[str]], columns: range) -> list[list[object]]:
    """A CSV's rows with the amounts in ``columns`` as numbers, as a workbook holds them."""
    return [r if i == 0 else [float(c) if j in columns else c for j, c in enumerate(r)] for i, r in enumerate(rows)]


def silent_figures() -> None:
    # 1. an 实际完成值 that may be a fraction: 1 against the ≥90 % of 企业服务满意度
    rows = rows_of("self_assessment.csv")
    rows[1][2] = "1"
    write("fraction_actual_self_assessment.csv", csv_text(rows).encode("utf-8"))
    # the same against a target written 90% with no 计量单位, and 0.95
    targets = rows_of("targets.csv")
    targets[-1][5], targets[-1][6] = "90%", ""
    write("percent_written_target_targets.csv", csv_text(targets).encode("utf-8"))
    rows[1][2] = "0.95"
    write("fraction_095_self_assessment.csv", csv_text(rows).encode("utf-8"))
    # 2. the same dataset twice: the ledger as sent (CSV) and a newer export beside it (XLSX, one amount changed)
    ledger = numbers(rows_of("payments.csv"), range(6, 7))
    ledger[1][6] = float(ledger[1][6]) + 100
    write("payments_newer_export.xlsx", workbook({"支付明细": ledger}))
    projects = [list(r) for r in csv.reader((SAMPLE / "registry" / "investment_projects.csv").open(encoding="utf-8"))]
    write("investment_projects_newer_export.xlsx", workbook({"招商项目": projects}))
    # 3. the Word form edited with 修订 on: 存在问题 二 moved before 一, and a word deleted in the 综述
    narrative = yaml.safe_load((SAMPLE / "narrative" / "2022" / f"{LIWAN}.yaml").read_text(encoding="utf-8"))
    figures = [FormFigure("srdi_applicants", "省级专精特新申报企业数", "74家")]
    form = Document(io.BytesIO(write_form(narrative, LIWAN, "广州市荔湾区科技工业和信息化局", 2022, figures,
                                          "预填内容：测试。", CREATED)))
    rev = 'w:author="审核人" w:date="2026-12-01T09:00:00Z"'
    problems = next(t for t in form.tables if t.cell(0, 0).text.lstrip().startswith("【存在问题】")).cell(1, 0)
    first, second = problems.paragraphs[0]._p, problems.paragraphs[1]._p
    moved = narrative["problems"][1]
    first.addprevious(parse_xml(
        f'<w:p {nsdecls("w")}><w:pPr><w:rPr><w:moveTo w:id="901" {rev}/></w:rPr></w:pPr>'
        f'<w:moveToRangeStart w:id="902" w:name="move1" {rev}/>'
        f'<w:moveTo w:id="903" {rev}><w:r><w:t>{moved}</w:t></w:r></w:moveTo><w:moveToRangeEnd w:id="902"/></w:p>'))
    for run in list(second.iterchildren("{{{}}}r".format(second.nsmap["w"]))):
        second.remove(run)
    second.append(parse_xml(f'<w:moveFrom {nsdecls("w")} w:id="904" {rev}><w:r><w:t>{moved}</w:t></w:r></w:moveFrom>'))
    ppr = second.get_or_add_pPr()
    ppr.append(parse_xml(f'<w:rPr {nsdecls("w")}><w:moveFrom w:id="905" {rev}/></w:rPr>'))
    summary = next(t for t in form.tables if t.cell(0, 0).text.lstrip().startswith("【自评结论综述】")).cell(1, 0)
    p = summary.paragraphs[0]
    for run in p.runs:
        run.text = run.text.replace("较好", "")
    p._p.append(parse_xml(f'<w:del {nsdecls("w")} w:id="906" {rev}><w:r><w:delText>尚可</w:delText></w:r></w:del>'))
    p._p.append(parse_xml(f'<w:ins {nsdecls("w")} w:id="907" {rev}><w:r><w:t>较好</w:t></w:r></w:ins>'))
    out = io.BytesIO()
    form.save(out)
    write("narrative_form_tracked_changes.docx", deterministic(out.getvalue()))


def encodings() -> None:
    text = (SAMPLE / "narrative" / "2022" / f"{LIWAN}.yaml").read_text(encoding="utf-8")
    write("narrative_gbk.yaml", text.encode("gbk"))  # Notepad's ANSI on a Chinese Windows
    write("narrative_big5.yaml", text.encode("big5", errors="replace"))  # no accepted encoding
    ledger = rows_of("payments.csv")
    ledger[3000][4] = ledger[3000][4][:2] + "\x00" + ledger[3000][4][2:]  # a NUL deep in the file (line 3001)
    write("payments_nul_in_a_cell.csv", csv_text(ledger).encode("utf-8"))
    plain = csv_text(rows_of("payments.csv"))
    write("payments_bom_over_gbk.csv", codecs.BOM_UTF8 + plain.encode("gbk"))
    big5 = plain.replace("广州", "廣州").encode("big5", errors="replace")
    write("payments_bom_over_big5.csv", codecs.BOM_UTF8 + big5)


def layouts() -> None:
    lines = rows_of("budget_lines.csv")
    amounts = range(6, 9)
    # a header over three rows, the middle one group labels only, as the 决算 software exports it
    header = lines[0]
    top = [*header[:6], "预算执行情况", "", ""]
    middle = [""] * 6 + ["资金", "", "结转"]
    body = numbers(lines, amounts)[1:]
    write("budget_lines_three_row_header.xlsx", workbook(
        {"预算执行": [["2022年度预算执行情况表"], ["单位：元"], top, middle, [""] * 6 + header[6:], *body]},
        {"预算执行": ["A3:A5", "B3:B5", "C3:C5", "D3:D5", "E3:E5", "F3:F5", "G3:I3", "G4:H4"]}))
    # a 栏次 row and a unit row under the header
    write("budget_lines_column_numbers.csv", csv_text(
        [header, ["栏次", "", "", "", "", "", "1", "2", "3=1-2"], *lines[1:]]).encode("utf-8"))
    wan = [[*r[:6], *(f"{float(c) / 10000:.6f}".rstrip("0").rstrip(".") for c in r[6:9])] for r in lines[1:]]
    write("budget_lines_unit_row_wan.csv", csv_text(
        [header, ["", "", "", "", "", "", "（万元）", "（万元）", "（万元）"], *wan]).encode("utf-8"))
    # merged cells in the data area: 支出性质 merged down each run of equal values; an amount merged
    merged_rows = numbers(lines, amounts)
    merges = []
    start = 1
    for i in range(2, len(merged_rows) + 1):
        if i == len(merged_rows) or merged_rows[i][5] != merged_rows[start][5]:
            if i - start > 1:
                merges.append(f"F{start + 1}:F{i}")
                for r in range(start + 1, i):
                    merged_rows[r][5] = None
            start = i
    write("budget_lines_merged_text.xlsx", workbook({"预算执行": merged_rows}, {"预算执行": merges}))
    money = numbers(lines, amounts)
    money[2][8] = None
    write("budget_lines_merged_amount.xlsx", workbook({"预算执行": money}, {"预算执行": ["I2:I3"]}))
    # a quoted line break inside a CSV header cell (Alt+Enter in the cell Excel exported)
    ledger = rows_of("payments.csv")
    ledger[0] = [h.replace("支付金额", "支付\n金额").replace("收款人全称", "收款人\r\n全称") for h in ledger[0]]
    write("payments_header_line_break.csv", csv_text(ledger).encode("utf-8"))
    # one ledger over two sheets (January to June, July to December)
    ledger = numbers(rows_of("payments.csv"), range(6, 7))
    half = [r for r in ledger[1:] if str(r[3]) < "2022-07-01"]
    rest = [r for r in ledger[1:] if str(r[3]) >= "2022-07-01"]
    write("payments_two_sheets.xlsx", workbook({"1-6月": [ledger[0], *half], "7-12月": [ledger[0], *rest]}))


def typed_values() -> None:
    ledger = rows_of("payments.csv")
    for r in ledger[1::2]:
        r[6] = f"￥{float(r[6]):,.2f}"
    for r in ledger[2::2]:
        r[6] = f"¥{r[6]}"
    write("payments_currency_signs.csv", csv_text(ledger).encode("utf-8"))
    targets = rows_of("targets.csv")
    words = {"60": "不低于60家", "50": "50家以上", "8": "不少于8个", "10": "10个及以上", "95": "不低于95%",
             "20": "20亿元以上", "25": "不低于25亿元", "90": "90%以上"}
    for r in targets[1:]:
        r[5] = words[r[5]]
    write("targets_comparisons_in_words.csv", csv_text(targets).encode("utf-8"))
    targets[1][5] = "不高于60家"  # a sign that contradicts the 指标性质 ≥
    write("targets_words_contradict_nature.csv", csv_text(targets).encode("utf-8"))


def review_findings() -> None:
    """Inputs a newcomer's trial of this round found mishandled, each now a case of its own."""
    # a unit cell merged over both amounts of the investment projects: the CSV export keeps it in the first
    projects = [list(r) for r in csv.reader((SAMPLE / "registry" / "investment_projects.csv").open(encoding="utf-8"))]
    money = [i for i, h in enumerate(projects[0]) if h in ("协议投资额", "协议达产年产值或营收")]
    units = [""] * len(projects[0])
    units[money[0]] = "（元）"
    in_yuan = [r if n == 0 else [f"{float(c) * 10000:.2f}" if i in money else c for i, c in enumerate(r)]
               for n, r in enumerate(projects)]
    write("investment_projects_unit_row_one_cell.csv", csv_text([in_yuan[0], units, *in_yuan[1:]]).encode("utf-8"))
    # an 实际完成值 written with a plus sign, as a fraction
    rows = rows_of("self_assessment.csv")
    rows[1][2] = "+0.96"
    write("signed_fraction_self_assessment.csv", csv_text(rows).encode("utf-8"))
    # 绩效目标 in GBK with the ≥ sign in every 指标值 (a short file: few Chinese characters beside the symbols)
    targets = rows_of("targets.csv")
    for r in targets[1:]:
        r[5] = "≥" + r[5]
    write("targets_gbk_with_signs.csv", csv_text(targets).encode("gbk"))
    # the narrative with a UTF-8 byte-order mark over GBK text
    text = (SAMPLE / "narrative" / "2022" / f"{LIWAN}.yaml").read_text(encoding="utf-8")
    write("narrative_bom_over_gbk.yaml", codecs.BOM_UTF8 + text.encode("gbk"))
    # a note merged across the width of the table, under the budget lines
    lines = numbers(rows_of("budget_lines.csv"), range(6, 9))
    note = len(lines) + 1
    write("budget_lines_merged_note.xlsx", workbook(
        {"预算执行": [*lines, ["注：本表数据来源于预算管理一体化系统。"]]}, {"预算执行": [f"A{note}:I{note}"]}))


def second_review_findings() -> None:
    """Inputs a second newcomer's trial found mishandled."""
    projects = [list(r) for r in csv.reader((SAMPLE / "registry" / "investment_projects.csv").open(encoding="utf-8"))]
    money = [i for i, h in enumerate(projects[0]) if h in ("协议投资额", "协议达产年产值或营收")]
    in_yuan = [r if n == 0 else [f"{float(c) * 10000:.2f}" if i in money else c for i, c in enumerate(r)]
               for n, r in enumerate(projects)]
    # the unit row's one cell in the first column (a cell merged over the whole width)
    units = ["（单位：元）"] + [""] * (len(projects[0]) - 1)
    write("investment_projects_unit_row_first_cell.csv", csv_text([in_yuan[0], units, *in_yuan[1:]]).encode("utf-8"))
    # the unit in a group label over both amounts: 协议金额（千元）
    top = [h if i not in money else ("协议金额（千元）" if i == money[0] else "") for i, h in enumerate(projects[0])]
    leaf = [h if i in money else "" for i, h in enumerate(projects[0])]
    in_qian = [[f"{float(c) * 10:.2f}" if i in money else c for i, c in enumerate(r)] for r in projects[1:]]
    write("investment_projects_group_unit.csv", csv_text([top, leaf, *in_qian]).encode("utf-8"))
    # an amount merged over two rows, written as text with its unit
    rows = [projects[0], *([*r[:money[0]], f"{r[money[0]]}万元", r[money[1]]] for r in projects[1:])]
    rows[2][money[0]] = None
    write("investment_projects_merged_text_amount.xlsx", workbook(
        {"招商": rows}, {"招商": [f"{chr(65 + money[0])}2:{chr(65 + money[0])}3"]}))
    # a comma that groups no thousands (45912,09 for 45912.09)
    ledger = rows_of("payments.csv")
    ledger[1][6] = ledger[1][6].replace(".", ",")
    write("payments_comma_for_a_point.csv", csv_text(ledger).encode("utf-8"))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    silent_figures()
    encodings()
    layouts()
    typed_values()
    review_findings()
    second_review_findings()


if __name__ == "__main__":
    main()
