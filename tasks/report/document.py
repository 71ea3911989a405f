"""The report as a list of blocks, rendered once from the content template.

``templates/report.j2`` writes the report's content once, as lines tagged ``=title``,
``=h1``, ``=h2``, ``=p`` and so on; every output format (Markdown, HTML, and later DOCX
and PDF) is a renderer over the same blocks. Figures inside text are marked with their
name, so that a renderer can link each number to its provenance or simply print it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Private-use characters never appear in office text, so they can delimit figure marks.
OPEN, MID, CLOSE = "\ue000", "\ue001", "\ue002"
MARK = re.compile(f"{OPEN}([^{MID}]*){MID}([^{CLOSE}]*){CLOSE}")
TAG = re.compile(r"^=(title|h1|h2|h3|p|note|table|image|pagebreak|appendix)(?:\s(.*))?$")
KINDS = ("title", "h1", "h2", "h3", "p", "note", "table", "image", "pagebreak", "appendix")


@dataclass
class Block:
    kind: str
    text: str = ""
    data: Any = field(default=None, compare=False)


def text_part(blocks: list[Block]) -> list[Block]:
    """The blocks before the appendix marker: the report's text."""
    for i, block in enumerate(blocks):
        if block.kind == "appendix":
            return blocks[:i]
    return blocks


def mark(name: str, text: str) -> str:
    """``text`` tagged as the figure ``name``."""
    return f"{OPEN}{name}{MID}{text}{CLOSE}"


def plain(text: str) -> str:
    """The text as read: figure marks removed, values kept."""
    return MARK.sub(lambda m: m.group(2), text)


def figure_names(text: str) -> list[str]:
    return [m.group(1) for m in MARK.finditer(text)]


def parse_blocks(rendered: str, attachments: dict[str, Any] | None = None) -> list[Block]:
    """Blocks from the content template's output. A line without a tag continues the block before it.

    ``=table key`` and ``=image key`` blocks take their data from ``attachments[key]``; one whose
    attachment is missing is dropped (a chart that could not be drawn leaves no empty frame).
    ``=appendix`` marks where the text ends and the appended tables and charts begin.
    """
    attachments = attachments or {}
    blocks: list[Block] = []
    for line in rendered.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        m = TAG.match(stripped)
        if m:
            kind, text = m.group(1), (m.group(2) or "").strip()
            data = attachments.get(text) if kind in ("table", "image") else None
            if kind in ("table", "image") and data is None:
                continue
            blocks.append(Block(kind, text, data))
        elif blocks:
            blocks[-1].text += stripped
        else:
            raise ValueError(f"content template output starts without a block tag: {stripped[:40]!r}")
    return blocks
