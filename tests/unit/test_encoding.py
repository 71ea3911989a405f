import codecs

import pytest

from tasks.sources.encoding import check_utf8, detect_encoding

TEXT = "部门编码,项目名称,全年预算数\n440103-KGXJ,科技创新专项资金,1234.56\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gbk"), "gb18030"),
        (TEXT.encode("gb18030"), "gb18030"),
        (b"plain,ascii\n1,2\n", "utf-8"),
    ],
)
def test_detects_office_encodings(data, expected):
    assert detect_encoding(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-16"),  # has a UTF-16 BOM
        bytes(range(0x80, 0x100)) * 40,  # decodes as GB18030 but is no office text
        "部門編碼,項目名稱,全年預算數\n440103,科技創新專項資金,1234.56\n".encode("big5"),  # Big5, not GBK
        b"\x00\x01\x02binary\x03",
    ],
)
def test_refuses_what_it_cannot_tell(data):
    assert detect_encoding(data) is None


# --- what is known is said as known (issue 26)

from tasks.sources.contract import PAYMENTS  # noqa: E402
from tasks.sources.csv_reader import read_csv  # noqa: E402
from tasks.sources.encoding import EncodingRefused, sniff  # noqa: E402
from tasks.sources.errors import SourceError  # noqa: E402
from tasks.sources.raw import RawTable  # noqa: E402
from tasks.sources.staging import stage  # noqa: E402

PAYMENTS_HEADER = "支付凭证号,部门编码,指标编号,支付日期,收款人全称,支出经济分类,支付金额\n"


def payments(rows: int, bad_at: int | None = None, char: str = "\x00", column: int = 4) -> str:
    lines = []
    for i in range(rows):
        cells = [f"V{i}", "D", "L1", "2022-03-15", "广州某科技有限公司", "30201", "12.00"]
        if i == bad_at:
            cells[column] = cells[column][:2] + char + cells[column][2:]
        lines.append(",".join(cells))
    return PAYMENTS_HEADER + "\n".join(lines) + "\n"


