"""Departments' finance files read on several threads: the same result, in the same order, as on one.

``extract_finance(..., threads=N)`` reads up to N departments at once from a source that allows it
(``Source.concurrent_reads``), and hands their parts over in the departments' order; ``in_order`` is the
ordered, bounded map under it.
"""

from __future__ import annotations

import shutil
import threading
import time
from contextlib import closing

import pytest

from tasks.sources.base import FileSource
from tasks.sources.contract import FINANCE_DATASETS
from tasks.sources.extract import extract_finance, in_order
from tests.support.overlaps import Overlaps

LIWAN, SWJ, WTJ = "440103-KGXJ", "440103-SWJ", "440103-WTJ"


class _Counting(Overlaps, FileSource):
    """A folder source that notes how many reads run at once, and on which threads."""

    def __init__(self, *args, concurrent: bool = True, **kwargs):
        FileSource.__init__(self, *args, **kwargs)
        Overlaps.__init__(self, pause=0.02)  # long enough for the other thread's read to overlap
        self.concurrent_reads = concurrent

    def read(self, dataset, **kw):
        with self.overlapping():
            return super().read(dataset, **kw)


def test_in_order_gives_back_each_key_in_order_while_keys_run_at_once():
    started: list[int] = []
    given: list[int] = []
    lock = threading.Lock()
    running, most = [0], [0]

    def work(key: int) -> int:
        with lock:
            started.append(key)
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.03 if key % 3 == 0 else 0.005)  # later keys often finish first
        with lock:
            running[0] -= 1
        return key * 10

    for key, value in in_order(work, list(range(12)), 3):
        assert value == key * 10
        # never more than 3 keys started beyond the one being given back: 4 results held at most
        assert len(started) <= key + 1 + 3
        given.append(key)
    assert given == list(range(12))
    assert most[0] == 3


def test_in_order_on_one_thread_runs_in_the_caller():
    names = []
    got = list(in_order(lambda k: names.append(threading.current_thread().name) or k, ["a", "b"], 1))
    assert got == [("a", "a"), ("b", "b")]
    assert set(names) == {threading.current_thread().name}


def test_in_order_raises_a_failure_at_its_key_s_turn():
    started: list[int] = []

    def work(key: int) -> int:
        started.append(key)
        if key == 2:
            raise ValueError("key 2")
        return key

    given = []
    with pytest.raises(ValueError, match="key 2"):
        for key, _ in in_order(work, list(range(40)), 2):
            given.append(key)
    assert given == [0, 1]  # the keys before it stand
    assert max(started) <= 2 + 2  # nothing beyond the window was submitted


def test_in_order_leaves_no_thread_behind_when_it_ends():
    assert list(in_order(lambda k: k * 2, list(range(9)), 3)) == [(k, k * 2) for k in range(9)]
    assert not [t.name for t in threading.enumerate() if t.name.startswith("selfeval-read")]


def test_a_consumer_that_stops_does_not_wait_for_the_keys_in_flight():
    """Closing the generator (the sink raised) cancels what has not started and returns at once: a key still
    being read does not hold the run's error back."""
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def work(key: int) -> int:
        if key == 1:
            started.set()
            release.wait(5)  # a slow file
            finished.set()
        return key

    with pytest.raises(RuntimeError), closing(in_order(work, list(range(10)), 2)) as read:
        for _key, _ in read:
            assert started.wait(5)  # key 1 is being read
            raise RuntimeError("the sink failed")
    try:
        assert not finished.is_set()  # the error came through while key 1 was still being read
    finally:
        release.set()


def _city(sample_copy):
    """The sample with a broken department (SWJ's ledger is not a ledger), a department with no folder, and a
    file named as a copy (a warning)."""
    year = sample_copy / "finance" / "2022"
    (year / SWJ / "payments.csv").write_text("not,a,ledger\n1,2,3\n", encoding="utf-8")
    shutil.move(year / WTJ / "targets.csv", year / WTJ / "targets (1).csv")
    return sample_copy / "finance", [LIWAN, "440103-NONE", SWJ, WTJ]


def _run(root, codes, threads, concurrent=True, budget=None):
    source = _Counting("finance", root, concurrent=concurrent)
    parts: list[tuple[str, list]] = []
    out = extract_finance(source, 2022, codes, lambda name, part: parts.append((name, part.to_pylist())),
                          threads=threads, read_budget=budget)
    return source, out, parts


def test_two_threads_give_what_one_gives(sample_copy):
    root, codes = _city(sample_copy)
    one_source, one, one_parts = _run(root, codes, 1)
    two_source, two, two_parts = _run(root, codes, 2)
    assert one_source.most == 1 and two_source.most == 2  # the two did read at once
    assert two_parts == one_parts  # every part, row for row, in the same order
    assert [name for name, _ in two_parts] == [d.name for d in FINANCE_DATASETS] * 2  # LIWAN's and WTJ's
    assert list(two.files.items()) == list(one.files.items())
    assert two.department_files == one.department_files and SWJ not in two.department_files
    assert two.problems == one.problems and [p.department for p in two.problems] == [SWJ]
    assert two.warnings == one.warnings and any("targets (1).csv" in w.uri for w in two.warnings)
    assert two.no_data == one.no_data == ["440103-NONE"]
    assert two.absent == one.absent


def test_a_source_that_cannot_be_read_at_once_is_read_one_department_at_a_time(sample_copy):
    root, codes = _city(sample_copy)
    source, _, _ = _run(root, codes, 4, concurrent=False)
    assert source.most == 1 and source.threads == {threading.current_thread().name}


