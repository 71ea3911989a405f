"""A run's progress artifact: moved on at each whole percent, not once a department at district scale, and always
to 100 % at the end; listeners (the command line's bar) hear of every department."""

from __future__ import annotations

import uuid

import pytest


@pytest.mark.parametrize(("total", "updates"), [(3, 3), (60, 60), (100, 100), (600, 100), (1001, 100)])
def test_the_artifact_moves_at_each_whole_percent_and_ends_at_100(monkeypatch, total, updates):
    import prefect.artifacts

    from tasks.progress import RunProgress, listen

    sent: list[float] = []
    monkeypatch.setattr(prefect.artifacts, "create_progress_artifact", lambda **kwargs: uuid.uuid4())
    monkeypatch.setattr(prefect.artifacts, "update_progress_artifact", lambda artifact, progress: sent.append(progress))
    heard: list[int] = []
    stop = listen(lambda done, total, label: heard.append(done))
    try:
        progress = RunProgress(total, "test")
        for i in range(total):
            progress.advance(f"D{i}")
    finally:
        stop()
    assert len(sent) == updates and sent[-1] == 100.0 and sent == sorted(sent)
    assert heard == list(range(total + 1))  # the start, then every department
