"""Reading and typing CSV: exact money, units, and errors that name file, row and column."""

import pytest

from tasks.sources.contract import BUDGET_LINES, INVESTMENT_PROJECTS, PAYMENTS
from tasks.sources.csv_reader import read_csv
from tasks.sources.errors import SourceError
from tasks.sources.staging import stage

HEADER = "支付凭证号,部门编码,指标编号,支付日期,收款人全称,支出经济分类,支付金额\n"


def staged(text: str, dataset=PAYMENTS, encoding="utf-8"):
    return stage(read_csv(text.encode(encoding), "in/payments.csv", dataset))


def test_money_is_exact_integer_fen_and_rows_are_numbered_like_a_spreadsheet():
    frame = staged(HEADER + "V1,D,L1,2022-03-15,甲,30201,\"1,234.56\"\nV2,D,L1,2022/03/16,乙,30201,0.1\n")
    assert frame["amount"].tolist() == [123456, 10]
    assert str(frame["amount"].dtype) == "int64"
    assert frame["_row"].tolist() == [2, 3]
    assert frame["pay_date"].dt.day.tolist() == [15, 16]


def test_units_from_header_suffix_and_unit_line():
    text = "单位：万元\n" + HEADER.replace("支付金额", "支付金额") + "V1,D,L1,2022-03-15,甲,30201,1.5\n"
    assert staged(text)["amount"].tolist() == [1_500_000]
    text = HEADER.replace("支付金额", "支付金额（元）") + "V1,D,L1,2022-03-15,甲,30201,1.5\n"
    assert staged(text)["amount"].tolist() == [150]


def test_gbk_reads_the_same_as_utf8():
    text = HEADER + "V1,D,L1,2022-03-15,广州某科技有限公司,30201,12.00\n"
    assert staged(text, encoding="gbk").equals(staged(text))


def test_dash_and_blank_are_zero_for_money():
    text = "部门编码,指标编号,项目编码,项目名称,资金来源,支出性质,全年预算数,全年执行数,年末结转和结余\n" \
           "D,L1,P1,项目,一般公共预算财政拨款,项目支出,100.00,—,\n"
    frame = staged(text, BUDGET_LINES)
    assert frame[["budget", "executed", "carryover"]].iloc[0].tolist() == [10000, 0, 0]


@pytest.mark.parametrize(
    ("body", "row", "column", "words"),
    [
        ("V1,D,L1,2022-03-15,甲,30201,abc\n", 2, "支付金额", "is not an amount"),
        ("V1,D,L1,2022-03-15,甲,30201,1.00\nV2,D,L1,2022-03-15,甲,30201,-5\n", 3, "支付金额", "is negative"),
        ("V1,D,L1,2022-03-15,甲,30201,1.001\n", 2, "支付金额", "more precise than 1 分"),
        ("V1,D,L1,03/15/2022,甲,30201,1.00\n", 2, "支付日期", "not a date"),
        ("V1,D,,2022-03-15,甲,30201,1.00\n", 2, "指标编号", "is empty"),
    ],
)
def test_bad_cells_are_named_by_file_row_and_column(body, row, column, words):
    with pytest.raises(SourceError) as err:
        staged(HEADER + body)
    problem = err.value.problem
    assert problem.uri == "in/payments.csv"
    assert problem.row == row
    assert column in (problem.column or "")
    assert words in problem.message
    assert problem.expected


def test_missing_required_column_and_unknown_extra_column():
    with pytest.raises(SourceError, match="required column 支付金额"):
        staged(HEADER.replace(",支付金额", "") + "V1,D,L1,2022-03-15,甲,30201\n")
    raw = read_csv((HEADER.strip() + ",备注\nV1,D,L1,2022-03-15,甲,30201,1.00,x\n").encode(), "p.csv", PAYMENTS)
    frame = stage(raw)
    assert "备注" not in frame.columns
    assert [w.severity for w in raw.warnings] == ["warning"] and "备注" in raw.warnings[0].message


def test_nullable_columns_accept_blanks():
    header = ("项目编号,招商部门编码,项目名称,项目公司统一社会信用代码,签约日期,注册日期,"
              "协议投资额,协议达产年产值或营收\n")
    frame = staged(header + "ZS1,D,项目,,2022-05-01,,100.5,200\n", INVESTMENT_PROJECTS)
    assert frame["uscc"].isna().all() and frame["registered"].isna().all()
    assert frame["agreed_investment"].tolist() == [100_500_000]  # 万元 by default


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "HTML page"),
        (HEADER.encode() + b"V1,D,L1,2022-03-15,x,30201,1.00,extra\n", "fields"),
        (b"a,b,c\n1,2,3\n", "no header line"),
    ],
)
def test_unreadable_files(data, words):
    with pytest.raises(SourceError, match=words):
        read_csv(data, "p.csv", PAYMENTS)


def test_a_ledger_may_have_no_records_yet_other_files_may_not():
    raw = read_csv(HEADER.encode(), "payments.csv", PAYMENTS)  # nothing paid yet
    assert raw.rows == 0 and "支付金额" in raw.headers
    lines = "部门编码,指标编号,项目编码,项目名称,资金来源,支出性质,全年预算数,全年执行数,年末结转和结余\n"
    with pytest.raises(SourceError, match="header but no records"):
        read_csv(lines.encode(), "budget_lines.csv", BUDGET_LINES)