def test_a_sink_that_fails_stops_the_reads(sample_copy):
    """The run database refusing a part (a sink raising) ends extraction with that error; no department is read
    beyond the window of the one being handed over."""
    root, _ = _city(sample_copy)
    source = _Counting("finance", root)
    read: list[str] = []
    real = source.read

    def noting(dataset, **kw):
        read.append(kw["department"])
        return real(dataset, **kw)

    source.read = noting  # type: ignore[method-assign]

    def sink(name, part):
        raise ValueError(f"stg_{name}: a part with other columns")

    codes = [LIWAN] + [f"440103-N{i}" for i in range(10)]  # then departments with nothing yet: quick reads
    with pytest.raises(ValueError, match="stg_budget_lines"):
        extract_finance(source, 2022, codes, sink, threads=2)
    assert LIWAN in read and len(set(read)) <= 3  # the one handed over and the two ahead of it, at most


def test_memory_given_back_never_fails_a_run(monkeypatch):
    """A C library that does not load (or has no malloc_trim) leaves the memory as it is, and the run goes on."""
    import ctypes

    from tasks.sources.extract import give_back_memory

    give_back_memory()  # here: Arrow's pool released, glibc's arenas trimmed

    def refuse(*args, **kwargs):
        raise OSError("no C library")

    monkeypatch.setattr(ctypes, "CDLL", refuse)
    give_back_memory()


def test_in_order_keeps_the_keys_in_flight_within_the_budget():
    """The keys submitted and not given back weigh at most the budget together; a key heavier than the budget
    runs with none beside it; the order is the keys' order whatever their weights."""
    weights = [5, 5, 5, 20, 1, 1, 1, 1, 9, 9, 2, 2, 11, 0]
    lock = threading.Lock()
    out: set[int] = set()  # started, not yet given back
    seen: list[tuple[int, ...]] = []

    def work(key: int) -> int:
        with lock:
            out.add(key)
            seen.append(tuple(sorted(out)))
        time.sleep(0.01 if key % 2 else 0.002)
        return key

    given = []
    for key, value in in_order(work, list(range(len(weights))), 3, weight=lambda k: weights[k], budget=10):
        assert value == key
        with lock:
            out.discard(key)
        given.append(key)
    assert given == list(range(len(weights)))
    for together in seen:
        assert sum(weights[k] for k in together) <= 10 or len(together) == 1, together
    assert any(len(together) == 3 for together in seen)  # light keys still run three at once


def test_a_read_budget_reads_a_department_larger_than_it_alone_and_gives_the_same(sample_copy):
    """Departments whose files together exceed the budget are not read at once (each of the sample's is larger
    than 1 byte: one at a time, on the reading threads); within a budget they are; the parts are those of one
    thread either way."""
    root, codes = _city(sample_copy)
    _, one, one_parts = _run(root, codes, 1)
    tight, out, parts = _run(root, codes, 2, budget=1)
    assert tight.most == 1 and any(t.startswith("selfeval-read") for t in tight.threads)
    assert parts == one_parts and out.problems == one.problems and out.no_data == one.no_data
    roomy, _, roomy_parts = _run(root, codes, 2, budget=1 << 30)
    assert roomy.most == 2 and roomy_parts == one_parts


def test_a_folder_weighs_its_department_s_files_without_reading_them(sample_copy):
    source = FileSource("finance", sample_copy / "finance")
    folder = sample_copy / "finance" / "2022" / LIWAN
    expected = sum(p.stat().st_size for p in folder.iterdir() if p.suffix == ".csv"
                   and any(p.stem == d.name for d in FINANCE_DATASETS))
    assert source.stored_bytes(FINANCE_DATASETS, 2022, LIWAN) == expected > 0
    assert source.stored_bytes(FINANCE_DATASETS, 2022, "440103-NONE") == 0  # no folder: nothing to weigh


def test_shared_sources_go_to_the_sink_as_typed_tables_not_frames(sample_copy):
    """With a sink, the registry's datasets reach it as tables of their contract schema and the result holds no
    frame; a dataset with a problem reaches it empty, its problem recorded, and the others as read."""
    from tasks.sources.contract import REGISTRY_DATASETS
    from tasks.sources.extract import extract_registry
    from tasks.sources.staging import contract_schema

    got: list[tuple[str, object]] = []
    out = extract_registry(FileSource("registry", sample_copy / "registry"), lambda n, t: got.append((n, t)))
    assert out.frames == {} and not out.problems
    assert [n for n, _ in got] == [d.name for d in REGISTRY_DATASETS]
    for (_, table), dataset in zip(got, REGISTRY_DATASETS, strict=True):
        assert table.schema == contract_schema(dataset) and table.num_rows > 0
    assert extract_registry(FileSource("registry", sample_copy / "registry")).frames["enterprises"].shape[0] == \
        got[0][1].num_rows  # the same rows as without a sink
    (sample_copy / "registry" / "enterprises.csv").write_text("not,a,registry\n1,2,3\n", encoding="utf-8")
    got.clear()
    out = extract_registry(FileSource("registry", sample_copy / "registry"), lambda n, t: got.append((n, t)))
    assert len(out.problems) == 1 and "enterprises" in out.problems[0].uri
    assert [(n, t.num_rows == 0) for n, t in got] == [(d.name, d.name == "enterprises") for d in REGISTRY_DATASETS]
