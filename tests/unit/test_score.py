"""The score and grade, on cases worked by hand."""

from decimal import Decimal as D

import pytest

from tasks.report.score import grade_of, indicator_from, score, score_one

GRADES = [(D(90), "优秀"), (D(80), "良好"), (D(60), "中"), (D(0), "差")]


def ind(**kw):
    base = {"level1": "产出", "level2": "数量", "name": "x", "figure": "x", "target": 1, "weight": 10}
    return indicator_from({**base, **kw})


def test_at_least_is_proportional_and_capped():
    assert score_one(ind(target=60), D(74)) == D("10.00")
    assert score_one(ind(target=80), D(60)) == D("7.50")  # 60/80 × 10
    assert score_one(ind(target=1), D("0.999994")) == D("10.00")  # 9.99994 rounds half up to 10.00


def test_at_most_full_to_target_then_linear_to_zero_at_twice():
    i = ind(method="at_most", target=0.05)
    assert score_one(i, D("0.00")) == D("10.00")
    assert score_one(i, D("0.075")) == D("5.00")  # half-way to 0.10
    assert score_one(i, D("0.2")) == D("0.00")


def test_info_is_not_scored_and_missing_actual_scores_zero():
    assert score_one(ind(method="info", weight=0), D(5)) is None
    assert score_one(ind(), None) == D(0)


@pytest.mark.parametrize(("total", "grade"), [(90, "优秀"), (89.99, "良好"), (80, "良好"), (79.99, "中"),
                                              (60, "中"), (59.99, "差"), (0, "差")])
def test_grade_bands(total, grade):
    assert grade_of(D(str(total)), GRADES) == grade


def test_total_is_scaled_to_100_and_money_converted_to_the_unit():
    inds = [ind(figure="rate", weight=20), ind(figure="inv", target=20, unit="亿元", weight=10)]
    # rate 0.9 → 18.00 of 20; 15 亿 of 20 → 7.50 of 10; (18 + 7.5) / 30 × 100 = 85.00
    card = score({"rate": D("0.9"), "inv": 150_000_000_000}, inds, GRADES)
    assert card.total == D("85.00") and card.grade == "良好" and not card.overridden


def test_override_is_kept_and_flagged():
    card = score({"x": D(1)}, [ind()], GRADES, override="良好")
    assert card.grade == "良好" and card.computed_grade == "优秀" and card.overridden


def test_unknown_figure_is_an_error():
    with pytest.raises(KeyError, match="nope"):
        score({}, [ind(figure="nope")], GRADES)
