"""Where a run's render parts go (tasks.pipeline.render_in_processes, chunks): processes of their own, a core
each, for a run of many departments; the flow's task runner otherwise. Pure functions: no flow."""

from __future__ import annotations

import pytest

from tasks.pipeline import chunks, render_in_processes


@pytest.mark.parametrize(("departments", "parts", "from_departments", "dask", "expected"), [
    (60, 2, 12, False, True),  # the district's nightly: both cores
    (12, 2, 12, False, True),  # from the threshold on
    (11, 2, 12, False, False),  # a process's start (~2 s) would cost more than it saves
    (3, 2, 1, False, True),  # the threshold set lower, as the test of the process path does
    (60, 1, 12, False, False),  # one part: nothing runs beside it
    (60, 2, 12, True, False),  # Dask's workers are processes already: the flow's runner takes the parts
    (0, 0, 1, False, False),  # nothing to render
])
def test_renders_go_to_processes_only_when_they_pay(departments, parts, from_departments, dask, expected):
    assert render_in_processes(departments, parts, from_departments, dask) is expected


def test_chunks_cut_the_keys_in_order_into_at_most_the_parts_asked():
    keys = [f"D{i:02d}" for i in range(7)]
    assert chunks(keys, 2) == [keys[:4], keys[4:]]
    assert chunks(keys, 3) == [keys[:3], keys[3:6], keys[6:]]
    assert chunks(keys[:1], 2) == [keys[:1]]
    assert chunks([], 2) == []
    assert [k for part in chunks(keys, 5) for k in part] == keys
