"""A form as a grid of cells, ten columns wide: what the 项目支出绩效自评表 and the 绩效运行监控表 are written from
(XLSX, HTML, DOCX: :mod:`tasks.report.project_form`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    text: str
    span: int = 1
    kind: str = "value"  # title, label, head, value, number, note, sign
    light: str = ""  # red, yellow or green: a light's cell (tasks/report/lights.py)


Row = list[Cell]
