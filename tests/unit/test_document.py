import pytest

from tasks.report.document import mark, parse_blocks, plain
from tasks.report.render import chinese_number, marked_html, report_dir


def test_blocks_parse_tags_and_continuations():
    blocks = parse_blocks("=title 标题\n=h1 一、基本情况\n=p 第一段\n续行\n\n=p 第二段\n")
    assert [(b.kind, b.text) for b in blocks] == [
        ("title", "标题"), ("h1", "一、基本情况"), ("p", "第一段续行"), ("p", "第二段")]


def test_marks_are_invisible_in_plain_text_and_links_in_html():
    text = f"全年预算数 {mark('budget', '12103.34')} 万元"
    assert plain(text) == "全年预算数 12103.34 万元"
    html = str(marked_html(text + " <b>"))
    assert 'href="#fig-budget"' in html and "&lt;b&gt;" in html


@pytest.mark.parametrize(("n", "text"), [(1, "一"), (4, "四"), (10, "十"), (13, "十三"), (21, "二十一")])
def test_chinese_numbers(n, text):
    assert chinese_number(n) == text


@pytest.mark.parametrize("code", ["../etc", "a/b", "..", ".hidden", "x" * 65, "a\\b", ""])
def test_hostile_department_codes_cannot_leave_the_output_folder(tmp_path, code):
    with pytest.raises(ValueError):
        report_dir(tmp_path, 2022, code)


def test_safe_code_stays_inside(tmp_path):
    assert report_dir(tmp_path, 2022, "440103-KGXJ") == (tmp_path / "2022" / "440103-KGXJ").resolve()
