"""The source interface and the factory that picks an implementation from a location.

A location is a folder (files), an ``http(s)://`` URL (an API) or a SQLAlchemy URL (a
database). Swapping one for another changes nothing downstream: every implementation
returns :class:`RawTable` objects for the same contract datasets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from tasks.sources.contract import Dataset, SourceName
from tasks.sources.csv_reader import read_csv
from tasks.sources.errors import Problem, SourceError
from tasks.sources.http_source import HttpOptions, HttpSource
from tasks.sources.raw import RawTable, sha256_file
from tasks.sources.sql_source import SqlSource
from tasks.sources.xlsx_reader import read_xlsx


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
        """A hash of the dataset's content without reading it as data, or None when it cannot be had cheaply."""
        ...


class FileSource:
    """A folder laid out as in ``docs/data-contract.md``: CSV in any accepted encoding, or XLSX.

    For each dataset the ``.csv`` file is read when it exists, else the ``.xlsx`` of the same name.
    """

    SUFFIXES = (".csv", ".xlsx")

    def __init__(self, name: SourceName, root: Path | str):
        self.name = name
        self.root = Path(root)

    def describe(self) -> str:
        return str(self.root)

    def path_for(self, dataset: Dataset, year: int | None, department: str | None) -> Path:
        stem = Path(dataset.path.format(year=year, department=department)).with_suffix("")
        for suffix in self.SUFFIXES:
            candidate = self.root / stem.with_suffix(suffix)
            if candidate.exists():
                return candidate
        return self.root / dataset.path.format(year=year, department=department)

    def fingerprint(self, dataset: Dataset, *, year: int | None = None, department: str | None = None) -> str | None:
        path = self.path_for(dataset, year, department)
        return sha256_file(path) if path.exists() else None

    def read(self, dataset: Dataset, *, year: int | None = None, department: str | None = None) -> RawTable:
        path = self.path_for(dataset, year, department)
        uri = str(path)
        if not path.exists():
            raise SourceError(Problem(self.name, uri, "the file does not exist",
                                      expected=f"{dataset.title} at {dataset.path}", department=department))
        if path.suffix.lower() == ".xlsx":
            return read_xlsx(path.read_bytes(), uri, dataset)
        return read_csv(path.read_bytes(), uri, dataset)


SQL_SCHEMES = ("postgresql", "postgres", "sqlite", "duckdb", "mysql", "mariadb", "oracle", "mssql")


def make_source(name: SourceName, location: str | Path, token: str | None = None,
                http: HttpOptions | None = None) -> Source:
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
    return FileSource(name, Path(text))
