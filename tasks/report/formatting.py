"""How figures are written: units, decimals and the rounding rule.

Rounding is ROUND_HALF_UP on exact decimals (never on floats), as the finance bureau's
forms do by hand: 12103.27 / 12103.34 万元 = 99.9994 %, written "100" at whole percent.
A rate that rounds to 100 is written 100 even when it is a hair below: the report states
the rounded figure; the exact one is in the warehouse and in ``selfeval explain``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN_PER_WAN = Decimal(1_000_000)
FEN_PER_YI = Decimal(10_000_000_000)


def quantize(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def wan(fen: int, places: int = 2) -> str:
    """分 → 万元 text with ``places`` decimals, e.g. 12103341200 → "12103.34"."""
    return f"{quantize(Decimal(fen) / FEN_PER_WAN, places):f}"


def yi(fen: int, places: int = 1) -> str:
    """分 → 亿元 text, e.g. 2140500000000 → "21.4"."""
    return f"{quantize(Decimal(fen) / FEN_PER_YI, places):f}"


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    """Exact ratio, or None when the denominator is zero (the report then says so)."""
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def percent(value: Decimal | None, places: int = 0) -> str:
    """A ratio as percent text without the sign, e.g. Decimal("0.999994") → "100"."""
    if value is None:
        return "—"
    return f"{quantize(value * 100, places):f}"


def growth(current: int | Decimal, previous: int | Decimal) -> Decimal | None:
    r = ratio(current, previous)
    return None if r is None else r - 1


def change_words(g: Decimal | None) -> str:
    """A year-over-year change in words, as a report writes it: Decimal("0.4") → "同比增长 40%",
    Decimal("-0.125") → "同比下降 12.5%", 0 → "与上年持平"; None (no base year) → "上年无可比数据".
    Percent half up to two decimals, trailing zeros dropped."""
    if g is None:
        return "上年无可比数据"
    pct = quantize(abs(g) * 100, 2)
    if pct == 0:
        return "与上年持平"
    text = f"{pct.normalize():f}"
    return f"同比{'增长' if g > 0 else '下降'} {text}%"


def md_cell(text: str) -> str:
    """Text that stays in its Markdown table cell: no | and no line breaks."""
    return " ".join(text.replace("|", "／").split())


def markdown_table(rows: list[dict[str, str]], blank: str = "") -> list[str]:
    """``rows`` (one dict per row, its keys the header) as the lines of a Markdown table, a | in a cell written
    as /, an empty cell as ``blank``; （无） when there are no rows."""
    if not rows:
        return ["（无）"]
    header = list(rows[0])
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(r[h].replace("|", "/") or blank for h in header) + " |" for r in rows)]
