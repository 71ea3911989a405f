"""The source interface and the factory that picks an implementation from a location.

A location is a folder (files), an ``http(s)://`` URL (an API) or a SQLAlchemy URL (a
database). Swapping one for another changes nothing downstream: every implementation
returns :class:`RawTable` objects for the same contract datasets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

from tasks.sources.contract import Dataset, SourceName
from tasks.sources.csv_reader import read_csv
from tasks.sources.errors import DatasetAbsent, Problem
from tasks.sources.http_source import HttpOptions, HttpSource
from tasks.sources.raw import RawTable, sha256_file
from tasks.sources.sql_source import SqlSource
from tasks.sources.workbook_reader import read_workbook

# A file reader: its bytes, the name to report it by, the dataset, and the sheet to read (workbooks).
Reader = Callable[[bytes, str, Dataset, "str | None"], RawTable]


def _csv(data: bytes, uri: str, dataset: Dataset, sheet: str | None) -> RawTable:
    return read_csv(data, uri, dataset)


# The file forms a folder source reads, in the order they are looked for: every form calamine reads.
READERS: dict[str, Reader] = {
    ".csv": _csv,
    ".xlsx": read_workbook,
    ".xlsm": read_workbook,
    ".xlsb": read_workbook,
    ".xls": read_workbook,  # Excel 97-2003
    ".et": read_workbook,  # WPS 表格
    ".ods": read_workbook,  # OpenDocument
}


@runtime_checkable
class Source(Protocol):
    """Where one office's data comes from."""

    name: SourceName

    def read(self, dataset: Dataset, *, year: int | None = None, department: str | None = None) -> RawTable:
        """The dataset (for a department-year when the dataset is per department), as received."""
        ...

    def describe(self) -> str:
        """Where this source reads from, safe to log (no credentials)."""
        ...

    def fingerprint(self, dataset: Dataset, *, year: int | None = None, department: str | None = None) -> str | None:
        """A hash of the dataset's content without reading it as data (:data:`ABSENT` when it is not there),
        or None when it cannot be had cheaply."""
        ...


class FileSource:
    """A folder laid out as in ``docs/data-contract.md``: each dataset as CSV (any accepted encoding)
    or a workbook, in the first form of :data:`READERS` found under the dataset's name.

    ``sheets`` names the sheet to read per dataset (``{"budget_lines": "预算执行"}``); without it a
    workbook's first visible sheet holding the contract header is read.
    """

    def __init__(self, name: SourceName, root: Path | str, sheets: Mapping[str, str] | None = None):
        self.name = name
        self.root = Path(root)
        self.sheets = dict(sheets or {})

    def describe(self) -> str:
        return str(self.root)

    def candidates(self, dataset: Dataset, year: int | None, department: str | None) -> list[Path]:
        """Every path the dataset is looked for at, in order."""
        stem = Path(dataset.path.format(year=year, department=department)).with_suffix("")
        return [self.root / stem.with_suffix(suffix) for suffix in READERS]

    def path_for(self, dataset: Dataset, year: int | None, department: str | None) -> Path | None:
        """The first form found, in the order of :data:`READERS`; a suffix in capitals
        (``BUDGET_LINES.XLS``, as Windows systems save it) counts too."""
        looked = self.candidates(dataset, year, department)
        found = next((p for p in looked if p.is_file()), None)
        if found is not None or not looked[0].parent.is_dir():
            return found
        stem = looked[0].stem.lower()
        by_suffix = {p.suffix.lower(): p for p in looked[0].parent.iterdir()
                     if p.is_file() and p.stem.lower() == stem and p.suffix.lower() in READERS}
        return next((by_suffix[s] for s in READERS if s in by_suffix), None)

    def fingerprint(self, dataset: Dataset, *, year: int | None = None, department: str | None = None) -> str | None:
        path = self.path_for(dataset, year, department)
        if path is None:
            return ABSENT if dataset.optional else None
        return sha256_file(path)

    def read(self, dataset: Dataset, *, year: int | None = None, department: str | None = None) -> RawTable:
        path = self.path_for(dataset, year, department)
        if path is None:
            looked = self.candidates(dataset, year, department)
            first = looked[0]
            raise DatasetAbsent(Problem(
                self.name, str(first),
                "the file does not exist in any accepted form; looked for " + ", ".join(str(p) for p in looked),
                expected=f"{dataset.title} as {first.name} or a workbook of the same name "
                         f"({', '.join(s.lstrip('.') for s in READERS if s != '.csv')})",
                department=department))
        reader = READERS[path.suffix.lower()]
        return reader(path.read_bytes(), str(path), dataset, self.sheets.get(dataset.name))


# The fingerprint of a dataset that is not there: known, and unchanged while it stays away.
ABSENT = "absent"

SQL_SCHEMES = ("postgresql", "postgres", "sqlite", "duckdb", "mysql", "mariadb", "oracle", "mssql")


def make_source(name: SourceName, location: str | Path, token: str | None = None,
                http: HttpOptions | None = None, sheets: Mapping[str, str] | None = None) -> Source:
    """The implementation of source ``name`` that reads from ``location``.

    ``http(s)://…`` is an API (``token`` is its bearer token); a SQLAlchemy URL is a database;
    anything else is a folder.
    """
    text = str(location)
    scheme = text.split("://", 1)[0].split("+", 1)[0].lower() if "://" in text else ""
    if scheme in ("http", "https"):
        return HttpSource(name, text, token=token, options=http)
    if scheme in SQL_SCHEMES:
        return SqlSource(name, text)
    if scheme:
        raise ValueError(f"{name}: {scheme}:// is not a supported source; give a folder, an http(s) URL "
                         "or a database URL")
    return FileSource(name, Path(text), sheets)
