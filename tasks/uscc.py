"""统一社会信用代码 (unified social credit code) check digits, GB 32100-2015.

Kept apart from the rules so that the generator of synthetic data and the custom
Great Expectations expectation share one definition of "valid".
"""

from __future__ import annotations

# GB 32100-2015 uses 31 characters: digits and the capital letters without I, O, S, V, Z.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# The form uscc_problem checks before the check digit, as one regular expression (for SQL).
USCC_PATTERN = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"

# GB 11714: the 9-character organisation code embedded at positions 9-17.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check_digit(body8: str) -> str:
    """Check character of an 8-character organisation code body (GB 11714)."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def uscc_check_digit(first17: str) -> str:
    """Check character of the first 17 characters of a USCC (GB 32100-2015)."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: object) -> str | None:
    """Why ``code`` is not a valid USCC, or None when it is.

    Returns a short reason rather than a bool so that error reports can say what is wrong.
    """
    if not isinstance(code, str):
        return "不是文本 (not text)"
    if len(code) != 18:
        return f"长度为 {len(code)}，应为 18 (length {len(code)}, expected 18)"
    bad = [c for c in code if c not in _USCC_VALUE]
    if bad:
        return f"含非法字符 {bad[0]!r} (character {bad[0]!r} is not allowed)"
    if not code[2:8].isdigit():
        return "第 3-8 位应为行政区划代码 (positions 3-8 must be an area code)"
    expected = uscc_check_digit(code[:17])
    if code[17] != expected:
        return f"校验位为 {code[17]}，应为 {expected} (check digit {code[17]}, expected {expected})"
    return None


def make_uscc(registration_type: str, area_code: str, org_body8: str) -> str:
    """A valid USCC from its parts; used by the synthetic-data generator and tests."""
    org = org_body8 + org_code_check_digit(org_body8)
    first17 = registration_type + area_code + org
    return first17 + uscc_check_digit(first17)
