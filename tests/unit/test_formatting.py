from decimal import Decimal

import pytest

from tasks.report import formatting as fmt


def test_wan_rounds_half_up_from_fen():
    assert fmt.wan(12_103_341_200) == "12103.34"
    assert fmt.wan(12_103_269_955) == "12103.27"  # 12103.269955
    assert fmt.wan(5_000) == "0.01"  # 0.005 万元 rounds up
    assert fmt.wan(4_999) == "0.00"
    assert fmt.wan(0) == "0.00"


def test_reference_execution_rate_is_written_100():
    rate = fmt.ratio(12_103_269_955, 12_103_341_200)
    assert rate is not None and rate < 1
    assert fmt.percent(rate) == "100"
    assert fmt.percent(rate, 4) == "99.9994"


def test_yi_and_growth():
    assert fmt.yi(214_050_000_000) == "21.4"  # 214050 万元 = 21.405 亿
    assert fmt.yi(304_100_000_000) == "30.4"
    assert fmt.percent(fmt.growth(63, 45)) == "40"


def test_zero_denominator_is_none_not_an_error():
    assert fmt.ratio(1, 0) is None
    assert fmt.percent(None) == "—"


@pytest.mark.parametrize(("value", "places", "text"), [(Decimal("0.125"), 2, "0.13"), (Decimal("-0.125"), 2, "-0.13")])
def test_half_up_is_symmetric(value, places, text):
    assert f"{fmt.quantize(value, places):f}" == text


@pytest.mark.parametrize(("growth", "words"), [
    (Decimal("0.4"), "同比增长 40%"),
    (Decimal("-0.125"), "同比下降 12.5%"),
    (Decimal(0), "与上年持平"),
    (Decimal("0.00004"), "与上年持平"),  # rounds to 0.00 %
    (Decimal("0.00005"), "同比增长 0.01%"),  # half up
    (Decimal("-1"), "同比下降 100%"),
    (Decimal(63) / Decimal(45) - 1, "同比增长 40%"),
    (None, "上年无可比数据"),
])
def test_change_words(growth, words):
    assert fmt.change_words(growth) == words
