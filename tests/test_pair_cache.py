"""The per-pair cache: one computation per key under races, bounded bytes, failures not cached."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import vapoursynth as vs

import vs_slowdeblur
from vs_slowdeblur.engine.pair_cache import PairCache, live_caches


@dataclass
class Blob:
    nbytes: int


def test_racing_threads_compute_once() -> None:
    cache: PairCache[Blob] = PairCache(max_bytes=1000)
    started = threading.Barrier(8)

    def slow() -> Blob:
        time.sleep(0.2)
        return Blob(10)

    def request(_: int) -> Blob:
        started.wait()
        return cache.get("pair", slow)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(request, range(8)))
    assert cache.computed == 1
    assert all(r is results[0] for r in results)


def test_bytes_are_bounded_least_recently_used_first() -> None:
    cache: PairCache[Blob] = PairCache(max_bytes=25)
    for key in "abc":
        cache.get(key, lambda: Blob(10))
    assert cache.used_bytes == 20
    cache.get("b", lambda: Blob(10))  # hit: no computation
    assert cache.computed == 3
    cache.get("a", lambda: Blob(10))  # "a" was evicted first
    assert cache.computed == 4
    assert cache.peak_bytes == 20 and cache in live_caches()


def test_failed_computation_is_retried() -> None:
    cache: PairCache[Blob] = PairCache(max_bytes=100)
    with pytest.raises(ValueError):
        cache.get("k", lambda: (_ for _ in ()).throw(ValueError("boom")))
    assert cache.get("k", lambda: Blob(1)).nbytes == 1


def test_in_betweens_of_a_pair_cost_one_network_pass(bikes_rgb: vs.VideoNode,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from vs_slowdeblur.models.interpolator import RifeInterpolator

    passes = []
    original = RifeInterpolator.estimate

    def counting(self, frame0, frame1):
        passes.append(1)
        return original(self, frame0, frame1)

    monkeypatch.setattr(RifeInterpolator, "estimate", counting)
    out = vs_slowdeblur.interpolate(bikes_rgb[:3], 5)
    for _ in out.frames():
        pass
    assert len(passes) == 2  # two source pairs, four in-betweens each
    exact = vs_slowdeblur.interpolate(bikes_rgb[:2], 4, timing="exact")
    passes.clear()
    for _ in exact.frames():
        pass
    assert len(passes) == 3  # t=1/2 from the pair, then t=1/4 and t=3/4 from the two halves
