"""Extraction: read and stage each source for the departments of a run.

A department whose own files are malformed is dropped from the run with its problem
recorded; the others go on. A malformed shared input (statistics, registry) stops every
department, since each report reads it.
"""

from __future__ import annotations

import logging
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field, replace
from typing import TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tasks.glossary import both
from tasks.sources.base import Source
from tasks.sources.contract import (
    DEPARTMENTS,
    FINANCE_DATASETS,
    INDICATORS,
    REGISTRY_DATASETS,
    SUMMARY,
    Dataset,
)
from tasks.sources.errors import DatasetAbsent, Problem, SourceError
from tasks.sources.staging import contract_schema, frame_of, stage_table


@dataclass
class Extracted:
    """Staged frames of one source, with the files they came from and what went wrong."""

    source: str
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # uri -> sha256
    # Content hashes of each department's own inputs, for lineage and for skipping unchanged work.
    department_files: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # Optional datasets a department did not deliver (绩效目标, 绩效自评, 决算总表): department → names.
    absent: dict[str, list[str]] = field(default_factory=dict)
    # Departments with no finance file at all for the year yet: not refused, nothing to check.
    no_data: list[str] = field(default_factory=list)

    def open_year(self, code: str) -> bool:
        """Whether department ``code``'s year is open: its 决算总表 has not come (see ``closed``)."""
        return SUMMARY.name in self.absent.get(code, [])

    @property
    def failed(self) -> bool:
        return bool(self.problems)


def _read(source: Source, dataset: Dataset, out: Extracted, **partition: object) -> pa.Table:
    raw = source.read(dataset, **partition)  # type: ignore[arg-type]
    frame = stage_table(raw, release=True)
    out.files[raw.uri] = raw.sha256
    department = partition.get("department")
    out.warnings.extend(replace(w, department=department, severity="warning")  # type: ignore[arg-type]
                        for w in raw.warnings)
    if department is not None:
        out.department_files.setdefault(str(department), {})[raw.uri] = raw.sha256
    return frame


def _with_department(problem: Problem, department: str | None) -> Problem:
    return replace(problem, department=department)


def extract_departments(source: Source) -> tuple[pd.DataFrame, Extracted]:
    out = Extracted(source.name)
    try:
        frame = frame_of(_read(source, DEPARTMENTS, out))
        repeated = _repeated(frame, DEPARTMENTS, source.name, None, strict=True)
        if repeated:  # which of the two rows is the department? Nothing can be loaded against it
            raise SourceError(repeated[0])
        return frame, out
    except SourceError as exc:
        out.problems.append(exc.problem)
        return pd.DataFrame(columns=[c.name for c in DEPARTMENTS.columns]), out


log = logging.getLogger(__name__)
K = TypeVar("K")
R = TypeVar("R")

# Takes one department's typed part of a dataset: (dataset name, Arrow table of its contract_schema).
Sink = Callable[[str, pa.Table], None]


def _finance_files(source: Source, out: Extracted, year: int, code: str,
                   closed: bool) -> dict[str, pa.Table] | None:
    """A department-year's finance datasets, typed; None when it has no finance file at all yet."""
    frames: dict[str, pa.Table] = {}
    missing: list[tuple[Dataset, SourceError]] = []
    absent: list[str] = []
    for dataset in FINANCE_DATASETS:
        try:
            frames[dataset.name] = _read(source, dataset, out, year=year, department=code)
            if dataset.lenient:
                _check_department(source, frames[dataset.name], code)
                out.warnings.extend(_repeated(frame_of(frames[dataset.name]), dataset, source.name, code))
        except DatasetAbsent as exc:
            absent.append(dataset.name)
            if dataset.optional and not (closed and dataset is SUMMARY):
                frames[dataset.name] = contract_schema(dataset).empty_table()
            else:
                missing.append((dataset, exc))
        except SourceError as exc:
            if not dataset.lenient:
                raise
            # not used; the department-year loads without it
            frames[dataset.name] = contract_schema(dataset).empty_table()
            out.warnings.append(_not_used(exc.problem, dataset, code))
    if len(absent) == len(FINANCE_DATASETS):
        return None  # nothing delivered yet: "no data yet", not refused
    if missing:
        which, error = missing[0]
        if which is SUMMARY:
            raise SourceError(replace(error.problem, message=error.problem.message + "；" + both(
                f"{year} 年已决算（SELFEVAL_CLOSED_YEARS），须有决算总表",
                f"{year} is a closed year (SELFEVAL_CLOSED_YEARS), so its 决算总表 is required")))
        raise error
    if absent:
        out.absent[code] = absent
    return frames


