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

ACCEPTED = "UTF-8, UTF-8 with BOM, GBK or GB18030"

# C0 controls but tab, line feed and carriage return (whitespace a cell may hold), and DEL.
CONTROL_PATTERN = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL = re.compile(CONTROL_PATTERN)
_CONTROL_BYTES = re.compile(CONTROL_PATTERN.encode("ascii"))
_NOT_CONTROL = bytes(b for b in range(256) if not _CONTROL_BYTES.match(bytes([b])))
# CJK unified ideographs, CJK punctuation and full-width forms: what GBK office text is made of.
_COMMON = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\u2014\u2018\u2019\u201c\u201d\u2026\u00b7]")
_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 0x0B: "VT", 0x0C: "FF", 0x1A: "SUB", 0x1B: "ESC", 0x7F: "DEL"}

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


def control_name(char: str) -> str:
    """``U+0000 (NUL)``: a control character as a message names it."""
    code = ord(char)
    label = _NAMES.get(code)
    return f"U+{code:04X}" + (f" ({label})" if label else "")


def first_control(data: bytes) -> int | None:
    """The offset of the first control character (:data:`CONTROL_PATTERN`) in ``data``, UTF-8 or GB18030
    bytes (neither puts a byte below 0x20 inside a multi-byte character), or None. One pass in C when
    there is none."""
    if not data.translate(None, _NOT_CONTROL):
        return None
    found = _CONTROL_BYTES.search(data)
    return found.start() if found else None


def line_of(data: bytes, offset: int) -> int:
    """The 1-based line (as a text editor numbers it) of ``offset`` in ``data``."""
    return data.count(b"\n", 0, offset) + 1


def _plausible(text: str) -> bool:
    text = _CONTROL.sub("", text[:SAMPLE_CHARS])
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return True
    common = sum(1 for c in non_ascii if _COMMON.match(c))
    return common / len(non_ascii) >= 0.95


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
    return EncodingRefused(f"this is not a text file: its first {min(len(data), BINARY_PROBE)} bytes hold "
                           f"{controls} control bytes (binary data); the text encoding cannot be detected")


def _where(data: bytes, error: UnicodeDecodeError) -> tuple[str, int]:
    """The first byte that is not UTF-8, as a message names it, and its line."""
    at = error.start
    return f"byte 0x{data[at]:02X} at line {line_of(data, at)}", line_of(data, at)


def sniff(data: bytes) -> TextEncoding:
    """The encoding ``data`` is in. Raises :class:`EncodingRefused` saying what the file is when it is
    not text in an accepted encoding."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise EncodingRefused("the file is UTF-32 (it starts with a UTF-32 byte-order mark), which the contract "
                              "does not accept; save it as UTF-8 or GBK")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        order = "little" if data.startswith(codecs.BOM_UTF16_LE) else "big"
        raise EncodingRefused(f"the file is UTF-16 (it starts with the UTF-16 {order}-endian byte-order mark, as "
                              "Excel's 'Unicode Text' saves), which the contract does not accept; save it as "
                              "CSV UTF-8 or CSV (GBK)")
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8):]
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            if _gb18030(body):
                return TextEncoding("gb18030", "gb18030", skip=len(codecs.BOM_UTF8), note=(
                    "the file starts with a UTF-8 byte-order mark, but its text is GBK/GB18030; it was read as "
                    "GB18030 (save it as CSV UTF-8 or as CSV without the mark)"))
            where, line = _where(body, exc)
            raise EncodingRefused(
                "the file starts with a UTF-8 byte-order mark, but its text is not UTF-8 "
                f"({where} is not valid UTF-8) and does not read as GBK/GB18030 either", row=line) from exc
        return TextEncoding("utf-8-sig", "utf-8", skip=len(codecs.BOM_UTF8))
    try:
        data.decode("utf-8")
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
    raise EncodingRefused(f"the text encoding cannot be detected: it is not UTF-8 ({where}) and does not read "
                          "as Chinese text in GBK/GB18030 (perhaps Big5 or another code page)", row=line)


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
