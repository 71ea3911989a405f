"""Progress of a run over its departments: a Prefect progress artifact, and any local listener
(the command line's progress bar)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from uuid import UUID

log = logging.getLogger("selfeval.progress")
Listener = Callable[[int, int, str], None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> Callable[[], None]:
    """Call ``listener(done, total, label)`` on every step; returns a function that stops it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


class RunProgress:
    """A run's progress over ``total`` departments: its Prefect progress artifact moved on at each whole percent
    (one update per department for a run of a hundred or fewer; a hundred for six hundred departments, not six
    hundred calls to the server), the local listeners told of every department."""

    def __init__(self, total: int, description: str):
        self.total, self.done = total, 0
        self.shown = 0  # the whole percent the artifact shows
        self.artifact: UUID | None = None
        try:
            from prefect.artifacts import create_progress_artifact

            self.artifact = create_progress_artifact(progress=0.0, description=description)  # type: ignore[assignment]
        except Exception as exc:  # progress is a courtesy: it never stops a run
            log.debug("no progress artifact: %s", exc)
        self._notify("")

    def advance(self, label: str) -> None:
        self.done += 1
        percent = 100 * self.done // max(self.total, 1)
        if self.artifact is not None and (percent > self.shown or self.done >= self.total):
            self.shown = percent
            try:
                from prefect.artifacts import update_progress_artifact

                update_progress_artifact(self.artifact, progress=100.0 * self.done / max(self.total, 1))
            except Exception as exc:
                log.debug("progress artifact not updated: %s", exc)
        self._notify(label)

    def _notify(self, label: str) -> None:
        for listener in list(_listeners):
            listener(self.done, self.total, label)
