"""Tables as received: text cells with original headers, plus where they came from."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from tasks.sources.contract import Dataset
from tasks.sources.errors import Problem


@dataclass
class RawTable:
    """One input as received. Every cell is text; headers are as the file wrote them.

    ``frame`` holds text only: a pandas frame, or an Arrow table of strings (the CSV reader's, so that
    staging types it with no pandas on the way). ``first_row`` is the spreadsheet-style row number of the
    frame's first record, so that staging can name rows the way the operator sees them in Excel or a text
    editor.
    """

    dataset: Dataset
    source: str
    uri: str
    sha256: str
    frame: pd.DataFrame | pa.Table  # text cells under the file's headers (the CSV reader's: Arrow)
    first_row: int = 2
    header_row: int | None = None  # the (last) header row, when not the row above ``first_row``
    unit: str | None = None  # the money unit the file's unit line declares
    unit_row: int | None = None  # the row of that unit line
    encoding: str | None = None
    sheet: str | None = None  # the workbook sheet read, for a workbook
    # Row numbers of the records when they are not consecutive: blank lines, a value spanning lines,
    # a spreadsheet's skipped total rows.
    row_numbers: Sequence[int] | np.ndarray | None = None
    warnings: list[Problem] = field(default_factory=list)
    # the reader has looked at every byte for control characters (the CSV reader does, in one pass);
    # otherwise staging looks at every cell
    controls_checked: bool = False

    @property
    def headers(self) -> list[str]:
        """The received headers, in the file's order."""
        frame = self.frame
        return list(frame.column_names) if isinstance(frame, pa.Table) else [str(h) for h in frame.columns]

    @property
    def rows(self) -> int:
        """The number of records."""
        return self.frame.num_rows if isinstance(self.frame, pa.Table) else len(self.frame)

    def problem(self, message: str, row: int | None = None, column: str | None = None,
                expected: str | None = None, severity: str = "error") -> Problem:
        return Problem(self.source, self.uri, message, row=row, column=column, expected=expected,
                       severity=severity, sheet=self.sheet)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
