"""Blur made from real footage: the training shots of the sample clips, densified by ``interpolate`` to
``SUBFRAMES`` sub-frames per source interval (once, cached as uint8 arrays), then averaged over random exposures
with ``synth_blur``'s own weights. The sharp target is always a real source frame.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import vapoursynth as vs

from ..bench.common import rgb_array
from ..engine.color import to_working
from ..filters.interpolate import interpolate
from ..filters.synth_blur import exposure_weights
from ..paths import cache_dir
from ..samples import sample_path
from .synthetic import degrade, random_degradation

SUBFRAMES = 4  # sub-frames per source frame interval
MAX_HEIGHT = 360  # larger clips are scaled down before densifying (pixels)
KEEP_EVERY_CHOICES = (1, 2, 3, 4)
KEEP_EVERY_ODDS = (0.25, 0.15, 0.2, 0.4)


def dense_segment(clip_name: str, first: int, last: int) -> np.ndarray:
    """Source frames first..last (inclusive) with SUBFRAMES−1 interpolated frames between neighbours:
    (SUBFRAMES·(last−first) + 1, H, W, 3) uint8 RGB, where index SUBFRAMES·i is real frame first + i."""
    path = cache_dir() / "train" / f"{clip_name}-{first}-{last}-x{SUBFRAMES}-h{MAX_HEIGHT}.npy"
    if path.exists():
        return np.load(path, mmap_mode="r")
    clip = to_working(vs.core.bs.VideoSource(str(sample_path(clip_name)))[first:last + 1])
    if clip.height > MAX_HEIGHT:
        width = round(clip.width * MAX_HEIGHT / clip.height / 2) * 2
        clip = clip.resize.Bicubic(width, MAX_HEIGHT)
    dense = interpolate(clip, SUBFRAMES)[:SUBFRAMES * (clip.num_frames - 1) + 1]
    frames = np.stack([_rgb_uint8(frame) for frame in dense.frames()])
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial.npy")
    np.save(partial, frames)
    partial.replace(path)
    return frames


def _rgb_uint8(frame: vs.VideoFrame) -> np.ndarray:
    return (rgb_array(frame) * 255 + 0.5).astype(np.uint8)


def dense_segments(ranges: dict[str, tuple[tuple[int, int], ...]]) -> list[np.ndarray]:
    return [dense_segment(name, first, last) for name, spans in ranges.items() for first, last in spans]


def sharp_frames(segments: list[np.ndarray]) -> list[np.ndarray]:
    """The real (not interpolated) frames of densified segments, as (H, W, 3) uint8."""
    return [np.asarray(frame) for segment in segments for frame in segment[::SUBFRAMES]]


def real_window(segments: list[np.ndarray], rng: np.random.Generator, patch: int, window_radius: int,
                keep_every: int | None = None, duty: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """A blurry window (2r+1, 3, patch, patch) at 1/keep_every of the source rate around a real frame, and that
    real frame (3, patch, patch). Random keep_every and duty unless given."""
    if keep_every is None:
        keep_every = int(rng.choice(KEEP_EVERY_CHOICES, p=KEEP_EVERY_ODDS))
    if duty is None:
        duty = float(rng.uniform(0.3, 1.0))
    weights = exposure_weights(duty, keep_every, SUBFRAMES)
    stride = keep_every * SUBFRAMES  # dense frames between window frames
    span = window_radius * stride + max(abs(offset) for offset in weights)
    usable = [s for s in segments if len(s) > 2 * span + 1 and min(s.shape[1:3]) >= patch]
    segment = usable[int(rng.integers(len(usable)))]
    centre = SUBFRAMES * int(rng.integers(-(-span // SUBFRAMES), (len(segment) - 1 - span) // SUBFRAMES + 1))
    top = int(rng.integers(segment.shape[1] - patch + 1))
    left = int(rng.integers(segment.shape[2] - patch + 1))

    def pixels(index: int) -> np.ndarray:
        return segment[index, top:top + patch, left:left + patch].astype(np.float32) / 255

    degradation = random_degradation(rng)
    window = []
    for k in range(-window_radius, window_radius + 1):
        mid = centre + k * stride
        blurry = sum(weight * pixels(mid + offset) for offset, weight in weights.items())
        window.append(degrade(torch.from_numpy(blurry).permute(2, 0, 1), degradation, rng))
    return torch.stack(window), torch.from_numpy(pixels(centre)).permute(2, 0, 1)


def photo_paths(names: tuple[str, ...]) -> list[Path]:
    """Paths of photos bundled with scikit-image (found through its package data, not its API)."""
    import skimage

    folder = Path(skimage.__file__).parent / "data"
    return [folder / name for name in names]
