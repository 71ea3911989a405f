"""A run's progress artifact: moved on at a whole percent at most once a second, not once a department, and always
to 100 % at the end; listeners (the command line's bar) hear of every department."""

from __future__ import annotations

import uuid

import pytest


def _advanced(monkeypatch, total: int, step: float) -> tuple[list[float], list[int]]:
    """The artifact's updates and what a listener heard, ``total`` departments advanced ``step`` seconds apart."""
    import prefect.artifacts

    from tasks.progress import RunProgress, listen

    sent: list[float] = []
    monkeypatch.setattr(prefect.artifacts, "create_progress_artifact", lambda **kwargs: uuid.uuid4())
    monkeypatch.setattr(prefect.artifacts, "update_progress_artifact", lambda artifact, progress: sent.append(progress))
    heard: list[int] = []
    now = [0.0]
    stop = listen(lambda done, total, label: heard.append(done))
    try:
        progress = RunProgress(total, "test", clock=lambda: now[0])
        for i in range(total):
            now[0] += step
            progress.advance(f"D{i}")
    finally:
        stop()
    return sent, heard


@pytest.mark.parametrize(("total", "updates"), [(3, 3), (60, 60), (100, 100), (600, 100), (1001, 100)])
def test_departments_a_second_apart_move_it_at_each_whole_percent(monkeypatch, total, updates):
    sent, heard = _advanced(monkeypatch, total, 1.0)
    assert len(sent) == updates and sent[-1] == 100.0 and sent == sorted(sent)
    assert heard == list(range(total + 1))  # the start, then every department


@pytest.mark.parametrize("total", [1, 60, 600])
def test_departments_done_together_move_it_once_to_100(monkeypatch, total):
    sent, heard = _advanced(monkeypatch, total, 0.0)
    assert sent == [100.0]
    assert heard == list(range(total + 1))


def test_a_slow_run_is_shown_at_most_once_a_second(monkeypatch):
    sent, _ = _advanced(monkeypatch, 60, 0.25)  # 15 s in all
    assert len(sent) == 15 and sent[-1] == 100.0 and sent == sorted(sent)


def test_a_burst_shows_its_end_when_its_caller_says_it_is_over(monkeypatch):
    import prefect.artifacts

    from tasks.progress import RunProgress

    sent: list[float] = []
    monkeypatch.setattr(prefect.artifacts, "create_progress_artifact", lambda **kwargs: uuid.uuid4())
    monkeypatch.setattr(prefect.artifacts, "update_progress_artifact", lambda artifact, progress: sent.append(progress))
    now = [0.0]
    progress = RunProgress(600, "test", clock=lambda: now[0])
    for i in range(30):  # 30 refused at once, as the gate decides them
        progress.advance(f"D{i}")
    assert sent == []  # within the second of the artifact's making
    progress.flush()
    assert sent == [5.0]
    progress.flush()
    assert sent == [5.0]  # nothing new to show
    now[0] = 0.5
    progress.advance("D30")  # 5.16 %: not a new whole percent, and too soon
    for i in range(31, 36):
        progress.advance(f"D{i}")  # 6 %: a new whole percent, but within the second of the last update
    assert sent == [5.0]
    now[0] = 1.0
    progress.advance("D36")  # a second after the flush: shown
    assert sent == [5.0, 100.0 * 37 / 600]
