"""Other forms of the bundled sample, for the readers' tests: XLSX as the 决算 software exports it,
CSV in GBK, CSV as Excel's "CSV UTF-8" saves it (BOM, CRLF, empty trailing columns), and JSON
records as the statistics and registry APIs serve them.

Every variant carries exactly the sample's data, so every one must give the byte-identical report.
Rebuild with ``python -m tasks.synth.variants data/sample data/variants`` (``make variants``).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from tasks.domain import FEN_PER_UNIT
from tasks.sources.contract import DATASETS, FINANCE_DATASETS, PAYMENTS, SUMMARY, Dataset
from tasks.sources.http_source import ENDPOINTS

TITLES = {"budget_lines": "预算指标执行明细表", "payments": "国库集中支付明细表", "summary": "收支决算总表",
          "targets": "部门整体支出绩效目标表", "self_assessment": "部门整体支出绩效自评表",
          "project_targets": "项目支出绩效目标表", "project_self_assessment": "项目支出绩效自评表",
          "project_summaries": "项目支出绩效自评概况表", "monitoring": "绩效运行监控表",
          "rectification": "绩效运行监控整改跟踪表"}
GROUPED = ("budget", "executed", "carryover")  # under one merged 预算执行情况 header


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _number(text: str, unit: str) -> float | str:
    """Money text in 元 as a number in ``unit``, or "—" for zero, as the export software writes it; an optional
    amount left empty stays empty."""
    if not text.strip():
        return ""
    value = Decimal(text) * 100 / FEN_PER_UNIT[unit]
    return "—" if value == 0 else float(value)


def write_finance_xlsx(csv_path: Path, dataset: Dataset, out: Path, department: str, year: str) -> None:
    frame = _read(csv_path)
    unit = "元" if dataset is PAYMENTS else "万元"
    labels = {c.label: c for c in dataset.columns}
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = TITLES[dataset.name]
    width = len(frame.columns)
    last = get_column_letter(width)
    sheet["A1"] = f"{department} {year}年{TITLES[dataset.name]}"
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet["A2"] = f"编制单位：{department}"
    sheet[f"{last}2"] = f"单位：{unit}"
    grouped = [i for i, h in enumerate(frame.columns) if labels[h].name in GROUPED]
    for i, header in enumerate(frame.columns, start=1):
        col = get_column_letter(i)
        if i - 1 in grouped:
            sheet[f"{col}4"] = header
        else:  # a header merged over both header rows: its text sits in the top cell only
            sheet[f"{col}3"] = header
            sheet.merge_cells(f"{col}3:{col}4")
    if grouped:
        first, end = get_column_letter(grouped[0] + 1), get_column_letter(grouped[-1] + 1)
        sheet[f"{first}3"] = "预算执行情况"
        sheet.merge_cells(f"{first}3:{end}3")
    money = [h for h in frame.columns if labels[h].kind == "money"]
    dates = [h for h in frame.columns if labels[h].kind == "date"]
    row = 5
    for record in frame.to_dict("records"):
        for i, header in enumerate(frame.columns, start=1):
            value: object = record[header]
            if header in money:
                value = _number(str(value), unit) if str(value) != "" else None
            elif header in dates and value:
                value = dt.datetime.fromisoformat(str(value))
            cell = sheet.cell(row=row, column=i, value=value)
            if header in money:
                cell.number_format = "#,##0.00####"
            elif header in dates:
                cell.number_format = "yyyy-mm-dd"
        row += 1
    if dataset is not SUMMARY and money:
        sheet.cell(row=row, column=1, value="合计")
        for header in money:
            total = sum(Decimal(v) for v in frame[header] if str(v).strip())
            sheet.cell(row=row, column=list(frame.columns).index(header) + 1, value=_number(str(total), unit))
        row += 1
    sheet.cell(row=row + 1, column=1, value=f"注：本表由部门决算管理软件导出，金额单位为{unit}。")
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)


def write_xlsx_variant(sample: Path, dest: Path) -> None:
    """The finance folder as XLSX exports; departments stay a CSV list."""
    names = {r["部门编码"]: r["部门名称"] for r in _read(sample / "finance" / "departments.csv").to_dict("records")}
    (dest / "finance").mkdir(parents=True, exist_ok=True)
    shutil.copy(sample / "finance" / "departments.csv", dest / "finance" / "departments.csv")
    for dataset in FINANCE_DATASETS:
        for path in sorted((sample / "finance").glob(f"*/*/{dataset.name}.csv")):
            year, code = path.parent.parent.name, path.parent.name
            target = dest / "finance" / year / code / f"{dataset.name}.xlsx"
            write_finance_xlsx(path, dataset, target, names[code], year)


def _source_csvs(sample: Path, dest: Path) -> Iterator[tuple[str, Path]]:
    """Each CSV of the three sources as text, with where its variant goes (its folder made)."""
    for path in sorted(sample.glob("*/**/*.csv")):
        rel = path.relative_to(sample)
        if rel.parts[0] not in ("finance", "statistics", "registry"):
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        yield path.read_text(encoding="utf-8"), target


def write_gbk_variant(sample: Path, dest: Path) -> None:
    """Every CSV of the three sources re-encoded in GBK, as other offices send them."""
    for text, target in _source_csvs(sample, dest):
        target.write_bytes(text.encode("gbk"))


def write_excel_csv_variant(sample: Path, dest: Path, empty_columns: int = 2) -> None:
    """Every CSV as Excel's "CSV UTF-8" saves a sheet whose used range runs past the table: a BOM,
    CRLF line ends, and empty trailing columns (a comma more per line for each)."""
    for text, target in _source_csvs(sample, dest):
        lines = "".join(line + "," * empty_columns + "\r\n" for line in text.splitlines())
        target.write_bytes(b"\xef\xbb\xbf" + lines.encode("utf-8"))


def write_api_fixtures(sample: Path, dest: Path) -> None:
    """Statistics and registry records as the APIs serve them (contract names; numbers as JSON numbers)."""
    for source, names in (("statistics", ["indicators"]),
                          ("registry", ["enterprises", "applications", "investment_projects"])):
        for name in names:
            dataset = DATASETS[name]
            frame = _read(sample / source / f"{name}.csv")
            frame.columns = [_canonical(dataset, h) for h in frame.columns]
            records = []
            for record in frame.to_dict("records"):
                out: dict[str, object] = {}
                for col in dataset.columns:
                    value = record.get(col.name, "")
                    out[col.name] = (None if value == "" else
                                     json.loads(value) if col.kind in ("money", "decimal", "year") else value)
                records.append(out)
            target = dest / source / f"{ENDPOINTS[name]}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _canonical(dataset: Dataset, header: str) -> str:
    for col in dataset.columns:
        if header in col.headers:
            return col.name
    raise KeyError(header)


def write_xls_variant(xlsx: Path, dest: Path) -> bool:
    """The XLSX exports re-saved as Excel 97-2003 .xls by LibreOffice, as an office's older system
    saves them. Dev-only: needs ``soffice`` (Debian's libreoffice-calc-nogui); returns False, keeping
    the committed files, when it is not installed. No Python library writes .xls and is still kept."""
    soffice = shutil.which("soffice")
    if soffice is None:
        sys.stderr.write("soffice not found: data/variants/xls is kept as committed\n")
        return False
    for path in sorted(p for p in xlsx.rglob("*") if p.is_file()):
        target = dest / path.relative_to(xlsx).parent
        target.mkdir(parents=True, exist_ok=True)
        if path.suffix != ".xlsx":  # departments.csv
            shutil.copy(path, target / path.name)
            continue
        subprocess.run([soffice, "--headless", "--convert-to", "xls", "--outdir", str(target), str(path)],
                       check=True, capture_output=True, timeout=120)
    return True


def write_variants(sample: Path, dest: Path) -> None:
    for name, write in (("xlsx", write_xlsx_variant), ("gbk", write_gbk_variant),
                        ("excel-csv", write_excel_csv_variant), ("api", write_api_fixtures)):
        if (dest / name).exists():
            shutil.rmtree(dest / name)
        write(sample, dest / name)
    if shutil.which("soffice"):
        shutil.rmtree(dest / "xls", ignore_errors=True)
    write_xls_variant(dest / "xlsx" / "finance", dest / "xls" / "finance")


if __name__ == "__main__":
    write_variants(Path(sys.argv[1]), Path(sys.argv[2]))