def test_amounts_too_large_for_64_bits_are_refused():
    with pytest.raises(SourceError, match="too large"):
        staged(HEADER + "V1,D,L1,2022-03-15,甲,30201,12345678901234567\n")
    assert staged(HEADER + "V1,D,L1,2022-03-15,甲,30201,1234567890123456\n")["amount"].iloc[0] == 123456789012345600


def _warehouse_lengths() -> dict[str, int]:
    """The shortest String length each column name has in the warehouse schema."""
    import sqlalchemy as sa

    from tasks.warehouse.schema import metadata

    lengths: dict[str, int] = {}
    for table in metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, sa.String) and column.type.length:
                lengths[column.name] = min(lengths.get(column.name, 10**9), column.type.length)
    return lengths


def test_every_text_column_is_no_longer_than_the_warehouse_stores():
    """A text value PostgreSQL would reject (and DuckDB keep) is refused at staging, on both engines alike:
    every contract column of a name the warehouse stores with a length says that length or less."""
    from tasks.sources.contract import DATASETS

    lengths = _warehouse_lengths()
    stored_as = {("enterprises", "name"): "enterprise_name"}
    checked, wrong = 0, []
    for d in DATASETS.values():
        for c in d.columns:
            stored = stored_as.get((d.name, c.name), c.name)
            if c.kind not in ("text", "code") or stored not in lengths or c.pattern:
                continue
            checked += 1
            if c.max_length is None or c.max_length > lengths[stored]:
                wrong.append(f"{d.name}.{c.name}: {c.max_length} (warehouse {lengths[stored]})")
    assert checked >= 30 and not wrong


def test_a_value_longer_than_the_warehouse_stores_is_refused_naming_the_cell():
    from tasks.sources.contract import APPLICATIONS

    header = "申报编号,统一社会信用代码,申报类型,申报年度,受理部门编码,申报日期,认定结果"
    body = f"{header}\nGQ1,91440103D73XGPG47M,{'专' * 51},2022,440103-KGXJ,2022-07-16,通过\n".encode()
    with pytest.raises(SourceError) as err:
        stage(read_csv(body, "registry/applications.csv", APPLICATIONS))
    text = str(err.value)
    assert "第 2 行" in text and "申报类型" in text and "51 characters" in text and "at most 50" in text


class _NoBadCells:
    def fail(self, bad, *args, **kwargs):
        import numpy as np
        import pyarrow as pa

        assert not np.asarray(bad.to_numpy(zero_copy_only=False) if isinstance(bad, pa.Array) else bad).any()


@pytest.mark.parametrize("unit", ["元", "万元", "千元", "分", "亿元"])
def test_plain_amounts_read_by_the_decimal_cast_are_the_amounts_the_patterns_read(unit, monkeypatch):
    """The one-pass reading of a column of plain amounts (Arrow's decimal cast) gives, cell for cell, what the
    patterns that read every written form give: signs, leading zeros, a trailing point, blanks, every allowed
    decimal, the largest amount that fits in 64 bits."""
    import random

    import pyarrow as pa
    import pyarrow.compute as pc

    from tasks.sources.staging import FEN_PER_UNIT, _written_fen, parse_money

    decimals = len(str(FEN_PER_UNIT[unit])) - 1
    digits = 19 - len(str(FEN_PER_UNIT[unit]))
    rng = random.Random(7)
    largest = "9" * digits + ("." + "9" * decimals if decimals else "")
    cells = ["", "0", "-0", "+5", "007", "12.", " 3.5 " if decimals else " 35 ", largest]
    for _ in range(2000):
        whole = str(rng.randrange(10 ** rng.randint(1, digits)))
        frac = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, decimals)))
        cells.append(rng.choice(["", "-", "+"]) + whole + ("." + frac if frac or rng.random() < 0.1 else ""))
    values = pa.array(cells)

    def not_here(*args):
        raise AssertionError("a column of plain amounts went through the patterns")

    with monkeypatch.context() as patched:
        patched.setattr("tasks.sources.staging._written_fen", not_here)
        fen = parse_money(values, unit, _NoBadCells(), allow_negative=True)
    assert fen.tolist() == _written_fen(pc.utf8_trim_whitespace(values), values, unit, _NoBadCells(), decimals,
                                        digits).tolist()
    assert fen[cells.index("12.")] == 12 * FEN_PER_UNIT[unit] and fen[cells.index("-0")] == 0
    with pytest.raises(AssertionError, match="went through the patterns"), monkeypatch.context() as patched:
        patched.setattr("tasks.sources.staging._written_fen", not_here)  # a null is no plain amount
        parse_money(pa.array(["1", None]), unit, _NoBadCells(), allow_negative=True)


def test_a_column_with_one_written_form_reads_every_cell_by_the_patterns():
    body = "V1,D,L1,2022-03-15,甲,30201,12.5\nV2,D,L1,2022-03-15,乙,30201,\"1,234.56\"\nV3,D,L1,2022-03-15,丙,30201,—\n"
    assert staged(HEADER + body)["amount"].tolist() == [1250, 123456, 0]
    with pytest.raises(SourceError, match="more precise than 1 分") as err:
        staged(HEADER + "V1,D,L1,2022-03-15,甲,30201,12.5\nV2,D,L1,2022-03-15,乙,30201,1.005\n")
    assert err.value.problem.row == 3
