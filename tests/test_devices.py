"""Device lists, deterministic pair → device assignment, the bounded stream pool and its use by the engines."""

from __future__ import annotations

import contextlib
import inspect
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import torch
import vapoursynth as vs

import vs_slowdeblur
from vs_slowdeblur.engine import deblur, interpolation, motion_deblur
from vs_slowdeblur.engine.devices import DeviceRoundRobin, parse_devices
from vs_slowdeblur.engine.motion_deblur import MotionDeblurEngine
from vs_slowdeblur.engine.streams import StreamPool, record_on_current_stream
from vs_slowdeblur.models.deblurnet import WindowDeblurNet
from vs_slowdeblur.models.interpolator import RifeInterpolator

CPU = torch.device("cpu")
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only behaviour")
gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_cpu_in_any_spelling_is_one_cpu() -> None:
    assert parse_devices("cpu") == [CPU]
    assert parse_devices(["cpu"]) == [CPU]


@no_cuda
def test_none_means_the_cpu_without_a_gpu() -> None:
    assert parse_devices(None) == [CPU]


@no_cuda
@pytest.mark.parametrize("spec", ["cuda", "cuda:0", ["cuda:0", "cuda:1"]])
def test_cuda_without_a_gpu_says_to_use_the_cpu(spec: str | list[str]) -> None:
    with pytest.raises(ValueError, match=r"no CUDA GPU is available; use device='cpu'"):
        parse_devices(spec)


@no_cuda
def test_a_bad_list_entry_is_named_by_position() -> None:
    with pytest.raises(ValueError, match=r"device\[1\]: device 'cuda:1' was requested but no CUDA GPU"):
        parse_devices(["cpu", "cuda:1"])


