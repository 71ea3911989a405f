"""Progress of a run over its departments: a Prefect progress artifact, and any local listener
(the command line's progress bar)."""

from __future__ import annotations

import logging
import time
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
    """A run's progress over ``total`` departments: its Prefect progress artifact moved on at a new whole percent
    when ``every`` seconds (``clock``'s) have passed since it last moved, when its caller says a burst is over
    (:meth:`flush`), and to 100 % with the last department; the local listeners told of every department.

    A district's departments often finish together (the renders end by parts: sixty at once), and each update is a
    call to the server (~10 ms): a burst moves the artifact at most once while it lasts and once when flushed."""

    def __init__(self, total: int, description: str, every: float = 1.0,
                 clock: Callable[[], float] = time.monotonic):
        self.total, self.done = total, 0
        self.shown = 0  # the whole percent the artifact shows
        self.every, self.clock = every, clock
        self.artifact: UUID | None = None
        try:
            from prefect.artifacts import create_progress_artifact

            self.artifact = create_progress_artifact(progress=0.0, description=description)  # type: ignore[assignment]
        except Exception as exc:  # progress is a courtesy: it never stops a run
            log.debug("no progress artifact: %s", exc)
        self.shown_at = clock()
        self._notify("")

    def advance(self, label: str) -> None:
        self.done += 1
        percent = 100 * self.done // max(self.total, 1)
        if percent > self.shown and (self.clock() - self.shown_at >= self.every or self.done == self.total):
            self._show(percent)
        self._notify(label)

    def flush(self) -> None:
        """The artifact moved to what is done, if it shows less (the end of a burst, which :meth:`advance` showed
        at its first department only)."""
        percent = 100 * self.done // self.total if self.total else 100  # nothing to do is done
        if percent > self.shown:
            self._show(percent)

    def _show(self, percent: int) -> None:
        self.shown, self.shown_at = percent, self.clock()
        if self.artifact is None:
            return
        try:
            from prefect.artifacts import update_progress_artifact

            update_progress_artifact(self.artifact, progress=100.0 * self.done / max(self.total, 1))
        except Exception as exc:
            log.debug("progress artifact not updated: %s", exc)

    def _notify(self, label: str) -> None:
        for listener in list(_listeners):
            listener(self.done, self.total, label)
