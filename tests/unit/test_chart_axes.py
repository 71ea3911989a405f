"""Charts that do not mislead: axis labels as drawn (matplotlib's tick labels), not file sizes."""

from __future__ import annotations

from decimal import Decimal as D

from tasks.report import charts as ch


def _plain(ticks: tuple[str, ...]) -> None:
    *labels, offset = ticks
    assert offset == "", f"an offset on the axis: {offset}"
    assert labels and not any("e+" in t.lower() or "e-" in t.lower() or "×10" in t for t in labels), labels


def test_close_values_get_no_offset():
    # a department whose budget and execution differ by 0.07 万元 at 12,103 万元 (issue 28)
    chart = ch.trend("历年", [2021, 2022], {"年度预算数": [D("12103.21"), D("12103.28")],
                                           "全年执行数": [D("12103.20"), D("12103.27")]}, "万元", "t")
    _plain(chart.y_ticks)
    assert any(t.replace(",", "").startswith("12103") or t.replace(",", "").startswith("12,103")
               for t in chart.y_ticks[:-1])


def test_large_values_are_not_in_scientific_notation():
    chart = ch.budget_against_execution("预算", ["甲", "乙"], [D("98765432.10"), D("12345678.90")],
                                        [D("98765000.00"), D("12345000.00")], "b")
    _plain(chart.y_ticks)


def test_a_single_year_is_bars_and_counts_are_integers():
    one = ch.trend("历年", [2022], {"年度预算数": [D("12103.21")], "全年执行数": [D("12103.28")]}, "万元", "t")
    _plain(one.y_ticks)
    counts = ch.trend("产出（家）", [2021, 2022], {"企业": [D("3"), D("5")]}, "家", "c", counts=True)
    _plain(counts.y_ticks)
    assert all(t.lstrip("−-").isdigit() for t in counts.y_ticks[:-1] if t), counts.y_ticks


def test_an_open_year_is_drawn_apart_and_dated():
    import datetime as dt

    label = ch.as_of_label(dt.date(2023, 6, 28))  # the month's end, as the monitoring dates it
    assert label == "截至6月30日" and ch.as_of_label(dt.date(2024, 2, 3)) == "截至2月29日"
    chart = ch.trend("历年", [2022, 2023], {"年度预算数": [D("12103.21"), D("12500.00")],
                                           "全年执行数": [D("12103.28"), D("6100.50")]}, "万元", "t",
                     open_years={2023: label}, partial=frozenset({"全年执行数"}))
    _plain(chart.y_ticks)
    assert chart.x_ticks == ("2022年", "2023年\n截至6月30日")
    assert "执行数（截至6月30日）" in chart.legend and "全年执行数" in chart.legend  # 2022's line is 全年
    one = ch.trend("历年", [2023], {"年度预算数": [D("12500.00")], "全年执行数": [D("6100.50")]}, "万元", "t",
                   open_years={2023: label}, partial=frozenset({"全年执行数"}))
    assert "全年执行数" not in one.legend and "执行数（截至6月30日）" in one.legend
    assert one.x_ticks == ("2023年\n截至6月30日",)
