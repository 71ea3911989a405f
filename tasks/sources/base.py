"""The source interface and the factory that picks an implementation from a location.

A location is a folder (files), an ``http(s)://`` URL (an API) or a SQLAlchemy URL (a
database). Swapping one for another changes nothing downstream: every implementation
returns :class:`RawTable` objects for the same contract datasets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from tasks.glossary import both
from tasks.sources.contract import Dataset, SourceName
from tasks.sources.csv_reader import read_csv
from tasks.sources.errors import DatasetAbsent, Problem, SourceError
from tasks.sources.http_source import HttpOptions, HttpSource
from tasks.sources.raw import RawTable, sha256_bytes, sha256_file
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
    # Whether :meth:`read` may be called from several threads at once (a folder's files: yes; one database
    # connection, an API's paging: no). Extraction reads departments in parallel only where it is true; when
    # extraction stops on an error, reads already in flight finish on their own, after the source is closed.
    concurrent_reads: bool

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
    or a workbook, in one of the forms of :data:`READERS` under the dataset's name (two files for one
    dataset are refused).

    ``sheets`` names the sheet to read per dataset (``{"budget_lines": "预算执行"}``); without it a
    workbook's first visible sheet holding the contract header is read.
    """

    concurrent_reads = True  # each read lists the folder and opens its own file; nothing mutable is shared

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

    def forms(self, dataset: Dataset, year: int | None, department: str | None) -> list[Path]:
        """Every file that holds the dataset: its name in any accepted form, in any case (``budget_lines.csv``,
        ``BUDGET_LINES.XLS``, ``budget_lines.et``), and the copies a file manager makes of it
        (``budget_lines (1).xlsx``, ``budget_lines - 副本.csv``). More than one is refused by :meth:`read`."""
        first = self.candidates(dataset, year, department)[0]
        if not first.parent.is_dir():
            return []
        stem = first.stem.lower()
        found = [p for p in first.parent.iterdir()  # the names first: a file's status is asked of its forms only
                 if p.suffix.lower() in READERS and (p.stem.lower() == stem or is_copy_of(p.stem.lower(), stem))
                 and p.is_file()]
        order = list(READERS)
        return sorted(found, key=lambda p: (p.stem.lower() != stem, order.index(p.suffix.lower()), p.name))

    def stored_bytes(self, datasets: Sequence[Dataset], year: int | None, department: str | None) -> int:
        """How many bytes the files of ``datasets`` take for a department-year (every form found: :meth:`forms`),
        without reading them; what extraction budgets its reads by."""
        total = 0
        try:
            for dataset in datasets:
                for path in self.forms(dataset, year, department):
                    total += path.stat().st_size
        except OSError:  # a folder not listable, a file gone since: reading it says so; weighed as what was seen
            pass
        return total

    def path_for(self, dataset: Dataset, year: int | None, department: str | None) -> Path | None:
        """The one file that holds the dataset, or None when there is none. Raises :class:`SourceError`
        naming every file when there are several (:meth:`forms`): which one the office meant is not for
        selfeval to guess."""
        found = self.forms(dataset, year, department)
        if len(found) > 1:
            raise SourceError(Problem(
                self.name, str(found[0]),
                both(f"{dataset.label}有 {len(found)} 个文件：" + "、".join(str(p) for p in found)
                     + "；selfeval 只读一个，不替您选择",
                     f"the {dataset.name} data is there in {len(found)} files; selfeval reads one and does not "
                     "choose between them"),
                expected=both(f"{dataset.label}只有一个文件：请删除或移走其余的",
                              f"one file for {dataset.title}: remove or move away the others"),
                department=department))
        return found[0] if found else None

    def fingerprint(self, dataset: Dataset, *, year: int | None = None, department: str | None = None) -> str | None:
        found = self.forms(dataset, year, department)
        if not found:
            return ABSENT if dataset.optional else None
        if len(found) == 1:
            return sha256_file(found[0])
        # several files (refused when read): their names and contents, so that removing one is a change
        return sha256_bytes("\n".join(f"{p.name}:{sha256_file(p)}" for p in found).encode("utf-8"))

    def read(self, dataset: Dataset, *, year: int | None = None, department: str | None = None) -> RawTable:
        path = self.path_for(dataset, year, department)
        if path is None:
            looked = self.candidates(dataset, year, department)
            first = looked[0]
            workbooks = ", ".join(s.lstrip(".") for s in READERS if s != ".csv")
            raise DatasetAbsent(Problem(
                self.name, str(first),
                both("文件不存在（任何可接受的格式都没有）；查找过：" + "、".join(str(p) for p in looked),
                     "the file does not exist in any accepted form"),
                expected=both(f"{dataset.label}，存为 {first.name} 或同名的工作簿（{workbooks}）",
                              f"{dataset.title} as {first.name} or a workbook of the same name ({workbooks})"),
                department=department))
        reader = READERS[path.suffix.lower()]
        raw = reader(path.read_bytes(), str(path), dataset, self.sheets.get(dataset.name))
        expected = self.candidates(dataset, year, department)[0]
        if path.stem.lower() != expected.stem.lower():  # the one file there is named as a copy
            raw.warnings.append(Problem(
                self.name, str(path), both(f"已作为{dataset.label}读取，但文件名像是 {expected.name} 的副本",
                                           f"read as {dataset.name}, although it is named as a copy of"
                                           f" {expected.name}"),
                expected=both(f"文件名为 {expected.name}", f"the file named {expected.name}"), severity="warning",
                department=department))
        return raw


