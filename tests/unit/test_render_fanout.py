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


def test_chunks_cut_the_keys_in_order_into_at_most_the_parts_asked():
    keys = [f"D{i:02d}" for i in range(7)]
    assert chunks(keys, 2) == [keys[:4], keys[4:]]
    assert chunks(keys, 3) == [keys[:3], keys[3:6], keys[6:]]
    assert chunks(keys[:1], 2) == [keys[:1]]
    assert chunks([], 2) == []
    assert [k for part in chunks(keys, 5) for k in part] == keys


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
