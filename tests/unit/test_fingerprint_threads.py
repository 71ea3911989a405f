"""A run's input fingerprints hashed on several threads: the same fingerprints as on one.

``input_fingerprints(..., threads=N)`` hashes up to N files at once from a source that allows it
(``Source.concurrent_reads``) and a source that does not on the calling thread; ``computed`` is the map under it.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from tasks.pipeline import computed, input_fingerprints
from tasks.sources.base import FileSource

LIWAN, SWJ, WTJ = "440103-KGXJ", "440103-SWJ", "440103-WTJ"
CODES = [LIWAN, SWJ, WTJ]


class _Noting(FileSource):
    """A folder source that notes how many fingerprints run at once, and on which threads."""

    def __init__(self, *args, concurrent: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.concurrent_reads = concurrent
        self.lock = threading.Lock()
        self.running = self.most = 0
        self.threads: set[int] = set()

    def fingerprint(self, dataset, **kw):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.threads.add(threading.get_ident())
        try:
            time.sleep(0.01)  # long enough for another thread's hash to overlap
            return super().fingerprint(dataset, **kw)
        finally:
            with self.lock:
                self.running -= 1


def _sources(zone: Path, concurrent: bool = True) -> dict[str, FileSource]:
    return {"finance": _Noting("finance", zone / "finance", concurrent=concurrent),
            "statistics": _Noting("statistics", zone / "statistics", concurrent=concurrent),
            "registry": _Noting("registry", zone / "registry", concurrent=concurrent)}


def _fingerprints(zone: Path, threads: int, concurrent: bool = True) -> tuple[dict, dict[str, FileSource]]:
    sources = _sources(zone, concurrent)
    got = input_fingerprints(sources, zone / "narrative", 2022, CODES, {"code_version": "x"},
                             {LIWAN: {2021: "earlier"}}, threads=threads)
    return got, sources


def test_fingerprints_on_threads_are_those_of_one_thread_and_move_with_their_files(sample_copy):
    one, sources = _fingerprints(sample_copy, 1)
    assert all(one[c] for c in CODES) and len(set(one.values())) == 3
    assert {t for s in sources.values() for t in s.threads} == {threading.get_ident()}
    four, sources = _fingerprints(sample_copy, 4)
    assert four == one
    assert max(s.most for s in sources.values()) > 1  # hashed side by side
    # one department's ledger changes by a byte: its fingerprint alone moves, on threads as on one
    ledger = next((sample_copy / "finance" / "2022" / SWJ).glob("payments.*"))
    ledger.write_bytes(ledger.read_bytes().replace(b"0", b"1", 1))
    after, _ = _fingerprints(sample_copy, 4)
    assert after[SWJ] != one[SWJ] and {c: after[c] for c in (LIWAN, WTJ)} == {c: one[c] for c in (LIWAN, WTJ)}
    assert after == _fingerprints(sample_copy, 1)[0]
    # so does a shared input: every department's
    registry = next(p for p in sorted((sample_copy / "registry").rglob("*")) if p.is_file())
    registry.write_bytes(registry.read_bytes() + b"\n")
    shared = _fingerprints(sample_copy, 4)[0]
    assert all(shared[c] != after[c] for c in CODES) and shared == _fingerprints(sample_copy, 1)[0]


def test_a_source_that_reads_one_at_a_time_is_hashed_on_the_calling_thread(sample_copy):
    one, _ = _fingerprints(sample_copy, 1)
    got, sources = _fingerprints(sample_copy, 4, concurrent=False)
    assert got == one
    assert {t for s in sources.values() for t in s.threads} == {threading.get_ident()}
    assert max(s.most for s in sources.values()) == 1


def test_a_narrative_is_part_of_its_departments_fingerprint_on_threads(sample_copy, tmp_path):
    before, _ = _fingerprints(sample_copy, 4)
    narrative = next(p for p in sorted((sample_copy / "narrative").rglob(f"{LIWAN}.*")) if p.is_file())
    narrative.write_bytes(narrative.read_bytes() + b"\n")
    after, _ = _fingerprints(sample_copy, 4)
    assert after[LIWAN] != before[LIWAN] and after[SWJ] == before[SWJ]
    shutil.move(str(narrative), tmp_path / narrative.name)  # not written yet: known, and another fingerprint
    gone, _ = _fingerprints(sample_copy, 4)
    assert gone[LIWAN] not in (before[LIWAN], after[LIWAN], None)


def test_computed_gives_each_key_its_value_and_raises_the_first_failure_in_order():
    jobs = {k: (lambda k=k: k * k) for k in range(20)}
    assert computed(jobs, 4) == {k: k * k for k in range(20)} == computed(jobs, 1)
    assert list(computed(jobs, 4)) == list(range(20))

    def fails(message: str, after: float):
        def job():
            time.sleep(after)
            raise PermissionError(message)
        return job

    failing = {"a": lambda: 1, "b": fails("b", 0.05), "c": fails("c", 0.0)}  # c fails first in time, b in order
    with pytest.raises(PermissionError, match=r"^b$"):
        computed(failing, 3)
    with pytest.raises(PermissionError, match=r"^b$"):
        computed(failing, 1)
