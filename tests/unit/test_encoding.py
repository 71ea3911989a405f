import codecs

import pytest

from tasks.sources.encoding import detect_encoding

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
