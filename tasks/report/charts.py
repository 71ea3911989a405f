"""Charts of a report, as PNG bytes: budget against execution, and the trend over the years held.

Matplotlib with the Agg backend (no display), in a CJK face from the distribution, so that the
same PNG goes into the HTML, the DOCX and the PDF.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from tasks.warehouse.monitoring import month_end

CJK_FACES = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei")
BLUE, ORANGE, GREY = "#2f5597", "#c55a11", "#7f7f7f"


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    png: bytes
    y_ticks: tuple[str, ...] = ()  # the y axis's labels as drawn, and its offset text ("" when none)
    x_ticks: tuple[str, ...] = ()  # the x axis's labels as drawn
    legend: tuple[str, ...] = ()  # the legend's entries


@lru_cache(maxsize=1)
def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    available = {f.name for f in font_manager.fontManager.ttflist}
    faces = [f for f in CJK_FACES if f in available]
    plt.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": [*faces, "DejaVu Sans"],
        "axes.unicode_minus": False,
        # tick labels as the values themselves: no "+1.21e4" offset, no scientific notation
        "axes.formatter.useoffset": False,
        "axes.formatter.limits": (-99, 99),
        "figure.dpi": 150,
        "svg.hashsalt": "selfeval",
    })
    return plt


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    # A fixed creation date keeps the bytes of a chart the same from run to run.
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    _pyplot().close(fig)
    return buf.getvalue()


def budget_against_execution(title: str, labels: list[str], budget_wan: list[Decimal],
                             executed_wan: list[Decimal], key: str) -> Chart:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.2, 3.4))
    xs = range(len(labels))
    width = 0.38
    ax.bar([x - width / 2 for x in xs], [float(v) for v in budget_wan], width, label="年度预算数", color=BLUE)
    ax.bar([x + width / 2 for x in xs], [float(v) for v in executed_wan], width, label="全年执行数", color=ORANGE)
    for x, b, e in zip(xs, budget_wan, executed_wan, strict=True):
        ax.annotate(f"{e:,.2f}", (x + width / 2, float(e)), ha="center", va="bottom", fontsize=7)
        if b != e:
            ax.annotate(f"{b:,.2f}", (x - width / 2, float(b)), ha="center", va="bottom", fontsize=7, color=GREY)
    ax.set_xticks(list(xs), labels, fontsize=8)
    ax.set_ylabel("万元")
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4)
    ax.spines[["top", "right"]].set_visible(False)
    return _chart(key, title, fig, ax)


def progress_against_time(title: str, labels: list[str], paid_pct: list[Decimal | None], time_pct: Decimal,
                          warned: list[bool], key: str) -> Chart:
    """支付进度 (%) per department as bars, orange where a rule warns (— and no bar without a budget), and
    序时进度 as a dashed line."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.2, 3.4))
    xs = list(range(len(labels)))
    heights = [0.0 if v is None else float(v) for v in paid_pct]
    ax.bar(xs, heights, 0.5, color=[ORANGE if w else BLUE for w in warned], label="支付进度")
    for x, v, h in zip(xs, paid_pct, heights, strict=True):
        ax.annotate("—" if v is None else f"{v:.2f}%", (x, h), ha="center", va="bottom", fontsize=7)
    ax.axhline(float(time_pct), color=GREY, linestyle="--", linewidth=1, label=f"序时进度 {time_pct:.2f}%")
    ax.set_xticks(xs, labels, fontsize=8)
    ax.set_ylim(0, max([100.0, *(h + 8 for h in heights)]))
    ax.set_ylabel("%")
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    ax.spines[["top", "right"]].set_visible(False)
    return _chart(key, title, fig, ax)


def as_of_label(day: dt.date) -> str:
    """How an open year's figures are dated on a chart, as the monitoring dates them: the end of the month of
    the last payment (``2023-06-28`` → ``截至6月30日``)."""
    end = month_end(day)
    return f"截至{end.month}月{end.day}日"


