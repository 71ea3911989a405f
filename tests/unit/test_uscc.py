import pytest

from tasks.uscc import make_uscc, org_code_check_digit, uscc_check_digit, uscc_problem

# Published codes of well-known companies: the check digits are right by construction.
REAL = ["91440300708461136T", "91110108551385082Q", "914403001922038216", "91330100716105852F"]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code):
    assert uscc_problem(code) is None
    assert uscc_check_digit(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91440300708461136X", "校验位"),  # wrong check digit
        ("9144030070846113", "长度"),  # too short
        ("91440300708461136I", "非法字符"),  # I is not in the alphabet
        ("91ABCDEF708461136T", "行政区划"),
        (None, "不是文本"),
    ],
)
def test_bad_codes_say_why(code, reason):
    problem = uscc_problem(code)
    assert problem is not None and reason in problem


def test_made_codes_are_valid_and_embed_org_check_digit():
    code = make_uscc("91", "440103", "MA5CXYW1")
    assert uscc_problem(code) is None
    assert code[16] == org_code_check_digit("MA5CXYW1")
