"""Calls that may run at once on several threads, counted: for tests that a map runs its work side by side, or
keeps a source that reads one at a time to the calling thread (tests/unit/test_extract_threads.py,
tests/unit/test_fingerprint_threads.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Overlaps:
    """The most calls seen running at once (``most``) and the names of the threads they ran on (``threads``); a
    call is counted inside :meth:`overlapping`, which waits ``pause`` seconds: long enough for another thread's
    call to overlap."""

    def __init__(self, pause: float):
        self.pause = pause
        self.lock = threading.Lock()
        self.running = self.most = 0
        self.threads: set[str] = set()

    @contextmanager
    def overlapping(self) -> Iterator[None]:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.threads.add(threading.current_thread().name)
        try:
            time.sleep(self.pause)
            yield
        finally:
            with self.lock:
                self.running -= 1
