"""Progress of a render on stderr: frames done of the total, frames per second and time left."""

from __future__ import annotations

import sys
import threading
import time


class Progress:
    """Counts frames from several chunk threads; prints at most every ``interval`` seconds."""

    def __init__(self, total: int, already_done: int = 0, interval: float = 1.0) -> None:
        self.total, self.done, self.counted = total, already_done, 0
        self.interval, self.started, self.printed = interval, time.monotonic(), 0.0
        self.lock = threading.Lock()
        self.tty = sys.stderr.isatty()

    def add(self, frames: int = 1) -> None:
        with self.lock:
            self.done += frames
            self.counted += frames
            now = time.monotonic()
            if now - self.printed >= (self.interval if self.tty else 10 * self.interval):
                self.printed = now
                self._print(now, end="\r" if self.tty else "\n")

    def finish(self) -> None:
        with self.lock:
            self._print(time.monotonic(), end="\n")

    def _print(self, now: float, end: str) -> None:
        fps = self.counted / max(now - self.started, 1e-9)
        left = (self.total - self.done) / fps if fps > 0 else float("inf")
        eta = "?" if left == float("inf") else f"{int(left // 60)}m{int(left % 60):02d}s"
        print(f"render: {self.done}/{self.total} frames, {fps:.2f} fps, ETA {eta}   ", end=end, file=sys.stderr,
              flush=True)
