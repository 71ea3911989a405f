"""Rows per second of the CSV and XLSX readers (read + stage) on a 1,000,000-row payment ledger.

    .venv/bin/python -m bench.bench_readers [--rows 1000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import openpyxl

from bench.common import payment_ledger, write_section
from tasks.sources.contract import PAYMENTS
from tasks.sources.csv_reader import read_csv
from tasks.sources.staging import stage_table
from tasks.sources.workbook_reader import read_workbook


def timed(fn, data: bytes, name: str) -> tuple[float, float]:
    start = time.perf_counter()
    raw = fn(data, name, PAYMENTS)
    read = time.perf_counter() - start
    table = stage_table(raw)  # as extraction stages it: an Arrow table into the run database
    total = time.perf_counter() - start
    assert table.num_rows == raw.rows
    return read, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    ledger = payment_ledger(args.rows)
    ledger["pay_date"] = ledger["pay_date"].dt.strftime("%Y-%m-%d")
    ledger["amount"] = (ledger["amount"] // 100).astype(str) + "." + (ledger["amount"] % 100).astype(str).str.zfill(2)
    ledger.columns = [PAYMENTS.column(c).label for c in ledger.columns]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        text = ledger.to_csv(index=False)
        for label, data in (("CSV, UTF-8", text.encode("utf-8")), ("CSV, GBK", text.encode("gbk"))):
            read, total = timed(read_csv, data, "payments.csv")
            results.append((label, len(data), read, total))
        path = Path(tmp) / "payments.xlsx"
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(["广州市某局 2022年国库集中支付明细表"])
        sheet.append(["单位：元"])
        sheet.append(list(ledger.columns))
        for row in ledger.itertuples(index=False):
            sheet.append([*row[:6], float(row[6])])
        book.save(path)
        data = path.read_bytes()
        read, total = timed(read_workbook, data, "payments.xlsx")
        results.append(("XLSX (决算 export layout)", len(data), read, total))
    lines = [
        "## Source readers: a payment ledger, read and staged",
        "",
        f"Command: `.venv/bin/python -m bench.bench_readers --rows {args.rows}`",
        "",
        f"{args.rows:,} payments (7 columns). *Read* parses the file into text cells; *read + stage* also "
        "detects the encoding, maps the headers and types every cell (money exactly, as integer 分).",
        "",
        "| form | file MB | read s | read + stage s | rows/s (read + stage) |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, size, read, total in results:
        lines.append(f"| {label} | {size / 1e6:.0f} | {read:.2f} | {total:.2f} | {args.rows / total:,.0f} |")
    write_section("readers", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