def _partial_name(name: str, label: str) -> str:
    """A series' name for an open year's point: never 全年执行数 for half a year's payments."""
    return f"{name.removeprefix('全年')}（{label}）"


def trend(title: str, years: list[int], series: dict[str, list[Decimal | None]], unit: str, key: str,
          counts: bool = False, open_years: dict[int, str] | None = None,
          partial: frozenset[str] | None = None) -> Chart:
    """Each series over ``years``: lines with their values, or grouped bars when there is one year only (a
    line of one point says nothing). ``counts``: the values are counts (家, 个), labelled and ticked as
    integers. ``open_years`` maps a year not yet over to its date label (:func:`as_of_label`): its points of
    the ``partial`` series (all when None) are drawn apart, hollow or hatched, under their own
    legend (执行数（截至6月30日）), not joined to the closed years' line, and its tick says 截至."""
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    open_years = open_years or {}
    fig, ax = plt.subplots(figsize=(7.2, 3.2))
    label = (lambda v: f"{v:,.0f}") if counts else (lambda v: f"{v:,.2f}")
    colors = (BLUE, ORANGE, GREY, "#548235")
    drawn = [(name, values, color) for (name, values), color in zip(series.items(), colors, strict=False)
             if any(v is not None for v in values)]
    ticks = [f"{y}年" + (f"\n{open_years[y]}" if y in open_years else "") for y in years]

    def is_partial(name: str, year: int) -> bool:
        return year in open_years and (partial is None or name in partial)

    if len(years) == 1:
        year = years[0]
        width = 0.8 / max(1, len(drawn))
        for i, (name, values, color) in enumerate(drawn):
            x = (i - (len(drawn) - 1) / 2) * width
            v = float(values[0])  # type: ignore[arg-type]
            if is_partial(name, year):
                ax.bar([x], [v], width * 0.9, label=_partial_name(name, open_years[year]), color="white",
                       edgecolor=color, hatch="///")
            else:
                ax.bar([x], [v], width * 0.9, label=name, color=color)
            ax.annotate(label(v), (x, v), ha="center", va="bottom", fontsize=7)
        ax.set_xticks([0], ticks, fontsize=8)
        ax.set_xlim(-0.8, 0.8)
    else:
        for name, values, color in drawn:
            points = [(y, float(v)) for y, v in zip(years, values, strict=True) if v is not None]
            whole = [(y, v) for y, v in points if not is_partial(name, y)]
            apart = [(y, v) for y, v in points if is_partial(name, y)]
            if whole:
                ax.plot([p[0] for p in whole], [p[1] for p in whole], marker="o", label=name, color=color)
            for y, v in apart:  # a hollow point of its own: no line joins part of a year to a whole one
                ax.plot([y], [v], linestyle="none", marker="o", markersize=8, markerfacecolor="white",
                        markeredgewidth=1.5, color=color, label=_partial_name(name, open_years[y]))
            for y, v in points:
                ax.annotate(label(v), (y, v), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=7)
        ax.set_xticks(years, ticks, fontsize=8)
    if counts:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(unit)
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16 if open_years else -0.12),
              ncol=4)
    ax.spines[["top", "right"]].set_visible(False)
    return _chart(key, title, fig, ax)


def _chart(key: str, title: str, fig: Any, ax: Any) -> Chart:
    """The chart of ``fig``, with the axes' labels as drawn (tests read them: no offset, no ``e+`` notation,
    an open year's 截至) and its legend."""
    fig.canvas.draw()
    ticks = (*(t.get_text() for t in ax.get_yticklabels()), ax.yaxis.get_offset_text().get_text())
    legend = ax.get_legend()
    return Chart(key, title, _png(fig), ticks, tuple(t.get_text() for t in ax.get_xticklabels()),
                 tuple(t.get_text() for t in legend.get_texts()) if legend else ())
