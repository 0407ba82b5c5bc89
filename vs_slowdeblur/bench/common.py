"""Helpers shared by the benchmarks: sample clips, test positions, scores on RGB in [0, 1], tables, machine."""

from __future__ import annotations

import math
import os
import platform
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import vapoursynth as vs

from ..engine.color import to_working
from ..quality import psnr, ssim
from ..samples import sample_path

CLIP_NAMES = ("bikes", "carphone", "bigbuckbunny")
HELD_OUT_CLIPS = (*CLIP_NAMES, "city")  # the deblur benchmark also scores city's held-out shot
MOVING_SPEED = 1.0  # pixels per frame: the moving region's threshold


def load_clip(name: str) -> vs.VideoNode:
    """A sample clip as decoded (YUV420P8, no matrix in its props)."""
    return vs.core.bs.VideoSource(str(sample_path(name)))


def sample_positions(cuts: Sequence[bool], step: int, count: int) -> list[int]:
    """``count`` frames c, spread evenly over the clip, with c a multiple of ``step`` (so c and c+step are
    neighbours in ``clip[::step]``) and no cut inside the window c..c+step."""
    candidates = [c for c in range(0, len(cuts) + 1 - step, step) if not any(cuts[c:c + step])]
    return spread(candidates, count)


def spread(candidates: Sequence[int], count: int) -> list[int]:
    """``count`` of the candidates, evenly spaced (all of them when there are no more than ``count``)."""
    if count >= len(candidates):
        return list(candidates)
    return [candidates[int((i + 0.5) * len(candidates) / count)] for i in range(count)]


def rgb_array(frame: vs.VideoFrame) -> np.ndarray:
    """An RGBS frame as an (H, W, 3) float array clipped to [0, 1] (YUV→RGB overshoots slightly)."""
    return np.clip(np.stack([np.asarray(frame[p]) for p in range(3)], axis=-1), 0.0, 1.0)


def rgb_clip(clip: vs.VideoNode) -> vs.VideoNode:
    """The clip in float RGB, converted exactly as the plugin converts its input."""
    return to_working(clip)


@dataclass(frozen=True)
class Score:
    psnr: float  # dB, RGB in [0, 1], whole frame
    ssim: float
    moving_psnr: float = math.nan  # dB over the moving region, where one was given (nan: none, or no pixel)


def score(result: np.ndarray, truth: np.ndarray, moving: np.ndarray | None = None) -> Score:
    """PSNR and SSIM of (H, W, 3) arrays; ``quality.ssim`` is scikit-image's definition (tests/test_metrics.py).
    ``moving``: an (H, W) bool mask; its pixels' PSNR is ``moving_psnr``."""
    planes_first = (2, 0, 1)
    moving_psnr = psnr(result[moving], truth[moving]) if moving is not None and moving.any() else math.nan
    return Score(psnr(result, truth), ssim(result.transpose(planes_first), truth.transpose(planes_first)),
                 moving_psnr)


def mean_score(scores: Sequence[Score]) -> Score:
    moving = [s.moving_psnr for s in scores if not math.isnan(s.moving_psnr)]
    return Score(statistics.fmean(s.psnr for s in scores), statistics.fmean(s.ssim for s in scores),
                 statistics.fmean(moving) if moving else math.nan)


def clip_weighted_mean(scores_by_clip: Mapping[str, Sequence[Score]]) -> Score:
    """Mean over clips of each clip's mean (every clip weighs the same)."""
    return mean_score([mean_score(scores) for scores in scores_by_clip.values()])


def format_score(value: Score) -> str:
    return f"{value.psnr:.2f} / {value.ssim:.4f}"


def true_motion(previous: np.ndarray, following: np.ndarray) -> np.ndarray:
    """(H, W) speed in pixels per frame at the real frame between two real (H, W, 3) frames two frames apart,
    from the shipped RIFE network (half the displacement across the pair at its middle time)."""
    from ..train.motion import rife_estimator

    estimate = _rife_estimators.setdefault("rife", rife_estimator(torch.get_num_threads()))

    def tensor(frame: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(frame.transpose(2, 0, 1), dtype=np.float32))[None]

    flow = estimate(tensor(previous), tensor(following))[0]
    return (flow[2:4] - flow[0:2]).norm(dim=0).numpy() / 2


_rife_estimators: dict = {}


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    """One line naming the CPU (or GPU), core count and the versions that the numbers depend on."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        model = names[0] if names else model
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"
    plugins = {plugin.namespace: plugin.version.major for plugin in vs.core.plugins()}
    return (f"{os.cpu_count()}-core {platform.machine()} CPU ({model}), {gpu}; Python {platform.python_version()}, "
            f"torch {torch.__version__}, VapourSynth R{vs.core.core_version.release_major}, "
            f"MVTools v{plugins.get('mv', '?')}, BestSource R{plugins.get('bs', '?')}")