@pytest.mark.parametrize(("data", "words"), [
    (TEXT.encode("utf-16"), "the file is UTF-16"),
    (codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"), "the file is UTF-32"),
    (bytes(range(256)) * 4, "this is not a text file"),
    ("部門編碼,項目名稱\n440103,科技創新專項資金\n".encode("big5"), "the text encoding cannot be detected"),
])
def test_a_refusal_says_what_the_file_is(data, words):
    with pytest.raises(EncodingRefused, match=words):
        sniff(data)


def test_a_utf8_byte_order_mark_over_gbk_text_is_read_as_gb18030_with_a_warning():
    raw = read_csv(codecs.BOM_UTF8 + payments(3).encode("gbk"), "p.csv", PAYMENTS)
    assert raw.encoding == "gb18030" and stage(raw)["payee"].tolist() == ["广州某科技有限公司"] * 3
    assert [w.severity for w in raw.warnings] == ["warning"]
    assert "starts with a UTF-8 byte-order mark, but its text is GBK/GB18030" in raw.warnings[0].message


def test_a_utf8_byte_order_mark_over_text_in_no_accepted_encoding_is_refused_saying_so():
    data = codecs.BOM_UTF8 + "部門編碼,項目名稱\n440103,科技創新專項資金\n".encode("big5")
    with pytest.raises(SourceError) as caught:
        read_csv(data, "p.csv", PAYMENTS)
    message = caught.value.problem.message
    assert "starts with a UTF-8 byte-order mark, but its text is not UTF-8" in message
    assert "cannot be detected" not in message and caught.value.problem.row == 1


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-8-sig"])
@pytest.mark.parametrize(("char", "name"), [("\x00", "U+0000 (NUL)"), ("\x1a", "U+001A (SUB)"),
                                            ("\x7f", "U+007F (DEL)"), ("\x0b", "U+000B (VT)")])
def test_a_control_character_in_a_cell_is_refused_naming_row_and_column_wherever_it_is(encoding, char, name):
    """Deep in the file (line 60,002), past what the encoding sniffer samples."""
    data = payments(60_001, bad_at=60_000, char=char).encode(encoding)
    with pytest.raises(SourceError) as caught:
        read_csv(data, "p.csv", PAYMENTS)
    problem = caught.value.problem
    assert (problem.row, problem.column) == (60_002, "收款人全称")
    assert f"the control character {name}" in problem.message


def test_tabs_and_line_breaks_in_a_cell_are_text_not_control_characters():
    text = PAYMENTS_HEADER + 'V1,D,L1,2022-03-15,"广州\t某科技\n有限公司",30201,12.00\n'
    assert stage(read_csv(text.encode("utf-8"), "p.csv", PAYMENTS))["payee"].tolist() == ["广州\t某科技\n有限公司"]


def test_a_control_character_from_a_workbook_or_an_api_is_refused_by_staging():
    import pandas as pd

    frame = pd.DataFrame({"支付凭证号": ["V1", "V2"], "部门编码": ["D", "D"], "指标编号": ["L1", "L1"],
                          "支付日期": ["2022-03-15"] * 2, "收款人全称": ["甲", "乙\x00"], "支出经济分类": ["30201"] * 2,
                          "支付金额": ["1", "2"], "备注": ["", ""]}, dtype="str")
    raw = RawTable(dataset=PAYMENTS, source="finance", uri="https://api/payments", sha256="0", frame=frame,
                   row_numbers=[7, 8])
    with pytest.raises(SourceError) as caught:
        stage(raw)
    assert (caught.value.problem.row, caught.value.problem.column) == (8, "收款人全称")


def test_gbk_text_with_the_symbols_forms_use_is_gbk():
    """≥ ≤ ① ℃ ※ ‰ × in GBK forms: symbols GBK carries, not signs of another code page."""
    text = "部门编码,三级指标,指标性质,指标值\nD,满意度,≥,≥90%\nD,①温度,≤,≤26℃\nD,※比率,=,5‰×2\n"
    assert detect_encoding(text.encode("gbk")) == "gb18030"


def test_utf16_without_a_mark_trailing_ctrl_z_and_an_inner_mark():
    with pytest.raises(EncodingRefused, match="UTF-16 without a byte-order mark"):
        sniff(TEXT.encode("utf-16-le"))
    raw = read_csv(payments(2).encode("utf-8") + b"\x1a", "p.csv", PAYMENTS)  # DOS's end-of-file mark
    assert len(stage(raw)) == 2
    with pytest.raises(SourceError) as caught:  # two exports joined: the second's mark inside the text
        read_csv(payments(2).encode("utf-8") + codecs.BOM_UTF8 + payments(1).encode("utf-8"), "p.csv", PAYMENTS)
    assert caught.value.problem.row == 4 and "U+FEFF" in caught.value.problem.message


def test_gbk_text_with_units_letters_and_enclosed_numbers_is_gbk():
    text = "部门编码,指标,单位\nD,绿化面积,㎡\nD,重量,㎏\nD,第㈠项,§3\nD,浓度,μg/m³\nD,拼音,lǜ\n"
    assert detect_encoding(text.replace("³", "3").encode("gbk")) == "gb18030"


@pytest.mark.parametrize("data", [
    b"", b"plain ascii\n", "部门编码,支付金额\n440103,1.00\n".encode(), "\U0010ffff\ufffe\ufeff".encode(),
    b"\xed\xa0\x80",  # a surrogate (U+D800)
    b"ok \xed\xbf\xbf",  # the last surrogate
    b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf",  # overlong forms of "/"
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    b"\xf5\x80\x80\x80", b"\xff", b"\x80", b"abc\xe4\xb8",  # never UTF-8; a lone continuation; cut short
    "部门".encode("gbk"), b"a\x00b",
])
def test_the_utf8_check_takes_and_refuses_what_python_s_decoder_does(data):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        with pytest.raises(UnicodeDecodeError) as got:
            check_utf8(data)
        assert got.value.start == exc.start  # sniff names the row from it
    else:
        check_utf8(data)


def test_the_first_control_character_is_found_at_its_offset():
    """``first_control``: a control at the start, in the middle or as the last byte is found at its offset, and so
    is a byte-order mark past the start; text without either has none."""
    import tasks.sources.encoding as encoding

    text = "支付凭证号,金额\nZF001,12.50\nZF002,3.00\n".encode()
    assert encoding.first_control(text) is None
    for at in (0, 1, len(text) // 2, len(text) - 1):
        for control in (b"\x00", b"\x1b", b"\x7f"):
            planted = text[:at] + control + text[at:]
            assert encoding.first_control(planted) == at, (at, control)
    assert encoding.first_control(text + codecs.BOM_UTF8 + b"x") == len(text)
