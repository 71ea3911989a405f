"""The narrative's Word form: writing it (``write_form``) and reading it back with its checks
(``load_narrative`` on a .docx), for the sample's narrative and for forms with many more paragraphs.

    .venv/bin/python -m bench.bench_form [--paragraphs 100 1000 5000]

A district's forms are read once per run per department before anything loads; this says what that costs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from bench.common import best_of, write_section
from tasks.report.narrative import load_narrative
from tasks.report.narrative_form import FormFigure, write_form
from tasks.settings import SAMPLE_DIR

CODE = "440103-KGXJ"


def narrative(extra: int) -> dict[str, object]:
    data = load_narrative(SAMPLE_DIR / "narrative", 2022, CODE).model_dump(exclude={"performance_indicators"})
    data["functions"] = [*data["functions"], *[f"第 {i} 条职能：负责有关工作的组织实施。" for i in range(extra)]]
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paragraphs", type=int, nargs="+", default=[0, 1000, 5000])
    args = parser.parse_args()
    figures = [FormFigure(f"figure_{i}", f"指标 {i}", f"{i}.00万元") for i in range(40)]
    created = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    lines = ["## The narrative's Word form (`bench/bench_form.py`)", "",
             "The sample narrative of 440103-KGXJ (13 职能 paragraphs, 40 figures listed), with extra 职能 paragraphs. "
             "Best of 3.", "",
             "| extra paragraphs | form KB | write s | read and validate s |", "|---:|---:|---:|---:|"]
    for extra in args.paragraphs:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "2022"
            folder.mkdir()
            data = narrative(extra)
            path = folder / f"{CODE}.docx"
            write = best_of(3, lambda data=data: write_form(data, CODE, "科工信局", 2022, figures, "", created))
            path.write_bytes(write_form(data, CODE, "科工信局", 2022, figures, "", created))
            read = best_of(3, lambda tmp=tmp: load_narrative(Path(tmp), 2022, CODE))
            assert len(load_narrative(Path(tmp), 2022, CODE).functions) == 13 + extra
            lines.append(f"| {extra:,} | {path.stat().st_size / 1024:.0f} | {write:.3f} | {read:.3f} |")
    write_section("form", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
