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


def test_the_sql_check_agrees_with_the_python_one():
    """The gate checks USCCs in SQL (tasks/quality/custom_expectations.py): same verdict, on DuckDB
    and on the forms of fault above, plus random near-misses of valid codes."""
    import random

    import duckdb
    import sqlalchemy as sa

    from tasks.quality.custom_expectations import uscc_valid_sql
    from tasks.uscc import USCC_ALPHABET

    rng = random.Random(7)
    codes = [*REAL, "91440300708461136X", "9144030070846113", "91440300708461136I", "91ABCDEF708461136T",
             "", "91440300708461136t", "914403007084611 6T"]
    for _ in range(300):
        code = make_uscc(rng.choice(["91", "92", "11", "52"]), f"{rng.randrange(110000, 660000)}",
                         "".join(rng.choice(USCC_ALPHABET) for _ in range(8)))
        i = rng.randrange(18)
        codes += [code, code[:i] + rng.choice(USCC_ALPHABET) + code[i + 1:]]
    column = sa.column("code")
    sql = str(sa.select(column, uscc_valid_sql(column)).select_from(sa.table("codes")).compile(
        dialect=sa.create_engine("duckdb:///:memory:").dialect, compile_kwargs={"literal_binds": True}))
    con = duckdb.connect()
    con.execute("CREATE TABLE codes (code VARCHAR)")
    con.executemany("INSERT INTO codes VALUES (?)", [[c] for c in codes])
    verdicts = dict(con.execute(sql).fetchall())
    assert {c: bool(v) for c, v in verdicts.items()} == {c: uscc_problem(c) is None for c in codes}
