"""A thread-safe cache bounded in bytes, computing each key once even when threads race for it."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Protocol, TypeVar


class Sized(Protocol):
    @property
    def nbytes(self) -> int: ...


V = TypeVar("V", bound=Sized)


class PairCache[V: Sized]:
    """Least-recently-used cache of values with an ``nbytes`` size, bounded by ``max_bytes`` (the newest entry
    is kept even when it alone is larger).

    ``get(key, compute)``: the first caller computes; concurrent callers for the same key wait on its future.
    A failed computation is not cached: its error reaches every waiter and the next call tries again.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, Future[V]] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self.computed = 0  # number of computations run (for tests and benchmarks)
        self.peak_bytes = 0  # largest total held after an insertion (for the soak script)
        _live_caches.add(self)

    @property
    def used_bytes(self) -> int:
        with self._lock:
            return sum(self._sizes.values())

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        with self._lock:
            future = self._entries.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._entries[key] = future
            else:
                self._entries.move_to_end(key)
        if not owner:
            return future.result()
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                self._entries.pop(key, None)
            future.set_exception(exc)
            raise
        future.set_result(value)
        with self._lock:
            self.computed += 1
            if key in self._entries:
                self._sizes[key] = value.nbytes
                self._evict(keep=key)
        return value

    def _evict(self, keep: Hashable) -> None:
        total = sum(self._sizes.values())
        for key in list(self._entries):
            if total <= self.max_bytes:
                break
            if key == keep or key not in self._sizes:  # pending entries have no size yet
                continue
            total -= self._sizes.pop(key)
            del self._entries[key]
        self.peak_bytes = max(self.peak_bytes, total)


_live_caches: weakref.WeakSet[PairCache] = weakref.WeakSet()


def live_caches() -> list[PairCache]:
    """Every PairCache still alive in this process (the soak script checks their sizes)."""
    return list(_live_caches)
