"""Departments' finance files read on several threads: the same result, in the same order, as on one.

``extract_finance(..., threads=N)`` reads up to N departments at once from a source that allows it
(``Source.concurrent_reads``), and hands their parts over in the departments' order; ``in_order`` is the
ordered, bounded map under it.
"""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from tasks.sources.base import FileSource
from tasks.sources.contract import FINANCE_DATASETS
from tasks.sources.extract import extract_finance, in_order

LIWAN, SWJ, WTJ = "440103-KGXJ", "440103-SWJ", "440103-WTJ"


class _Counting(FileSource):
    """A folder source that notes how many reads run at once, and on which threads."""

    def __init__(self, *args, concurrent: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.concurrent_reads = concurrent
        self.lock = threading.Lock()
        self.running = self.most = 0
        self.threads: set[str] = set()

    def read(self, dataset, **kw):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.threads.add(threading.current_thread().name)
        try:
            time.sleep(0.02)  # long enough for the other thread's read to overlap
            return super().read(dataset, **kw)
        finally:
            with self.lock:
                self.running -= 1


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


def test_in_order_raises_a_failure_at_its_key_s_turn_and_starts_nothing_after():
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
    assert given == [0, 1]
    time.sleep(0.05)
    assert max(started) <= 2 + 2  # keys beyond the window are never started


def _city(sample_copy):
    """The sample with a broken department (SWJ's ledger is not a ledger), a department with no folder, and a
    file named as a copy (a warning)."""
    year = sample_copy / "finance" / "2022"
    (year / SWJ / "payments.csv").write_text("not,a,ledger\n1,2,3\n", encoding="utf-8")
    shutil.move(year / WTJ / "targets.csv", year / WTJ / "targets (1).csv")
    return sample_copy / "finance", [LIWAN, "440103-NONE", SWJ, WTJ]


def _run(root, codes, threads, concurrent=True):
    source = _Counting("finance", root, concurrent=concurrent)
    parts: list[tuple[str, list]] = []
    out = extract_finance(source, 2022, codes, lambda name, part: parts.append((name, part.to_pylist())),
                          threads=threads)
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
