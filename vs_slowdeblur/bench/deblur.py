"""``bench deblur``: PSNR/SSIM of the blurry input vs ``deblur`` on held-out frames, strong and mild blur.

Blur is made by ``synth_blur`` from the benchmark ranges of ``train.splits`` (never used in training).
Strong: keep_every=4, duty=3/4 (the BIN / Adobe240 recipe); mild: keep_every=1, duty=7/8. Blurry frame i of a
segment is scored against real frame keep_every·i of that segment.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import vapoursynth as vs
from PIL import Image

from ..filters.deblur import deblur
from ..filters.synth_blur import synth_blur
from ..train.splits import BENCHMARK
from .common import (
    Score,
    clip_weighted_mean,
    format_score,
    load_clip,
    markdown_table,
    mean_score,
    rgb_array,
    rgb_clip,
    score,
    spread,
)


@dataclass(frozen=True)
class BlurLevel:
    name: str
    keep_every: int
    duty: float


STRONG = BlurLevel("strong (keep_every=4, duty=3/4)", 4, 0.75)
MILD = BlurLevel("mild (keep_every=1, duty=7/8)", 1, 7 / 8)

METHODS: dict[str, Callable[[vs.VideoNode], vs.VideoNode]] = {
    "blurry input": lambda clip: clip,
    "deblur window=0 (single frame)": lambda clip: deblur(clip, window=0),
    "deblur window=1 (default)": lambda clip: deblur(clip),
    "deblur window=2": lambda clip: deblur(clip, window=2),
}


@dataclass
class LevelRun:
    level: BlurLevel
    positions: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # clip → (segment, blurry frame)
    scores: dict[str, dict[str, list[Score]]] = field(default_factory=dict)  # method → clip → scores


def segments(clip_name: str) -> list[tuple[int, vs.VideoNode]]:
    """(first source frame, clip) for each benchmark range of a sample clip."""
    clip = load_clip(clip_name)
    return [(first, clip[first:last + 1]) for first, last in BENCHMARK[clip_name]]


def blurry_positions(length: int, keep_every: int, count: int) -> list[int]:
    """``count`` blurry frames spread over a segment, away from its ends: the window (radius ≤ 2) stays inside.
    At the last candidate, an outer neighbour's exposure can reach past the segment's last source frame (it is
    then clamped), which only ``--positions`` of 13 or more reaches."""
    blurry_length = -(-length // keep_every)
    return spread(range(2, blurry_length - 2), count)


def run_level(level: BlurLevel, clips: Sequence[str], per_segment: int) -> LevelRun:
    run = LevelRun(level, scores={name: {} for name in METHODS})
    for clip_name in clips:
        for first, segment in segments(clip_name):
            blurry = synth_blur(segment, level.keep_every, duty=level.duty)
            positions = blurry_positions(segment.num_frames, level.keep_every, per_segment)
            truth = rgb_clip(segment)
            run.positions.setdefault(clip_name, []).extend((first, i) for i in positions)
            for method_name, method in METHODS.items():
                print(f"deblur {level.name}: {clip_name} {first}, {method_name}", file=sys.stderr)
                output = rgb_clip(method(blurry))
                run.scores[method_name].setdefault(clip_name, []).extend(
                    score(rgb_array(output.get_frame(i)), rgb_array(truth.get_frame(level.keep_every * i)))
                    for i in positions)
    return run


def level_table(run: LevelRun) -> str:
    clips = list(run.positions)
    header = ["method", *(f"{name} PSNR / SSIM" for name in clips), "mean PSNR / SSIM", "gain (dB)"]
    baseline = overall(run, "blurry input").psnr
    rows = []
    for method in METHODS:
        cells = [format_score(mean_score(run.scores[method][name])) for name in clips]
        mean = overall(run, method)
        rows.append([method, *cells, f"**{format_score(mean)}**", f"{mean.psnr - baseline:+.2f}"])
    positions = "; ".join(f"{name}: " + ", ".join(f"{first}+{run.level.keep_every}·{i}" for first, i in p)
                          for name, p in run.positions.items())
    return markdown_table(header, rows) + f"\n\nScored frames (source frame = segment start + keep_every·i): " \
                                          f"{positions}."


def overall(run: LevelRun, method: str) -> Score:
    return clip_weighted_mean(run.scores[method])


def seconds_per_frame(width: int, height: int, frames: int) -> float:
    """Median wall seconds of one ``deblur`` frame (window=1, requested one at a time) at width×height."""
    clip = load_clip("bikes")[76:76 + frames + 2].resize.Bicubic(width, height)
    output = deblur(clip, device="cpu")  # the target is CPU time, also on a machine with a GPU
    output.get_frame(0)  # model load and first encodings
    times = []
    for n in range(1, frames + 1):
        start = time.perf_counter()
        output.get_frame(n)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def crop_comparison(path: Path, clip_name: str = "bikes", box: tuple[int, int, int, int] = (300, 60, 240, 160)
                    ) -> str:
    """Write blurry | deblurred | ground truth crops (strong blur) side by side as a PNG; returns a caption."""
    first, segment = segments(clip_name)[0]
    blurry = synth_blur(segment, STRONG.keep_every, duty=STRONG.duty)
    i = blurry_positions(segment.num_frames, STRONG.keep_every, 3)[1]
    left, top, width, height = box
    tiles = [rgb_array(rgb_clip(c).get_frame(n))[top:top + height, left:left + width]
             for c, n in ((blurry, i), (deblur(blurry), i), (segment, STRONG.keep_every * i))]
    image = np.concatenate([np.pad(t, ((0, 0), (0, 4), (0, 0)), constant_values=1.0) for t in tiles], axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((image * 255 + 0.5).astype(np.uint8)).save(path)
    return (f"{clip_name} source frame {first + STRONG.keep_every * i}, strong blur; crop {width}x{height} at "
            f"({left}, {top}): blurry input | deblur | real frame")


def report(clips: Sequence[str], per_segment: int, speed_frames: int, image: Path | None) -> str:
    sections, gains = [], {}
    for level in (STRONG, MILD):
        run = run_level(level, clips, per_segment)
        gains[level] = overall(run, "deblur window=1 (default)").psnr - overall(run, "blurry input").psnr
        sections.append(f"### Deblur, {level.name} blur\n\n{level_table(run)}")
    rows = [["strong blur: deblur − blurry input", f"{gains[STRONG]:+.2f} dB", "≥ +2.5 dB (stretch +4)",
             "pass" if gains[STRONG] >= 2.5 else "FAIL"],
            ["mild blur: deblur − blurry input", f"{gains[MILD]:+.2f} dB", "≥ −0.1 dB",
             "pass" if gains[MILD] >= -0.1 else "FAIL"]]
    if speed_frames:
        seconds = seconds_per_frame(640, 480, speed_frames)
        rows.append(["CPU seconds per 640x480 frame (window=1)", f"{seconds:.2f} s", "≤ 2 s",
                     "pass" if seconds <= 2 else "FAIL"])
    sections.append(f"### Target checks\n\n{markdown_table(['check', 'value', 'target', 'result'], rows)}")
    if image is not None:
        caption = crop_comparison(image)
        sections.append(f"### Crop comparison\n\n![{caption}]({image.name})\n\n{caption}.")
    return "\n\n".join(sections) + "\n"