@pytest.mark.parametrize(("spec", "message"), [
    ("gpu", r"device must be 'cpu', 'cuda' or 'cuda:N', got 'gpu'"),
    (3, r"device must be None, 'cpu', 'cuda', 'cuda:N' or a list of them, got 3"),
    (["cpu", 0], r"got \['cpu', 0\]"),
    ([], r"device must name at least one device, got \[\]; use device=None"),
    (["cpu", "cpu"], r"device lists a device twice, got \['cpu', 'cpu'\]; name each GPU once"),
])
def test_bad_specs_name_the_parameter_the_value_and_the_fix(spec: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_devices(spec)  # type: ignore[arg-type]


def test_pairs_go_round_robin_whatever_the_order_they_are_asked_in() -> None:
    gpus = [torch.device("cuda", 0), torch.device("cuda", 1), torch.device("cuda", 2)]  # never touched
    robin = DeviceRoundRobin(gpus)
    assert len(robin) == 3
    assert [robin.for_pair(n) for n in range(7)] == [gpus[n % 3] for n in range(7)]
    seen: dict[int, torch.device] = {}

    def ask(pairs: range) -> None:
        for n in pairs:
            seen[n] = robin.for_pair(n)

    threads = [threading.Thread(target=ask, args=(range(start, 300, 4),)) for start in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(device == gpus[n % 3] for n, device in seen.items()) and len(seen) == 300


def test_one_device_takes_every_pair() -> None:
    robin = DeviceRoundRobin.from_spec("cpu")
    assert {robin.for_pair(n) for n in range(10)} == {CPU}


@gpu
@pytest.mark.gpu
def test_cuda_and_cuda_0_are_the_same_gpu_and_cpu_does_not_mix_with_it() -> None:
    assert parse_devices(["cuda:0"]) == [torch.device("cuda", 0)]
    with pytest.raises(ValueError, match="device lists a device twice"):
        parse_devices(["cuda", "cuda:0"])
    with pytest.raises(ValueError, match="device mixes CPU and CUDA"):
        parse_devices(["cuda:0", "cpu"])
    count = torch.cuda.device_count()
    with pytest.raises(ValueError, match=rf"device\[0\]: device 'cuda:{count}' does not exist"):
        parse_devices([f"cuda:{count}"])


def test_plain_cuda_names_the_gpu_current_when_the_filter_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """'cuda' alone becomes 'cuda:N' for the current GPU. Left bare, the model loaded on the script's current
    GPU while worker threads (each with its own current device, 0) would put frames on another one, and
    'cuda' and 'cuda:1' loaded two copies of the model."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)
    assert parse_devices("cuda") == parse_devices(None) == [torch.device("cuda", 1)]
    assert parse_devices("cuda:0") == [torch.device("cuda", 0)]


# Stream pool


def test_a_cpu_pool_lends_nothing() -> None:
    pool = StreamPool(CPU, 2)
    assert not pool.lends_streams
    with pool.acquire() as stream:
        assert stream is None


def test_recording_cpu_tensors_on_a_stream_does_nothing() -> None:
    record_on_current_stream(torch.zeros(2), torch.ones(3))


def test_a_pool_needs_at_least_one_stream() -> None:
    with pytest.raises(ValueError, match="streams must be ≥ 1, got 0"):
        StreamPool(CPU, 0)


class FakeStream:
    """Stands in for torch.cuda.Stream: records when its work is waited for."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.synchronized = 0

    def synchronize(self) -> None:
        self.synchronized += 1


class FakeCuda:
    """A stream factory and a 'current stream' per thread, as torch.cuda.stream sets it."""

    def __init__(self) -> None:
        self.made: list[FakeStream] = []
        self.current = threading.local()

    def make(self) -> FakeStream:
        self.made.append(FakeStream(len(self.made)))
        return self.made[-1]

    @contextlib.contextmanager
    def use(self, stream: FakeStream) -> Iterator[None]:
        previous = getattr(self.current, "stream", None)
        self.current.stream = stream
        try:
            yield
        finally:
            self.current.stream = previous


def test_at_most_size_streams_are_lent_at_once_and_they_are_reused() -> None:
    cuda = FakeCuda()
    pool = StreamPool(CPU, 2, make_stream=cuda.make, use_stream=cuda.use)
    lock = threading.Lock()
    in_use: set[int] = set()
    peak = 0
    borrowed: list[int] = []

    def render_frame() -> None:
        nonlocal peak
        with pool.acquire() as stream:
            assert cuda.current.stream is stream  # the borrowed stream is this thread's current one
            with lock:
                assert stream.number not in in_use  # never lent to two threads at once
                in_use.add(stream.number)
                peak = max(peak, len(in_use))
                borrowed.append(stream.number)
            time.sleep(0.01)
            with lock:
                in_use.discard(stream.number)
        assert getattr(cuda.current, "stream", None) is None

    threads = [threading.Thread(target=lambda: [render_frame() for _ in range(5)]) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(borrowed) == 30
    assert peak == 2 and len(cuda.made) == 2
    assert sum(stream.synchronized for stream in cuda.made) == 30  # each frame's work finished before return


def test_a_waiting_thread_gets_the_stream_given_back() -> None:
    cuda = FakeCuda()
    pool = StreamPool(CPU, 1, make_stream=cuda.make, use_stream=cuda.use)
    got: list[FakeStream] = []
    with pool.acquire() as first:
        waiter = threading.Thread(target=lambda: got.append(pool.acquire().__enter__()))
        waiter.start()
        waiter.join(timeout=0.2)
        assert waiter.is_alive() and not got  # blocked while the only stream is out
    waiter.join(timeout=5)
    assert got == [first]


def test_an_error_inside_gives_the_stream_back() -> None:
    cuda = FakeCuda()
    pool = StreamPool(CPU, 1, make_stream=cuda.make, use_stream=cuda.use)
    with pytest.raises(RuntimeError, match="network failed"), pool.acquire():
        raise RuntimeError("network failed")
    with pool.acquire() as stream:
        assert stream is cuda.made[0]


def test_a_failed_stream_creation_frees_its_slot() -> None:
    attempts = []

    def make() -> FakeStream:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("CUDA error: out of resources")
        return FakeStream(len(attempts))

    pool = StreamPool(CPU, 1, make_stream=make)
    with pytest.raises(RuntimeError, match="out of resources"), pool.acquire():
        pass
    with pool.acquire() as stream:
        assert isinstance(stream, FakeStream)


@gpu
@pytest.mark.gpu
def test_real_cuda_streams_are_current_inside_and_results_are_ready_after() -> None:
    device = torch.device("cuda", 0)
    pool = StreamPool(device, 2)
    results: list[torch.Tensor] = []
    streams: list[torch.cuda.Stream] = []

    def work(seed: int) -> None:
        with pool.acquire() as stream:
            assert torch.cuda.current_stream(device) == stream
            streams.append(stream)
            x = torch.full((1024, 1024), float(seed), device=device)
            record_on_current_stream(x)
            results.append((x @ x).sum())

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6 and len({id(s) for s in streams}) <= 2
    expected = sorted(float(n * n * 1024 * 1024 * 1024) for n in range(6))
    assert sorted(float(r) for r in results) == pytest.approx(expected, rel=1e-3)


def _planes(frame: vs.VideoFrame) -> list[np.ndarray]:
    return [np.array(frame[p], copy=True) for p in range(frame.format.num_planes)]


def test_every_network_pass_of_the_operators_runs_on_a_borrowed_stream(bikes_small: vs.VideoNode,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The operators' engines borrow a stream per frame (fakes stand in for CUDA's); the output is unchanged."""
    shot = bikes_small[:4].resize.Bicubic(96, 48)
    operators = {"slowmo": lambda: vs_slowdeblur.slowmo(shot, 2, streams=1),
                 "window-deblur": lambda: vs_slowdeblur.deblur(shot, model="window-deblur", streams=1)}
    expected = {name: [_planes(f) for f in make().frames()] for name, make in operators.items()}
    cuda = FakeCuda()
    passes_off_stream: list[str] = []

    def fake_pool(device: torch.device, size: int) -> StreamPool:
        return StreamPool(device, size, make_stream=cuda.make, use_stream=cuda.use)

    def on_stream(name: str, method: Callable) -> Callable:
        def checked(*args: Any, **kwargs: Any) -> Any:
            if getattr(cuda.current, "stream", None) is None:
                passes_off_stream.append(name)
            return method(*args, **kwargs)
        return checked

    for module in (interpolation, motion_deblur, deblur):
        monkeypatch.setattr(module, "StreamPool", fake_pool)
    for cls, name in ((RifeInterpolator, "estimate"), (RifeInterpolator, "synthesize"),
                      (MotionDeblurEngine, "run_model"), (WindowDeblurNet, "restore")):
        checked = on_stream(name, getattr(cls, name))
        static = isinstance(inspect.getattr_static(cls, name), staticmethod)
        monkeypatch.setattr(cls, name, staticmethod(checked) if static else checked)
    for name, make in operators.items():
        assert all(np.array_equal(a, b) for x, f in zip(expected[name], make().frames(), strict=True)
                   for a, b in zip(x, _planes(f), strict=True))
    assert passes_off_stream == []
    borrowed = sum(stream.synchronized for stream in cuda.made)
    assert len(cuda.made) == 4  # slowmo: deblur's engine, its motion engine, interpolation; window-deblur's
    assert borrowed >= 4 + 3 + 4  # restored keyframes, in-betweens, window-deblur's frames