# The names file managers give a copy, around the original's name (lower case): Windows "payments - 副本",
# "payments - copy (2)", "payments (1)", "复件 payments" (XP); macOS "payments copy", "payments copy 2", and
# "payments 2" (Finder's Keep Both); GNOME "payments (copy)", "payments (another copy)", "payments (3rd copy)";
# Chinese desktops "payments (副本 1)", "payments (复件)"; "copy of payments"; and any of them again
# ("payments - 副本 - 副本", "payments (1) (1)").
_COPY_WORD = r"(?:副本|拷贝|复件|copy)"
_COPY_SUFFIX = re.compile(
    rf"(?:\s*[-_]?\s*{_COPY_WORD}(?:\s*\d+|\s*[(（]\d+[)）])?"
    rf"|\s*[(（](?:\d+|(?:another |\d+(?:st|nd|rd|th) )?{_COPY_WORD}(?:\s*\d+)?)[)）]"
    r"|\s+\d{1,2})$")
_COPY_PREFIX = re.compile(r"^(?:复件|副本|拷贝|copy of|copy)\s*[-_]?\s*")


def copied_stems(name: str) -> list[str]:
    """The stems file stem ``name`` is what a file manager calls a copy of (lower case), nearest first: "payments
    (1) (1)" is a copy of "payments (1)" and of "payments"; none for a name that is no copy."""
    out: list[str] = []
    for _ in range(8):
        shorter = _COPY_PREFIX.sub("", _COPY_SUFFIX.sub("", name)).strip()
        if shorter == name:
            break
        out.append(shorter)
        name = shorter
    return out


def is_copy_of(name: str, stem: str) -> bool:
    """Whether file stem ``name`` is what a file manager calls a copy of ``stem`` (both lower case)."""
    return name != stem and stem in copied_stems(name)


# The fingerprint of a dataset that is not there: known, and unchanged while it stays away.
ABSENT = "absent"

SQL_SCHEMES = ("postgresql", "postgres", "sqlite", "duckdb", "mysql", "mariadb", "oracle", "mssql")


API_SCHEMES = ("http", "https")


def _scheme(location: str) -> str:
    """The scheme of an address, in small letters and without its driver (``postgresql+psycopg`` → postgresql);
    empty for a folder."""
    return location.split("://", 1)[0].split("+", 1)[0].lower() if "://" in location else ""


def is_api(location: str | Path) -> bool:
    """Whether a source's location is an HTTP API (``http(s)://``, in any case), as :func:`make_source` reads it."""
    return _scheme(str(location)) in API_SCHEMES


def make_source(name: SourceName, location: str | Path, token: str | None = None,
                http: HttpOptions | None = None, sheets: Mapping[str, str] | None = None) -> Source:
    """The implementation of source ``name`` that reads from ``location``.

    ``http(s)://…`` is an API (``token`` is its bearer token); a SQLAlchemy URL is a database;
    anything else is a folder.
    """
    text = str(location)
    scheme = _scheme(text)
    if scheme in API_SCHEMES:
        return HttpSource(name, text, token=token, options=http)
    if scheme in SQL_SCHEMES:
        return SqlSource(name, text)
    if scheme:
        raise ValueError(f"{name}: {scheme}:// is not a supported source; give a folder, an http(s) URL "
                         "or a database URL")
    return FileSource(name, Path(text), sheets)
