"""A bounded pool of CUDA streams shared by VapourSynth's worker threads.

Each callback borrows one stream for its whole frame (upload, network, download), so frames of different
threads overlap on the GPU while at most ``size`` run at once; a thread that finds every stream borrowed waits.
On the CPU there is nothing to overlap and ``acquire`` is a no-op.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import torch

__all__ = ["StreamPool", "finish_current_stream", "record_on_current_stream"]


class StreamPool:
    """At most ``size`` streams on ``device``, created on first use and lent to one thread at a time.

    ``make_stream`` and ``use_stream`` replace ``torch.cuda.Stream(device)`` and ``torch.cuda.stream`` (tests
    pass fakes to check the borrowing without a GPU); with neither, a CPU pool lends nothing.
    Example (inside a callback): ``with pool.acquire(): out = engine.render(...)``.
    """

    def __init__(self, device: torch.device, size: int = 2, *,
                 make_stream: Callable[[], Any] | None = None,
                 use_stream: Callable[[Any], contextlib.AbstractContextManager[Any]] | None = None) -> None:
        if size < 1:
            raise ValueError(f"streams must be ≥ 1, got {size}")
        self.device = device
        self.size = size
        on_cuda = device.type == "cuda"
        self._make_stream = make_stream or ((lambda: torch.cuda.Stream(device)) if on_cuda else None)
        self._use_stream = use_stream or (torch.cuda.stream if on_cuda else lambda _: contextlib.nullcontext())
        self._free: list[Any] = []
        self._created = 0
        self._available = threading.Condition()

    @property
    def lends_streams(self) -> bool:
        return self._make_stream is not None

    def _borrow(self) -> Any:
        with self._available:
            while not self._free and self._created >= self.size:
                self._available.wait()
            if self._free:
                return self._free.pop()
            self._created += 1
        # Created outside the lock: a new CUDA stream may take a while, and other threads may return theirs.
        assert self._make_stream is not None
        try:
            return self._make_stream()
        except BaseException:
            with self._available:
                self._created -= 1
                self._available.notify()
            raise

    def _give_back(self, stream: Any) -> None:
        with self._available:
            self._free.append(stream)
            self._available.notify()

    @contextlib.contextmanager
    def acquire(self) -> Iterator[Any]:
        """Borrow a stream and make it current for this thread; yields None on a CPU pool.

        Work queued on the stream is finished before it goes back, so tensors made inside may be used after.
        """
        if self._make_stream is None:
            yield None
            return
        stream = self._borrow()
        try:
            with self._use_stream(stream):
                yield stream
            synchronize = getattr(stream, "synchronize", None)
            if synchronize is not None:
                synchronize()
        finally:
            self._give_back(stream)


def record_on_current_stream(*tensors: torch.Tensor) -> None:
    """Tell the CUDA allocator that ``tensors`` (made on another stream, e.g. cached pair motion) are read by
    work queued on this thread's current stream, so their memory is not reused before that work finishes.
    No-op for CPU tensors.
    """
    for tensor in tensors:
        if tensor.is_cuda:
            tensor.record_stream(torch.cuda.current_stream(tensor.device))


def finish_current_stream(device: torch.device) -> None:
    """Wait for the work queued on this thread's current stream of ``device``: a result another thread will
    read from its own stream (cached pair motion) must be complete first. No-op on the CPU."""
    if device.type == "cuda":
        torch.cuda.current_stream(device).synchronize()
