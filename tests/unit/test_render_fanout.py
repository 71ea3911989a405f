"""Where a run's render parts go (tasks.pipeline.render_in_processes, chunks): processes of their own, a core
each, for a run of many departments; the flow's task runner otherwise. And what a failed part gives."""

from __future__ import annotations

import pytest

from tasks.pipeline import chunks, render_in_processes


@pytest.mark.parametrize(("departments", "parts", "from_departments", "dask", "server", "expected"), [
    (60, 2, 12, False, True, True),  # the district's nightly: both cores
    (12, 2, 12, False, True, True),  # from the threshold on
    (11, 2, 12, False, True, False),  # a process's start (~2 s) would cost more than it saves
    (3, 2, 1, False, True, True),  # the threshold set lower, as the test of the process path does
    (60, 1, 12, False, True, False),  # one part: nothing runs beside it
    (60, 2, 12, True, True, False),  # Dask's workers are processes already: the flow's runner takes the parts
    (60, 2, 12, False, False, False),  # no server: each worker would start a temporary server of its own
    (0, 0, 1, False, True, False),  # nothing to render
])
def test_renders_go_to_processes_only_when_they_pay(departments, parts, from_departments, dask, server, expected):
    assert render_in_processes(departments, parts, from_departments, dask, server) is expected


def test_chunks_cut_the_keys_in_order_into_the_parts_asked_at_most_one_a_key():
    keys = [f"D{i:02d}" for i in range(7)]
    assert chunks(keys, 2) == [keys[:4], keys[4:]]
    assert chunks(keys, 3) == [keys[:3], keys[3:5], keys[5:]]  # as many parts as asked, not 3 + 3 + 1
    assert chunks(keys[:1], 2) == [keys[:1]]
    assert chunks([], 2) == []
    assert [k for part in chunks(keys, 5) for k in part] == keys


def test_chunks_by_work_give_each_part_about_its_share_in_order():
    from tasks.pipeline import render_work

    keys = [f"D{i:02d}" for i in range(8)]
    big_first = dict(zip(keys, (40, 40, 5, 5, 5, 5, 5, 5), strict=True))  # by count, the first part did 90 of 110
    parts = chunks(keys, 2, big_first)
    assert parts == [keys[:2], keys[2:]]  # 80 against 30: the cut after the key that passes half (55)
    assert [k for part in chunks(keys, 3, big_first) for k in part] == keys
    assert chunks(keys, 3, big_first) == [keys[:1], keys[1:2], keys[2:]]
    # exactly the parts asked (the pool is sized by the same count), at most one per key
    assert [len(chunks(keys[:n], p)) for n in (1, 5, 8) for p in (1, 2, 3, 8)] == [1, 1, 1, 1, 1, 2, 3, 5,
                                                                                  1, 2, 3, 8]
    assert [len(chunks(keys[:n], p, big_first)) for n in (5, 8) for p in (2, 3, 8)] == [2, 3, 5, 2, 3, 8]
    assert chunks(keys[:2], 5, big_first) == [keys[:1], keys[1:2]]  # never more parts than keys
    assert chunks(keys, 4, dict.fromkeys(keys, 0)) == [keys[:1], keys[1:2], keys[2:3], keys[3:]]  # none empty
    heavy_last = dict(zip(keys, (1, 1, 1, 1, 1, 1, 1, 100), strict=True))
    assert chunks(keys, 2, heavy_last) == [keys[:7], keys[7:]]  # the last part holds one key at least
    # 600 departments of the synthetic city's spread of projects: the parts' work within one department's
    spread = {f"D{i:03d}": (i * 7919) % 40 for i in range(600)}
    work = render_work(spread)
    halves = chunks(list(spread), 2, work)
    sums = [sum(work[k] for k in part) for part in halves]
    assert abs(sums[0] - sums[1]) <= 2 * max(work.values()) and sum(sums) == sum(work.values())
    assert render_work({"D": 5}) == {"D": 8}  # the report (about three forms) and its five forms


def test_render_workers_closed_beside_the_run_give_what_closing_raised_when_waited_for():
    from flows.steps.report import RenderWorkers

    calls: list[int] = []

    class Runner:
        def __exit__(self, *args: object) -> None:
            calls.append(1)
            raise OSError("the pool would not close")

    workers = RenderWorkers(Runner())  # type: ignore[arg-type]
    workers.close_soon()
    workers.close_soon()
    failed = workers.close()
    assert isinstance(failed, OSError) and "would not close" in str(failed) and calls == [1]  # closed once
    plain = RenderWorkers(Runner())  # type: ignore[arg-type]
    assert isinstance(plain.close(), OSError) and calls == [1, 1]  # closed here when not begun beside


class _Done:
    def __init__(self, value=None, error=None):
        self.value, self.error = value, error

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value


def test_a_part_whose_task_failed_is_its_departments_failed_and_the_others_stand(prefect_harness):
    from concurrent.futures.process import BrokenProcessPool

    from prefect import flow

    from flows.steps.report import gathered
    from tasks.report.build import Rendered

    done = [Rendered("D1", {}, [], None), Rendered("D2", {}, [], None)]

    @flow
    def gather():  # the step logs through the run's logger
        return gathered([["D1", "D2"], ["D3", "D4"]], [_Done(done), _Done(error=BrokenProcessPool("worker died"))])

    out = gather()
    assert [r.department for r in out] == ["D1", "D2", "D3", "D4"]
    assert [r.error for r in out[:2]] == [None, None]
    assert all(r.error == "BrokenProcessPool: worker died" for r in out[2:])