def extract_finance(source: Source, year: int, departments: list[str], sink: Sink | None = None,
                    closed: bool = False, threads: int = 1, read_budget: int | None = None) -> Extracted:
    """Budget lines, payments and totals of each department for ``year``; bad departments drop out.

    A department with no finance file for the year goes to ``no_data`` (not refused). The 决算总表 is
    optional: without it the department's year is open (``Extracted.open_year``); with ``closed`` it
    is required, and its absence refuses the department-year.

    Without ``sink``, the result holds each dataset as one frame. With it, each department's parts go
    to ``sink`` as soon as they are typed (Arrow tables of :func:`contract_schema`, so parts stack), and
    the result holds no finance frames: memory then holds a few departments' files at a time. A dataset
    no department delivered reaches ``sink`` as one empty part.

    ``threads`` departments are read at once when the source allows it (``Source.concurrent_reads``: a
    folder's files; a database connection or an API's paging is read one department at a time): a CSV's
    hashing, UTF-8 check, parsing and typing run mostly in C outside the interpreter's lock (pyarrow's parser
    is multi-threaded on its own; a workbook's reading mostly holds the lock and gains little). At 20M lines
    two threads took extraction from 28.6 s to 17.8 s. The result and the order of the parts ``sink`` takes are
    those of one thread, department by department.

    ``read_budget`` (bytes): the departments read at once hold at most this much in files together (a source
    that knows its files' sizes: ``stored_bytes``); a larger department is read with none beside it. Reading a
    CSV holds ~3× its bytes until it is typed, so two of the 20M-line city's largest departments read together
    held ~700 MB (~360 MB each, read and typed alone).
    """
    out = Extracted(source.name)
    parts: dict[str, list[pa.Table]] = {d.name: [] for d in FINANCE_DATASETS}
    workers = threads if getattr(source, "concurrent_reads", False) else 1
    sizes = getattr(source, "stored_bytes", None)
    weight = (lambda c: sizes(FINANCE_DATASETS, year, c)) if sizes is not None and read_budget else None
    with closing(in_order(lambda c: _department(source, year, c, closed), departments, workers, weight,
                          read_budget)) as read:
        delivered = _take(read, out, parts, sink)
    if workers > 1 and len(departments) > 1:  # threads ran
        give_back_memory()
    if sink is not None:
        if not delivered:
            for dataset in FINANCE_DATASETS:
                sink(dataset.name, contract_schema(dataset).empty_table())
        return out
    for dataset in FINANCE_DATASETS:
        out.frames[dataset.name] = frame_of(pa.concat_tables(parts[dataset.name]) if parts[dataset.name]
                                            else contract_schema(dataset).empty_table())
    return out


def _take(read: Iterator[tuple[str, _Department]], out: Extracted, parts: dict[str, list[pa.Table]],
          sink: Sink | None) -> bool:
    """Each department as read, in order: its files, warnings and problems into ``out``, its parts to ``sink``
    (or kept in ``parts``). Whether any department's parts were delivered."""
    delivered = False
    for code, got in read:
        _merge(out, got.extracted)
        if got.error is not None:
            out.problems.append(_with_department(got.error.problem, code))
            out.department_files.pop(code, None)
            out.absent.pop(code, None)
            continue
        if got.frames is None:
            out.no_data.append(code)
            continue
        if sink is not None:
            for dataset in FINANCE_DATASETS:
                sink(dataset.name, got.frames[dataset.name])
            delivered = True
            continue
        for name, frame in got.frames.items():
            parts[name].append(frame)
    return delivered


def give_back_memory() -> None:
    """Return to the system the memory the reading threads freed and their allocators keep: Arrow's pool
    (mimalloc, a heap per thread; the heaps of exited threads are collected only when this runs in the main
    thread, as the flow's tasks do) and, on Linux with glibc, the C allocator's per-thread arenas
    (``malloc_trim``). Without it, a 5M-line run that read on two threads kept ~100 MB more through the gate and
    promotion. Best effort: nothing here fails an extraction (a C library without ``malloc_trim``, or none that
    loads, is left as it is)."""
    try:
        pa.default_memory_pool().release_unused()
        if sys.platform.startswith("linux"):
            import ctypes

            trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc's; musl has none
            if trim is not None:
                trim.argtypes = [ctypes.c_size_t]
                trim(0)
    except Exception as exc:  # memory not given back is no reason to stop a run
        log.debug("memory not given back: %s", exc)


@dataclass
class _Department:
    """One department-year's finance as read: its typed datasets (None: no file yet), or the error that refuses
    it; ``extracted`` holds its files, warnings and absent datasets, for :func:`_merge`."""

    extracted: Extracted
    frames: dict[str, pa.Table] | None = None
    error: SourceError | None = None


def _department(source: Source, year: int, code: str, closed: bool) -> _Department:
    got = _Department(Extracted(source.name))
    try:
        got.frames = _finance_files(source, got.extracted, year, code, closed)
        for frame in (got.frames or {}).values():
            _check_department(source, frame, code)
    except SourceError as exc:
        got.frames, got.error = None, exc
    return got


def _merge(out: Extracted, part: Extracted) -> None:
    """``part``'s files, warnings, problems and absent datasets added to ``out`` (frames are not merged)."""
    out.files.update(part.files)
    out.department_files.update(part.department_files)
    out.problems.extend(part.problems)
    out.warnings.extend(part.warnings)
    out.absent.update(part.absent)
    out.no_data.extend(part.no_data)


