"""Units of money as offices write them: the unit line above a table, and a unit in a header.

A unit line is read or refused, never guessed past. Accepted, full- or half-width, with or without
brackets and 人民币: ``单位：元``, ``单位:元``, ``金额单位：人民币元``, ``（单位：万元）``,
``单位：千元``, ``单位：元、%`` (a money unit beside units of rates or counts), ``单 位：万元`` (the label spaced
out to its column's width), and a title that ends with its unit in brackets, ``国库集中支付明细表（万元）``. A line that
declares a unit nobody can read (``单位：美元``, ``单位：``, ``单位：万元、元``) is refused with the
file, the line and the forms accepted; see ``docs/data-contract.md``.

单位 is also the word for an organisation: ``填报单位：…``, ``编制单位：…``, ``单位名称：…`` are
not unit lines, and pass. Any other mention of 单位 is read as a unit label, so that a line nobody
anticipated is refused rather than passed over.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from tasks.domain import FEN_PER_UNIT
from tasks.glossary import both

# Money units, as the forms write them; 人民币 before one is dropped (人民币元 is 元).
MONEY_UNITS = tuple(FEN_PER_UNIT)
# Units a unit line may list beside the money unit, for rate or count columns of the same table.
OTHER_UNITS = ("%", "‰", "个", "家", "人", "人次", "户", "项", "件", "次", "天", "年", "月", "吨", "亩", "平方米")
ACCEPTED = both("单位：元 / 千元 / 万元 / 亿元 / 分（可带“人民币”和括号；其后可用“、”接 % 或计数单位）",
                "单位：元 / 千元 / 万元 / 亿元 / 分 (人民币 and brackets optional; % or a count unit may follow "
                "after 、)")

# 单位 in the sense of an organisation: inside these words it declares no unit.
_ORGANISATION_BEFORE = ("填报", "编制", "预算", "主管", "报送", "申报", "填表", "制表", "部门", "建设", "实施", "承办",
                        "所属", "使用", "归口", "责任", "执行", "管理", "上级", "下属", "基层", "用款", "收款",
                        "付款", "核算", "项目", "业主", "审计", "牵头", "配合", "主办", "事业", "行政", "企业",
                        "用人", "工作", "重点", "成员", "市直", "区直", "区属", "市属", "直属", "来源", "相关", "有关",
                        "二级", "下级", "联系", "本", "各", "该")
_ORGANISATION_AFTER = ("名称", "编码", "代码", "全称", "负责人", "性质", "类型", "盖章", "公章", "地址", "意见",
                       "联系人", "电话", "(盖章)")
_VALUE = re.compile(r"^\s*(?::|为|是)?\s*\(?\s*(?P<value>[^\s()\[\]【】,;|]*)")
# A unit written without 单位: （金额：元）, a line that is only （万元）.
_AMOUNT = re.compile(r"(?:^|(?<=[\s(\[【,;、|]))金额\s*:\s*(?P<value>[^\s()\[\]【】,;|]*)")
_BARE = re.compile(r"^\(?\s*(?:人民币)?(?P<value>分|元|千元|万元|亿元)(?:人民币)?\s*\)?$")
# A title with its unit in brackets: 国库集中支付明细表（万元）, 招商引资项目台账(元).
# Not 分 (a title's （分） is points: 绩效评分表（分）), and only in a line of one cell: a title; a row of group labels
# over a header (预算执行情况（万元） | 结转结余) names a unit for its own columns only.
_TITLE_UNIT = re.compile(r"\S\s*\(\s*(?:人民币)?(?P<value>元|千元|万元|亿元)(?:人民币)?\s*\)")
_SEPARATORS = re.compile(r"[、/;]|及|和")
_HEADER_UNIT = re.compile(
    r"^(?P<name>.*?)\s*\(\s*(?:单位\s*:?\s*)?(?:人民币)?(?P<money>分|元|千元|万元|亿元)\s*\)\s*$")


class UnitLineError(ValueError):
    """A unit line that says something other than one money unit: why, in words."""


@dataclass(frozen=True)
class UnitLine:
    """The money unit a file declares, and the line (1-based, as a spreadsheet shows it) it is on."""

    unit: str
    row: int
    text: str


def normalise(text: str) -> str:
    """NFKC: full-width colons, brackets, digits and percent signs become their ASCII forms."""
    return unicodedata.normalize("NFKC", text)


def _read_value(value: str) -> str | None:
    """The money unit a declaration's value names, None when it names only rates or counts."""
    tokens = [t.strip() for t in _SEPARATORS.split(value) if t.strip()]
    tokens = [t.removeprefix("人民币").removesuffix("人民币") or t for t in tokens]
    tokens = [t for t in tokens if t != "人民币"]
    if not tokens:
        raise UnitLineError(both("没有写出单位", "it names no unit"))
    money = [t for t in tokens if t in MONEY_UNITS]
    unknown = [t for t in tokens if t not in MONEY_UNITS and t not in OTHER_UNITS]
    if unknown:
        raise UnitLineError(both(f"「{unknown[0]}」不是可识别的单位", f"{unknown[0]!r} is not a unit selfeval reads"))
    if len(set(money)) > 1:
        raise UnitLineError(two_units(money))
    return money[0] if money else None


