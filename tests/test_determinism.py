"""Random access equals sequential access, thread counts don't change frames, concurrent requests finish."""

from __future__ import annotations

import random
import threading
from concurrent.futures import wait

import numpy as np
import pytest
import vapoursynth as vs
from conftest import planes

import vs_slowdeblur

core = vs.core


def _all_frames(clip: vs.VideoNode, order: list[int]) -> dict[int, np.ndarray]:
    return {n: planes(clip.get_frame(n)) for n in order}


def test_random_access_equals_sequential(bikes_rgb: vs.VideoNode) -> None:
    clip = bikes_rgb[:5]
    sequential = _all_frames(vs_slowdeblur.interpolate(clip, 3), list(range(15)))
    order = list(range(15))
    random.Random(7).shuffle(order)
    shuffled = _all_frames(vs_slowdeblur.interpolate(clip, 3), order)
    for n in range(15):
        assert np.array_equal(sequential[n], shuffled[n]), n


@pytest.fixture
def restore_threads():
    threads = core.num_threads
    yield
    core.num_threads = threads


@pytest.mark.usefixtures("restore_threads")
def test_thread_counts_give_identical_frames(bikes_small: vs.VideoNode) -> None:
    results = []
    for threads in (1, 4):
        core.num_threads = threads
        out = vs_slowdeblur.interpolate(bikes_small[:4], 2)
        results.append([np.asarray(f[0]).copy() for f in out.frames()])
    for a, b in zip(*results, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.usefixtures("restore_threads")
def test_concurrent_random_requests_finish(bikes_small: vs.VideoNode) -> None:
    core.num_threads = 4
    out = vs_slowdeblur.interpolate(bikes_small[:6], 4)
    rng = random.Random(3)
    futures = [out.get_frame_async(rng.randrange(out.num_frames)) for _ in range(40)]
    done, pending = wait(futures, timeout=120)
    assert not pending
    assert all(f.result().width == bikes_small.width for f in done)


def test_model_failure_is_a_vs_error_naming_operator_and_frame(bikes_rgb: vs.VideoNode,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from vs_slowdeblur.models.interpolator import RifeInterpolator

    calls = threading.Event()

    def broken(self, frame0, frame1):
        calls.set()
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(RifeInterpolator, "estimate", broken)
    out = vs_slowdeblur.interpolate(bikes_rgb[:2], 2)
    with pytest.raises(vs.Error, match=r"\(interpolate\) frame 1: RuntimeError: simulated failure"):
        out.get_frame(1)
    assert calls.is_set()
    assert np.array_equal(planes(out.get_frame(0)), planes(bikes_rgb.get_frame(0)))  # others still work