def in_order(work: Callable[[K], R], keys: Sequence[K], threads: int, weight: Callable[[K], int] | None = None,
             budget: int | None = None) -> Generator[tuple[K, R], None, None]:
    """``(key, work(key))`` for each of ``keys`` in their order, ``work`` running on up to ``threads`` threads
    and at most ``threads`` keys ahead of the one given back (memory holds ``threads + 1`` results at most, not
    all of them, however slow the consumer: at 20M lines, two threads held ~100 MB more than one). ``threads``
    1 runs ``work`` in the calling thread.

    With ``weight`` and ``budget``, the keys submitted and not yet given back weigh at most ``budget`` together,
    unless one key alone weighs more (it then runs with none beside it): a department's files are read whole,
    so two of the largest read at once held ~700 MB at 20M lines (issue 27). Keys keep their order either way.

    An exception of ``work`` is raised when its key's turn comes (the keys already given back stand). When that
    happens, or the consumer stops early (close the generator: ``contextlib.closing``), the keys submitted and not
    started are cancelled and those in flight (at most ``threads``) finish on their own, unawaited."""
    if threads <= 1 or len(keys) <= 1:
        for key in keys:
            yield key, work(key)
        return
    pool = ThreadPoolExecutor(threads, thread_name_prefix="selfeval-read")
    ahead: deque[tuple[K, int, Future[R]]] = deque()
    finished = False
    try:
        for key in keys:
            heavy = weight(key) if weight is not None and budget is not None else 0
            while ahead and (len(ahead) > threads or (budget is not None
                                                      and sum(w for _, w, _ in ahead) + heavy > budget)):
                first, _, future = ahead.popleft()
                yield first, future.result()
            ahead.append((key, heavy, pool.submit(work, key)))
        while ahead:
            first, _, future = ahead.popleft()
            yield first, future.result()
        finished = True
    finally:
        pool.shutdown(wait=finished, cancel_futures=not finished)


def _repeated(frame: pd.DataFrame, dataset: Dataset, source: str, code: str | None,
              strict: bool = False) -> list[Problem]:
    """The rows that repeat an earlier row's key: of a lenient dataset, warnings (the first row stands, the repeat
    is not used); ``strict``, errors (the department catalogue: which row is the department?)."""
    if frame.empty:
        return []
    keys = frame[list(dataset.key)].astype("string").fillna("")
    again = keys.duplicated(keep="first").to_numpy()
    out = []
    for i in again.nonzero()[0]:
        first = int(frame["_row"].iloc[int((keys == keys.iloc[i]).all(axis=1).to_numpy().argmax())])
        shown = "、".join(v for v in keys.iloc[i].tolist() if v)
        said = (both(f"与第 {first} 行重复（{shown}），每个编码只能有一行", f"repeats row {first}") if strict
                else both(f"与第 {first} 行重复（{shown}），以第 {first} 行为准，本行未采用",
                          f"repeats row {first}; not used"))
        out.append(Problem(source, str(frame["_source"].iloc[i]), said, row=int(frame["_row"].iloc[i]),
                           department=code, severity="error" if strict else "warning"))
    return out


def _not_used(problem: Problem, dataset: Dataset, code: str) -> Problem:
    """A lenient dataset's problem as the warning that its file is not used."""
    head = both(f"{dataset.label}未采用，本部门其他数据照常载入", "file not used; the rest loads")
    return replace(problem, department=code, severity="warning", message=f"{head}：{problem.message}")


def _check_department(source: Source, table: pa.Table, code: str) -> None:
    """A department's folder holds only that department's records."""
    stray = pc.fill_null(pc.not_equal(table.column("department_code"), code), True)
    if not pc.any(stray).as_py():
        return
    first = int(pc.index(stray, True).as_py())
    found = table.column("department_code")[first].as_py()
    raise SourceError(Problem(
        source.name, str(table.column("_source")[first].as_py()),
        both(f"{code} 的文件夹中出现了部门编码「{found}」", f"department code {found!r} in the folder of {code}"),
        row=int(table.column("_row")[first].as_py()), column="部门编码 (department_code)", expected=code))


def extract_shared(source: Source, datasets: tuple[Dataset, ...], sink: Sink | None = None) -> Extracted:
    """Datasets every department reads (statistics, registry): any problem stops them all.

    Without ``sink``, the result holds each dataset as a frame. With it, each dataset goes to ``sink`` as one
    Arrow table of its :func:`contract_schema` as soon as it is typed (an empty one when it has a problem), and
    the result holds no frames: a registry of 2M firms was ~700 MB held as pandas through the gate and promotion
    (issue 27)."""
    out = Extracted(source.name)
    for dataset in datasets:
        try:
            table = _read(source, dataset, out)
        except SourceError as exc:
            out.problems.append(exc.problem)
            table = contract_schema(dataset).empty_table()
        if sink is None:
            out.frames[dataset.name] = frame_of(table)
        else:
            sink(dataset.name, table)
        del table
    return out


def extract_statistics(source: Source, sink: Sink | None = None) -> Extracted:
    return extract_shared(source, (INDICATORS,), sink)


def extract_registry(source: Source, sink: Sink | None = None) -> Extracted:
    return extract_shared(source, REGISTRY_DATASETS, sink)