def two_units(units: list[str]) -> str:
    """The message of a unit line naming two money units."""
    return both(f"写了两个金额单位（{'、'.join(units)}）", f"it names two money units ({'、'.join(units)})")


def unit_of_line(text: str, title: bool = True) -> str | bool | None:
    """What one line says of units: a money unit, None (rates or counts only), or False (no unit line). ``title``:
    the line is one cell (a title), whose unit in brackets counts (国库集中支付明细表（万元）); a line of several cells
    is not read for one (group labels over a header carry their own columns' units).

    Raises :class:`UnitLineError` when the line declares a unit that cannot be read.
    """
    line = normalise(text).strip().replace("∶", ":").rstrip("。.")
    # 单 位：万元, 单　位 (a form's label spaced out to the width of its column; U+3000 is a space after NFKC), 金 额
    line = re.sub(r"单\s+位", "单位", re.sub(r"金\s+额", "金额", line))
    line = re.sub(r"人民币\s+", "人民币", re.sub(r"(?<=[千万亿])\s+(?=元)", "", line))
    line = re.sub(r"人民币\s*\(", "(", line)
    bare = _BARE.match(line)
    if bare:
        return bare.group("value")
    tokens = line.split()
    if len(tokens) > 1 and all(_BARE.match(t) for t in tokens):  # （元） （元）: a unit over each amount column
        units = {_BARE.match(t).group("value") for t in tokens}  # type: ignore[union-attr]
        if len(units) > 1:
            raise UnitLineError(two_units(sorted(units)))
        return units.pop()
    if "单位" not in line:
        amount = [_read_value(m.group("value")) for m in _AMOUNT.finditer(line)]
        money = {u for u in amount if u is not None}
        if len(money) > 1:
            raise UnitLineError(two_units(sorted(money)))
        if title:  # read as 元 before: 10,000× too small
            money |= {m.group("value") for m in _TITLE_UNIT.finditer(line)}
        if len(money) > 1:
            raise UnitLineError(two_units(sorted(money)))
        return money.pop() if money else False
    found: list[str | None] = []
    for m in re.finditer("单位", line):
        before, after = line[: m.start()], line[m.end():]
        if (re.sub(r"\s+", "", before).endswith(_ORGANISATION_BEFORE)  # 填 报 单 位, spaced out as 单 位 is
                or re.sub(r"\s+", "", after).startswith(_ORGANISATION_AFTER)):
            continue
        value = _VALUE.match(after)
        found.append(_read_value(value.group("value") if value else ""))
    # 预算单位国库集中支付明细表（万元）: 单位 an organisation, the unit in the title's brackets
    if title:
        found += [m.group("value") for m in _TITLE_UNIT.finditer(line)]
    if not found:
        return False
    money = {u for u in found if u is not None}
    if len(money) > 1:  # 支付明细表（万元） 单位：元: which one? refused, not guessed
        raise UnitLineError(two_units(sorted(money)))
    return money.pop() if money else None


def declared_unit(lines: Sequence[Sequence[str]], first_row: int = 1) -> UnitLine | None:
    """The money unit declared by the lines above a header (each a list of cells), if any.

    ``first_row`` is the row number of ``lines[0]``. Raises :class:`UnitLineError` (with the row in
    its ``row`` attribute) for a unit line that cannot be read, or two lines that disagree.
    """
    found: UnitLine | None = None
    for i, cells in enumerate(lines):
        filled = [c.strip() for c in cells if c and c.strip()]
        text = " ".join(filled)
        try:
            unit = unit_of_line(text, title=len(filled) == 1)
        except UnitLineError as exc:
            exc.row = first_row + i  # type: ignore[attr-defined]
            exc.text = text  # type: ignore[attr-defined]
            raise
        if not isinstance(unit, str):
            continue
        if found is not None and found.unit != unit:
            error = UnitLineError(both(f"写的是{unit}，第 {found.row} 行却写{found.unit}",
                                       f"it says {unit}, but row {found.row} says {found.unit}"))
            error.row, error.text = first_row + i, text  # type: ignore[attr-defined]
            raise error
        found = found or UnitLine(unit, first_row + i, text)
    return found


def split_header_unit(header: str) -> tuple[str, str | None]:
    """A header and the money unit it carries in brackets: ``协议投资额（元）`` → (协议投资额, 元).

    Spaces and line breaks inside a header are dropped (``全年\\n预算数`` is 全年预算数).
    """
    text = re.sub(r"\s+", "", normalise(header))  # a line break typed with Alt+Enter, stray spaces
    m = _HEADER_UNIT.match(text)
    return (m.group("name"), m.group("money")) if m else (text, None)
