"""The department catalogue: a code on two rows is refused, naming both rows (which row is the department?),
so that nothing is loaded against an ambiguous catalogue; the whole run is refused in one line."""

from __future__ import annotations

import shutil

from tasks.sources.base import make_source
from tasks.sources.extract import extract_departments
from tests.conftest import SAMPLE


def test_a_department_on_two_rows_refuses_the_catalogue_naming_both(tmp_path):
    shutil.copytree(SAMPLE / "finance", tmp_path / "finance")
    catalogue = tmp_path / "finance" / "departments.csv"
    lines = catalogue.read_text(encoding="utf-8").splitlines()
    catalogue.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")  # the first department again
    frame, out = extract_departments(make_source("finance", tmp_path / "finance"))
    assert frame.empty and out.failed
    [problem] = out.problems
    assert problem.uri.endswith("departments.csv") and problem.row == len(lines) + 1
    code = lines[1].split(",")[0]
    said = f"第 {len(lines) + 1} 行：与第 2 行重复（{code}），每个编码只能有一行（repeats row 2）"
    assert str(problem).endswith(said)


def test_the_sample_catalogue_is_accepted():
    frame, out = extract_departments(make_source("finance", SAMPLE / "finance"))
    assert not out.failed and len(frame) == 3
