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

from tasks.pipeline import computed, fingerprint, input_fingerprints
from tasks.report.narrative import narrative_files
from tasks.sources.base import ABSENT, FileSource
from tasks.sources.contract import DEPARTMENTS, FINANCE_DATASETS, INDICATORS, REGISTRY_DATASETS
from tasks.sources.raw import sha256_file
from tests.support.overlaps import Overlaps

LIWAN, SWJ, WTJ = "440103-KGXJ", "440103-SWJ", "440103-WTJ"
CODES = [LIWAN, SWJ, WTJ]


class _Noting(Overlaps, FileSource):
    """A folder source that notes how many fingerprints run at once, and on which threads."""

    def __init__(self, *args, concurrent: bool = True, **kwargs):
        FileSource.__init__(self, *args, **kwargs)
        Overlaps.__init__(self, pause=0.01)  # long enough for another thread's hash to overlap
        self.concurrent_reads = concurrent

    def fingerprint(self, dataset, **kw):
        with self.overlapping():
            return super().fingerprint(dataset, **kw)


def _sources(zone: Path, concurrent: bool = True) -> dict[str, FileSource]:
    return {"finance": _Noting("finance", zone / "finance", concurrent=concurrent),
            "statistics": _Noting("statistics", zone / "statistics", concurrent=concurrent),
            "registry": _Noting("registry", zone / "registry", concurrent=concurrent)}


def _fingerprints(zone: Path, threads: int, concurrent: bool = True, year: int = 2022,
                  codes: list[str] = CODES) -> tuple[dict, dict[str, FileSource]]:
    sources = _sources(zone, concurrent)
    got = input_fingerprints(sources, zone / "narrative", year, codes, {"code_version": "x"},
                             {LIWAN: {2021: "earlier"}}, threads=threads)
    return got, sources


def _reference(zone: Path, year: int = 2022, codes: list[str] = CODES) -> dict[str, str | None]:
    """The fingerprints as written out by hand, one file after another: what a department-year's report depends on
    (docs: the shared inputs, its finance files, its narrative, the context and its earlier years), hashed as the
    warehouse has stored them since the fingerprints were made."""
    finance, statistics, registry = (FileSource(n, zone / n) for n in ("finance", "statistics", "registry"))
    shared: dict[str, str | None] = {"departments": finance.fingerprint(DEPARTMENTS),
                                     INDICATORS.name: statistics.fingerprint(INDICATORS)}
    for dataset in REGISTRY_DATASETS:
        shared[dataset.name] = registry.fingerprint(dataset)
    out: dict[str, str | None] = {}
    for code in codes:
        parts: dict[str, object] = {"shared": shared, "context": {"code_version": "x"}, "year": year,
                                    "earlier": {"2021": "earlier"} if code == LIWAN else {}}
        for dataset in FINANCE_DATASETS:
            parts[dataset.name] = finance.fingerprint(dataset, year=year, department=code)
        written = {p.name: sha256_file(p) for p in narrative_files(zone / "narrative", year, code)}
        one_yaml = list(written) == [f"{code}.yaml"]
        parts["narrative"] = (written[f"{code}.yaml"] if one_yaml else written) or ABSENT
        known = [v for k, v in parts.items() if k not in ("shared", "context", "year", "earlier")]
        out[code] = None if any(v is None for v in [*known, *shared.values()]) else fingerprint(parts)
    return out


def test_fingerprints_on_threads_are_those_of_one_thread_and_move_with_their_files(sample_copy):
    one, sources = _fingerprints(sample_copy, 1)
    assert all(one[c] for c in CODES) and len(set(one.values())) == 3
    assert one == _reference(sample_copy)
    assert {t for s in sources.values() for t in s.threads} == {threading.current_thread().name}
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
    assert {t for s in sources.values() for t in s.threads} == {threading.current_thread().name}
    assert max(s.most for s in sources.values()) == 1


def test_the_forms_of_a_landing_zone_are_fingerprinted_as_written_out_by_hand(sample_copy, tmp_path):
    """Each case against the reference, on one thread and on four: a narrative as YAML and as a Word form beside it
    (and a copy), two files for one dataset (refused when read), an optional dataset left out, a department with no
    files, a year with none, a non-concurrent source."""
    cases = []
    finance = sample_copy / "finance" / "2022"
    narratives = sample_copy / "narrative" / "2022"
    (narratives / f"{SWJ}.docx").write_bytes(b"a Word form, not parsed: hashed")
    (narratives / f"{SWJ} (1).docx").write_bytes(b"its copy, another content")
    cases.append("a YAML, a Word form and a copy")
    shutil.copy(finance / WTJ / "payments.csv", finance / WTJ / "payments.xlsx")
    cases.append("two payments files")
    (finance / LIWAN / "summary.csv").unlink()
    cases.append("an optional dataset left out")
    for codes in (CODES, [*CODES, "440103-NONE"]):
        for year in (2022, 2023):
            want = _reference(sample_copy, year, codes)
            for threads in (1, 4):
                for concurrent in (True, False):
                    got, _ = _fingerprints(sample_copy, threads, concurrent, year, codes)
                    assert got == want, (cases, codes, year, threads, concurrent)
    assert _reference(sample_copy)[SWJ] != _fingerprints(tmp_path / "nothing", 1)[0][SWJ]


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
    # a job kept on this thread fails in its turn too: before a later job of the pool, after an earlier one
    with pytest.raises(PermissionError, match=r"^b$"):
        computed(failing, 3, here={"b"})
    with pytest.raises(PermissionError, match=r"^b$"):
        computed({"b": fails("b", 0.05), "c": fails("c", 0.0), "d": lambda: 4}, 3, here={"c"})


def test_computed_runs_the_jobs_kept_here_on_this_thread_in_their_turn():
    seen: list[tuple[str, bool]] = []
    main = threading.get_ident()

    def job(key: str):
        def run():
            seen.append((key, threading.get_ident() == main))
            return key
        return run

    got = computed({k: job(k) for k in "abcdef"}, 2, here={"b", "e"})
    assert got == {k: k for k in "abcdef"} and list(got) == list("abcdef")
    assert {k for k, on_main in seen if on_main} == {"b", "e"}


def test_computed_drops_the_jobs_not_begun_once_one_fails():
    ran: list[int] = []

    def job(k: int):
        def run():
            if k == 0:
                raise PermissionError("the first file cannot be read")
            time.sleep(0.05)
            ran.append(k)
        return run

    with pytest.raises(PermissionError):
        computed({k: job(k) for k in range(40)}, 2)
    assert len(ran) < 10  # not the 39 others (~1 s on two threads): only those already running
