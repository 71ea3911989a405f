"""The text encoding of a file offices send, and the control characters a text must not hold.

Accepted (``docs/data-contract.md``): UTF-8 with or without its byte-order mark, GBK and GB18030 (a
superset of GBK). What is known is said as known: a UTF-16 file is named UTF-16, a file with a UTF-8
byte-order mark whose text is not UTF-8 is named so (or read as GB18030 when it is that, with a
warning), a binary file is named binary. "The encoding cannot be detected" is kept for text that
is neither UTF-8 nor plausible Chinese GBK text (Big5, say).

GB18030 can decode almost any byte string, so a successful decode proves little; the decoded text
must also look like Chinese office data (mostly common CJK characters). Control characters are not
counted against it: a stray NUL in one cell is the cell's fault (:func:`first_control`), not the
encoding's.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import pyarrow as pa

from tasks.glossary import both

ACCEPTED = "UTF-8、带字节顺序标记（BOM）的 UTF-8、GBK 或 GB18030"

# C0 controls but tab, line feed and carriage return (whitespace a cell may hold), and DEL; in text, also a
# byte-order mark inside it (U+FEFF: two exports joined into one file).
_C0 = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
CONTROL_PATTERN = f"[{_C0}\ufeff]"
_CONTROL = re.compile(CONTROL_PATTERN)
_CONTROL_BYTES = re.compile(f"[{_C0}]".encode("ascii"))
_NOT_CONTROL = bytes(b for b in range(256) if not _CONTROL_BYTES.match(bytes([b])))
_INNER_BOM = codecs.BOM_UTF8
_INNER_BOM_AT = re.compile(re.escape(_INNER_BOM))  # re's literal search: ~2× bytes.find on Chinese UTF-8 text
DOS_EOF = b"\x1a"  # the end-of-file mark old DOS tools put at the end of a text file
# What GBK office text is made of: CJK ideographs, CJK punctuation and full-width forms, and the symbols and
# letters GBK carries that forms use: Latin-1's ° ± × ÷ · § and pinyin's ā é ǐ ü; Greek (μ α Ω) and Cyrillic;
# general punctuation (‰ ※ “ ” …); letterlike and number forms (℃ № Ⅰ Ⅱ); arrows; mathematical operators
# (≥ ≤ ≠ √); ① ⑴ ⒈; box drawing; ■ □ ▲ ○ ● ★ ☆; kana and bopomofo; ㈠ and ㎡ ㎏.
_COMMON = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\u00a4\u00a7\u00a8\u00b0-\u00b7"
                     r"\u00d7\u00e0-\u00fc\u0101-\u01dc\u0391-\u03c9\u0401-\u0451\u2010-\u203b\u2103-\u2199"
                     r"\u2200-\u22ff\u2460-\u249b\u2500-\u254b\u25a0-\u25ef\u2605\u2606\u2640\u2642"
                     r"\u3041-\u30ff\u3105-\u3129\u3220-\u3243\u32a3\u338e-\u33d5]")
# Of those, the ideographs: most of a Chinese text's characters beyond ASCII. Text in another code page
# read as GBK (Big5, say) falls largely on GBK's kana, Greek and Cyrillic rows instead.
_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
IDEOGRAPH_SHARE = 0.5
_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 0x0B: "VT", 0x0C: "FF", 0x1A: "SUB", 0x1B: "ESC", 0x7F: "DEL",
          0xFEFF: "BOM，文中的字节顺序标记"}

# Plausibility is judged on the beginning of the text: enough to tell, cheap on large files.
SAMPLE_CHARS = 262_144
# A file whose first bytes are this much control characters is binary, not text with a bad cell: a tenth
# for bytes that are valid UTF-8 (a NUL-padded cell is text), a hundredth for bytes that are no text.
BINARY_SHARE = 0.1
UNREADABLE_BINARY_SHARE = 0.01
BINARY_PROBE = 4096


class EncodingRefused(ValueError):
    """A file whose text cannot be read as an accepted encoding; the message says what it is instead."""

    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.row = row


@dataclass(frozen=True)
class TextEncoding:
    """How to read a file's bytes: skip ``skip`` bytes (a byte-order mark), then decode with ``codec``
    (a Python codec: ``utf-8`` or ``gb18030``). ``name`` is what the operator is told (``utf-8-sig``
    for UTF-8 with its mark); ``note`` a warning when the file says one thing and is another."""

    name: str
    codec: str
    skip: int = 0
    note: str | None = None


# What a cell holding a control character should hold instead.
NO_CONTROLS = both("不含控制字符的文字（可含制表符和换行）",
                   "text without control characters (tab and line breaks are allowed)")


def holds_control(char: str) -> str:
    """The message of a cell holding the control character ``char`` (Chinese, the English in brackets)."""
    name = control_name(char)
    return both(f"单元格含控制字符 {name}，办公软件的文字中不会有（导出文件损坏，或从数据库、网页复制的文字）",
                f"the cell holds the control character {name}, which no office text has (a damaged export, or "
                "text copied from a database or a web page)")


def control_name(char: str) -> str:
    """``U+0000 (NUL)``: a control character as a message names it."""
    code = ord(char)
    label = _NAMES.get(code)
    return f"U+{code:04X}" + (f" ({label})" if label else "")


def first_control(data: bytes) -> int | None:
    """The offset of the first control character (:data:`CONTROL_PATTERN`) in ``data``, UTF-8 bytes (no byte
    below 0x20 is inside a multi-byte character), or None: a C0 control, DEL, or a byte-order mark past the
    start. One pass in C when there is none (``translate`` reserves the file's size but writes only the controls
    it keeps: the pages it does not write are never resident)."""
    bom = _INNER_BOM_AT.search(data)
    found = [bom.start() if bom else -1]
    if data.translate(None, _NOT_CONTROL):
        match = _CONTROL_BYTES.search(data)
        found.append(match.start() if match else -1)
    found = [at for at in found if at >= 0]
    return min(found) if found else None


def char_at(data: bytes, offset: int) -> str:
    """The character of UTF-8 ``data`` at ``offset`` (a control, or a byte-order mark)."""
    if data.startswith(_INNER_BOM, offset):
        return _INNER_BOM.decode("utf-8")
    return data[offset: offset + 1].decode("ascii")


def line_of(data: bytes, offset: int) -> int:
    """The 1-based line (as a text editor numbers it) of ``offset`` in ``data``."""
    return data.count(b"\n", 0, offset) + 1


def _plausible(text: str) -> bool:
    text = _CONTROL.sub("", text[:SAMPLE_CHARS])
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return True
    common = sum(1 for c in non_ascii if _COMMON.match(c))
    ideographs = sum(1 for c in non_ascii if _IDEOGRAPH.match(c))
    return common / len(non_ascii) >= 0.95 and ideographs / len(non_ascii) >= IDEOGRAPH_SHARE


def _gb18030(data: bytes) -> bool:
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return _plausible(text)


def _binary(data: bytes, share: float) -> int:
    """How many control bytes the first :data:`BINARY_PROBE` bytes hold, when more than ``share`` of them
    (and more than three): that makes them binary; else 0."""
    probe = data[:BINARY_PROBE]
    controls = len(probe.translate(None, _NOT_CONTROL))
    return controls if probe and controls / len(probe) > share and controls > 3 else 0


def _not_text(data: bytes, controls: int) -> EncodingRefused:
    probe = min(len(data), BINARY_PROBE)
    return EncodingRefused(both(f"这不是文本文件：前 {probe} 个字节中有 {controls} 个控制字节（二进制数据），无法识别"
                                "编码",
                                f"this is not a text file: its first {probe} bytes hold {controls} control bytes "
                                "(binary data); the text encoding cannot be detected"))


def _utf16_without_mark(data: bytes) -> bool:
    """Text in UTF-16 with no mark: in its first bytes, many of the odd bytes (little-endian) or the even ones
    (big-endian) are zero, as every ASCII character makes them, and almost none of the others; binary data
    has its zeros anywhere."""
    probe = data[:BINARY_PROBE]
    if len(probe) < 8:
        return False
    even, odd = (half.count(0) / len(half) for half in (probe[0::2], probe[1::2]))
    return (even > 0.3 and odd < 0.05) or (odd > 0.3 and even < 0.05)


def _where(data: bytes, error: UnicodeDecodeError) -> tuple[str, int]:
    """The first byte that is not UTF-8, as a message names it, and its line."""
    at = error.start
    return f"byte 0x{data[at]:02X}", line_of(data, at)


def _unusual(text: str) -> str:
    """The first characters of ``text`` that are not what Chinese office text is made of."""
    odd = [c for c in _CONTROL.sub("", text[:SAMPLE_CHARS]) if ord(c) > 127 and not _COMMON.match(c)]
    return "".join(dict.fromkeys(odd))[:8]


def check_utf8(data: bytes) -> None:
    """Raise :class:`UnicodeDecodeError` unless ``data`` is UTF-8, as ``data.decode("utf-8")`` would (its
    ``start`` the first byte that is not), without building the text: Arrow's validator reads the bytes in
    place, ~4× faster than decoding them (a 100 MB ledger: ~0.03 s against ~0.1 s). The two agree on what UTF-8
    is (surrogates, overlong forms and code points beyond U+10FFFF refused: ``tests/unit/test_encoding.py``);
    Python's decoder runs only on bytes Arrow refuses, to say where (and has the last word if Arrow refused
    bytes it takes)."""
    offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
    try:
        pa.LargeBinaryArray.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)]).cast(
            pa.large_string())
        return
    except pa.ArrowInvalid:
        pass
    data.decode("utf-8")


def sniff(data: bytes) -> TextEncoding:
    """The encoding ``data`` is in. Raises :class:`EncodingRefused` saying what the file is when it is
    not text in an accepted encoding."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise EncodingRefused(both("文件是 UTF-32 编码（以 UTF-32 字节顺序标记开头），数据约定不接受；请另存为 UTF-8 "
                                   "或 GBK",
                                   "the file is UTF-32 (it starts with a UTF-32 byte-order mark), which the contract "
                                   "does not accept; save it as UTF-8 or GBK"))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        order = "little" if data.startswith(codecs.BOM_UTF16_LE) else "big"
        raise EncodingRefused(both(
            "文件是 UTF-16 编码（Excel 的“Unicode 文本”和记事本的“Unicode”即存为此编码），数据约定不接受；"
            "请另存为 UTF-8 或 GBK",
            f"the file is UTF-16 (it starts with the UTF-16 {order}-endian byte-order mark, as Excel's 'Unicode "
            "Text' and Notepad's 'Unicode' save), which the contract does not accept; save it as UTF-8 or GBK"))
    if _utf16_without_mark(data):
        raise EncodingRefused(both("文件是不带字节顺序标记的 UTF-16 编码（每隔一个字节为零），数据约定不接受；请另存"
                                   "为 UTF-8 或 GBK",
                                   "the file is UTF-16 without a byte-order mark (every other byte is zero), which "
                                   "the contract does not accept; save it as UTF-8 or GBK"))
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8):]
        try:
            check_utf8(body)
        except UnicodeDecodeError as exc:
            if _gb18030(body):
                return TextEncoding("gb18030", "gb18030", skip=len(codecs.BOM_UTF8), note=both(
                    "文件以 UTF-8 字节顺序标记开头，正文却是 GBK/GB18030，已按 GB18030 读取（请另存为 UTF-8，或不带标"
                    "记的 GBK）",
                    "the file starts with a UTF-8 byte-order mark, but its text is GBK/GB18030; it was read as "
                    "GB18030 (save it as UTF-8, or as GBK without the mark)"))
            where, line = _where(body, exc)
            raise EncodingRefused(both(
                f"文件以 UTF-8 字节顺序标记开头，正文却不是 UTF-8（{where} 不是有效的 UTF-8），也不能按 GBK/GB18030 "
                "读取",
                "the file starts with a UTF-8 byte-order mark, but its text is not UTF-8 "
                f"({where} is not valid UTF-8) and does not read as GBK/GB18030 either"), row=line) from exc
        return TextEncoding("utf-8-sig", "utf-8", skip=len(codecs.BOM_UTF8))
    try:
        check_utf8(data)
    except UnicodeDecodeError as exc:
        utf8_error: UnicodeDecodeError | None = exc
    else:
        controls = _binary(data, BINARY_SHARE)
        if controls:
            raise _not_text(data, controls)
        return TextEncoding("utf-8", "utf-8")
    if _gb18030(data) and not _binary(data, BINARY_SHARE):
        return TextEncoding("gb18030", "gb18030")
    controls = _binary(data, UNREADABLE_BINARY_SHARE)
    if controls:
        raise _not_text(data, controls)
    assert utf8_error is not None
    where, line = _where(data, utf8_error)
    try:
        odd = _unusual(data.decode("gb18030"))
        as_gbk = (f"按 GBK/GB18030 读取则出现中文表格不用的字符「{odd}」",
                  f"read as GBK/GB18030 it gives characters Chinese forms do not use ({odd!r})")
    except UnicodeDecodeError:
        as_gbk = ("也不是 GBK/GB18030", "it is not GBK/GB18030 either")
    raise EncodingRefused(both(f"无法识别文件编码：不是 UTF-8（{where} 不是有效的 UTF-8），{as_gbk[0]}；可能是 Big5 "
                               "或其他代码页",
                               f"the text encoding cannot be detected: it is not UTF-8 ({where} is not valid UTF-8), "
                               f"and {as_gbk[1]}; perhaps Big5 or another code page"), row=line)


def decode(data: bytes) -> tuple[str, TextEncoding]:
    """``data`` as text, and how it was read. Raises :class:`EncodingRefused`."""
    found = sniff(data)
    return data[found.skip:].decode(found.codec), found


def detect_encoding(data: bytes) -> str | None:
    """The name of the encoding that reads ``data`` (``utf-8-sig``, ``utf-8`` or ``gb18030``), or None
    when :func:`sniff` refuses it."""
    try:
        return sniff(data).name
    except EncodingRefused:
        return None
