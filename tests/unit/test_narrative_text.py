"""Narrative text: names are checked against the metric registry before loading, and ``change()``
writes a change in words from the registry's growth metric."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tasks.report.figures import Figure, Figures
from tasks.report.narrative import Narrative, NarrativeError, check_narrative, render_text
from tasks.report.render import narrative_context
from tasks.settings import TEMPLATES_DIR
from tasks.warehouse.metrics import load_registry

REGISTRY = load_registry(TEMPLATES_DIR / "metrics.yaml")


def narrative(achievements: str) -> Narrative:
    return Narrative.model_validate({
        "department": "D1", "year": 2022, "functions": ["f"], "goals": ["g"], "key_tasks": ["k"],
        "conclusion": {"summary": "s"}, "task_analysis": "t", "achievements": achievements})


def figures(**growths: Decimal | None) -> Figures:
    figs = Figures("D1", 2022, "部门", "440103")
    for name, value in growths.items():
        figs.add(Figure(name, value, "", name, ""))
    figs.growth_of = {"hitech_first": "hitech_first_growth"}
    return figs


def test_change_of_a_metric_with_a_growth_passes_the_check():
    text = "首次申报高企 {{ hitech_first }} 家，{{ change('hitech_first') }}。"
    check_narrative(narrative(text), REGISTRY, "D1.yaml")


def test_change_of_a_metric_without_a_growth_is_refused_before_loading():
    with pytest.raises(NarrativeError) as caught:
        check_narrative(narrative("{{ change('budget') }}"), REGISTRY, "narrative/2022/D1.yaml")
    assert "narrative/2022/D1.yaml" in str(caught.value) and "没有 'budget' 的增长率" in str(caught.value)


def test_an_unknown_figure_is_refused_before_loading():
    with pytest.raises(NarrativeError, match="srdi_applicant"):
        check_narrative(narrative("{{ srdi_applicant }}"), REGISTRY, "D1.yaml")


@pytest.mark.parametrize(("growth", "words"), [
    (Decimal("0.4"), "同比增长 40%"), (Decimal("-0.125"), "同比下降 12.5%"), (Decimal(0), "与上年持平")])
def test_change_writes_a_rise_a_fall_and_no_change(growth, words):
    ctx = narrative_context(figures(hitech_first_growth=growth), narrative("x"))
    text = render_text("首次申报高企认定企业{{ change('hitech_first') }}。", ctx, "D1.yaml")
    assert words in text
    assert render_text("{{ change('hitech_first_growth') }}", ctx, "D1.yaml") == render_text(
        "{{ change('hitech_first') }}", ctx, "D1.yaml")


@pytest.mark.parametrize(("text", "parameter", "refused"), [
    ("{{ growth_above('industry_output_growth', t) }}", "百分之五十", "growth_above 的阈值 '百分之五十' 不是数字"),
    ("{{ pct(t) }}", "五成", "pct 的值 '五成' 不是数字"),
    ("{{ growth_above('industry_output_growth', t) }}", 0.5, None),
    ("{{ pct(t, 1) }}", "0.25", None)])
def test_a_parameter_a_helper_reads_as_a_number_is_checked_before_loading(text, parameter, refused):
    """A 【参数】 value the report's helpers read as a number (growth_above's threshold, pct's value) is refused at
    the check, naming the file and the section, not when the report is drawn after the data loaded."""
    given = narrative(text)
    given.parameters = {"t": parameter}
    if refused is None:
        check_narrative(given, REGISTRY, "D1.yaml")
        return
    with pytest.raises(NarrativeError) as caught:
        check_narrative(given, REGISTRY, "D1.yaml")
    assert "D1.yaml" in str(caught.value) and "achievements" in str(caught.value) and refused in str(caught.value)


def test_the_narrative_index_finds_for_each_department_what_a_scan_of_the_folder_finds(tmp_path):
    """``narrative_files`` through the year's index (the folder listed once, each file under its stem and every
    stem it is a copy of) gives, for every department, the files a scan testing each name gives: exact names in
    any case, copies of copies, other departments' copies, other suffixes and folders left out; the exact name
    first."""
    import random

    from tasks.report.narrative import FORMS, narrative_files, narrative_index
    from tasks.sources.base import _COPY_PREFIX, _COPY_SUFFIX

    def is_copy_of(name: str, stem: str) -> bool:  # the test of each name as it was before the index
        if name == stem:
            return False
        for _ in range(8):
            shorter = _COPY_PREFIX.sub("", _COPY_SUFFIX.sub("", name)).strip()
            if shorter == stem:
                return True
            if shorter == name:
                return False
            name = shorter
        return False

    folder = tmp_path / "2022"
    folder.mkdir()
    rng = random.Random(5)
    codes = ["440103-KGXJ", "440103-SWJ", "440104-D001", "440104-D0012"]
    copies = ["", " (1)", " - 副本", " - 副本 (2)", " (1) (1)", " copy", "复件 ", " 2", "_old", "2",
              " (1) (1) - 副本 (2) copy 3", " (1)" * 9]
    for code in codes:
        for _ in range(6):
            mark = rng.choice(copies)
            stem = f"{mark}{code}" if mark == "复件 " else f"{code}{mark}"
            name = (stem.lower() if rng.random() < 0.3 else stem) + rng.choice([".yaml", ".YML", ".docx", ".txt"])
            (folder / name).write_text("x", encoding="utf-8")
    (folder / "440103-SWJ (3).yaml").mkdir()  # a folder named like a narrative is no narrative
    index = narrative_index(tmp_path, 2022)
    for code in [*codes, "440105-NONE"]:
        stem = code.lower()
        scanned = [p for p in folder.iterdir() if p.suffix.lower() in FORMS and p.is_file()
                   and (p.stem.lower() == stem or is_copy_of(p.stem.lower(), stem))]
        expected = sorted(scanned, key=lambda p: (p.stem.lower() != stem, FORMS.index(p.suffix.lower()), p.name))
        assert narrative_files(tmp_path, 2022, code, index) == expected, code
        assert narrative_files(tmp_path, 2022, code) == expected, code
    assert narrative_index(tmp_path, 2023) == {}
