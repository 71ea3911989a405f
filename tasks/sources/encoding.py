"""Detect the text encoding of a file offices send: UTF-8 (with or without BOM) or GBK/GB18030.

GB18030 can decode almost any byte string, so a successful decode proves little; the
decoded text must also look like Chinese office data (mostly common CJK characters, no
control characters). Anything else is "undetectable" and the operator is told so.
"""

from __future__ import annotations

import codecs
import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# CJK unified ideographs, CJK punctuation and full-width forms: what GBK office text is made of.
_COMMON = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\u2014\u2018\u2019\u201c\u201d\u2026\u00b7]")


# Plausibility is judged on the beginning of the text: enough to tell, cheap on large files.
SAMPLE_CHARS = 262_144


def _plausible(text: str) -> bool:
    text = text[:SAMPLE_CHARS]
    if _CONTROL.search(text):
        return False
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return True
    common = sum(1 for c in non_ascii if _COMMON.match(c))
    return common / len(non_ascii) >= 0.95


def detect_encoding(data: bytes) -> str | None:
    """The encoding that reads ``data`` as plausible text, or None when none does.

    Returns a Python codec name: ``utf-8-sig``, ``utf-8`` or ``gb18030`` (a superset of GBK).
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            text = data[len(codecs.BOM_UTF8):].decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "utf-8-sig" if not _CONTROL.search(text[:SAMPLE_CHARS]) else None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # UTF-16 is not an encoding offices are asked for; say so rather than guess
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8" if not _CONTROL.search(text[:SAMPLE_CHARS]) else None
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    return "gb18030" if _plausible(text) else None
