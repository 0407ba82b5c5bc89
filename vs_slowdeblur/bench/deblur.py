"""``bench deblur``: PSNR/SSIM of the blurry input vs ``deblur`` on held-out frames, at three blur levels.

Blur is made by ``synth_blur`` from the benchmark ranges of ``train.splits`` (never used in training).
Strong: keep_every=4, duty=3/4 (the BIN / Adobe240 recipe); mild: keep_every=1, duty=7/8; near-sharp:
keep_every=4, duty=1/8 (half a source frame of blur), where deblur must do no harm although it is told the
default exposure. Blurry frame i of a segment is scored against real frame keep_every·i of that segment, over
the whole frame and over its moving region: the pixels whose true motion (RIFE on the real frames before and
after) exceeds 1 pixel per frame. The oracle row estimates motion on the real sharp frames at the keyframe
times instead of on the blurry keyframes, which separates motion error from restoration error.
"""

from __future__ import annotations

import math
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
    MOVING_SPEED,
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
    true_motion,
)


@dataclass(frozen=True)
class BlurLevel:
    name: str
    keep_every: int
    duty: float


STRONG = BlurLevel("strong (keep_every=4, duty=3/4)", 4, 0.75)
MILD = BlurLevel("mild (keep_every=1, duty=7/8)", 1, 7 / 8)
NEAR_SHARP = BlurLevel("near-sharp (keep_every=4, duty=1/8), deblur told the default exposure 3/4", 4, 1 / 8)

BLURRY, OURS, PREVIOUS = "blurry input", "motion-deblur (default)", "window-deblur window=1 (previous default)"
ORACLE = "motion-deblur, oracle motion (RIFE on the real sharp frames)"
SECOND_PASS = "motion-deblur, second pass (motion re-estimated on the first pass's output)"
AUTO = 'motion-deblur, exposure="auto" (pooled over the shot)'
# method: (blurry keyframes, real frames at the keyframe times) → restored keyframes
METHODS: dict[str, Callable[[vs.VideoNode, vs.VideoNode], vs.VideoNode]] = {
    BLURRY: lambda blurry, sharp: blurry,
    PREVIOUS: lambda blurry, sharp: deblur(blurry, model="window-deblur", window=1),
    OURS: lambda blurry, sharp: deblur(blurry),
    AUTO: lambda blurry, sharp: deblur(blurry, exposure="auto"),
    SECOND_PASS: lambda blurry, sharp: deblur(blurry, motion_clip=deblur(blurry)),
    ORACLE: lambda blurry, sharp: deblur(blurry, motion_clip=sharp),
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


def sharp_keyframes(segment: vs.VideoNode, keep_every: int) -> vs.VideoNode:
    """The real frames at the blurry keyframes' times (source frame keep_every·i)."""
    return segment if keep_every == 1 else segment.std.SelectEvery(keep_every, 0, modify_duration=False)


def moving_region(truth: vs.VideoNode, frame: int) -> np.ndarray:
    """(H, W) bool: pixels of real frame ``frame`` moving faster than MOVING_SPEED pixels per frame."""
    speed = true_motion(rgb_array(truth.get_frame(frame - 1)), rgb_array(truth.get_frame(frame + 1)))
    return speed > MOVING_SPEED


def run_level(level: BlurLevel, clips: Sequence[str], per_segment: int) -> LevelRun:
    run = LevelRun(level, scores={name: {} for name in METHODS})
    for clip_name in clips:
        for first, segment in segments(clip_name):
            blurry = synth_blur(segment, level.keep_every, duty=level.duty)
            sharp = sharp_keyframes(segment, level.keep_every)
            positions = blurry_positions(segment.num_frames, level.keep_every, per_segment)
            truth = rgb_clip(segment)
            masks = {i: moving_region(truth, level.keep_every * i) for i in positions}
            run.positions.setdefault(clip_name, []).extend((first, i) for i in positions)
            for method_name, method in METHODS.items():
                print(f"deblur {level.name}: {clip_name} {first}, {method_name}", file=sys.stderr)
                output = rgb_clip(method(blurry, sharp))
                requests = [output.get_frame_async(i) for i in positions]  # in parallel, one per worker thread
                run.scores[method_name].setdefault(clip_name, []).extend(
                    score(rgb_array(request.result()), rgb_array(truth.get_frame(level.keep_every * i)), masks[i])
                    for request, i in zip(requests, positions, strict=True))
    return run


def format_moving(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.2f}"


def level_table(run: LevelRun) -> str:
    clips = list(run.positions)
    header = ["method", *(f"{name} PSNR / SSIM / moving" for name in clips), "mean PSNR / SSIM / moving",
              "gain (dB)", "moving gain (dB)"]
    baseline = overall(run, BLURRY)
    rows = []
    for method in METHODS:
        cells = []
        for name in clips:
            mean = mean_score(run.scores[method][name])
            cells.append(f"{format_score(mean)} / {format_moving(mean.moving_psnr)}")
        mean = overall(run, method)
        rows.append([method, *cells, f"**{format_score(mean)} / {format_moving(mean.moving_psnr)}**",
                     f"{mean.psnr - baseline.psnr:+.2f}", f"{mean.moving_psnr - baseline.moving_psnr:+.2f}"])
    positions = "; ".join(f"{name}: " + ", ".join(f"{first}+{run.level.keep_every}·{i}" for first, i in p)
                          for name, p in run.positions.items())
    return markdown_table(header, rows) + f"\n\nScored frames (source frame = segment start + keep_every·i): " \
                                          f"{positions}. Moving: PSNR over the pixels whose true motion exceeds " \
                                          f"{MOVING_SPEED:g} pixel per frame."


def overall(run: LevelRun, method: str) -> Score:
    return clip_weighted_mean(run.scores[method])


def clip_gains(run: LevelRun, method: str) -> dict[str, float]:
    """Per clip: the method's mean PSNR minus the blurry input's (dB)."""
    return {name: mean_score(run.scores[method][name]).psnr - mean_score(run.scores[BLURRY][name]).psnr
            for name in run.positions}


def seconds_per_frame(width: int, height: int, frames: int, model: str) -> float:
    """Median wall seconds of one ``deblur`` frame (default settings, requested one at a time, each needing one
    new pair of motion) at width×height."""
    clip = load_clip("bikes")[76:76 + frames + 2].resize.Bicubic(width, height)
    output = deblur(clip, model=model, device="cpu")  # the target is CPU time, also on a machine with a GPU
    output.get_frame(0)  # model load and the first pair
    times = []
    for n in range(1, frames + 1):
        start = time.perf_counter()
        output.get_frame(n)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def most_blurred_box(error: np.ndarray, width: int, height: int) -> tuple[int, int]:
    """(left, top) of the width×height box, on a 16-pixel grid, where the blur does the most damage (largest
    mean of ``error``, the (H, W) squared difference between the blurry and the real frame). Motion alone
    would pick a textureless sky, where flow is noise and blur changes nothing."""
    best, corner = -1.0, (0, 0)
    for top in range(0, error.shape[0] - height + 1, 16):
        for left in range(0, error.shape[1] - width + 1, 16):
            mean = float(error[top:top + height, left:left + width].mean())
            if mean > best:
                best, corner = mean, (left, top)
    return corner


def crop_comparison(path: Path, clip_names: Sequence[str] = ("bikes", "city"), size: tuple[int, int] = (240, 160)
                    ) -> str:
    """Write, for each clip, blurry | deblur | ground truth crops (strong blur) of its most blurred box, one row
    per clip, as a PNG; returns a caption."""
    rows = []
    for clip_name in clip_names:
        first, segment = segments(clip_name)[0]
        blurry = synth_blur(segment, STRONG.keep_every, duty=STRONG.duty)
        i = blurry_positions(segment.num_frames, STRONG.keep_every, 3)[1]
        source = STRONG.keep_every * i
        frames = [rgb_array(rgb_clip(c).get_frame(n)) for c, n in ((blurry, i), (deblur(blurry), i), (segment, source))]
        rows.append((f"{clip_name} source frame {first + source}", frames))
    return "strong blur, blurry input | deblur | real frame; rows: " + save_crops(path, rows, size)


def save_crops(path: Path, rows: Sequence[tuple[str, list[np.ndarray]]], size: tuple[int, int]) -> str:
    """Write a PNG with one row per (name, (H, W, 3) frames, the real frame last): the frames' crops of the
    ``size`` box where the first frame misses the real one most, side by side. Returns the rows' captions."""
    width, height = size
    strips, captions = [], []
    for name, frames in rows:
        left, top = most_blurred_box(((frames[0] - frames[-1]) ** 2).sum(-1), width, height)
        tiles = [frame[top:top + height, left:left + width] for frame in frames]
        strips.append(np.concatenate([np.pad(t, ((0, 4), (0, 4), (0, 0)), constant_values=1.0) for t in tiles], axis=1))
        captions.append(f"{name} (crop {width}x{height} at ({left}, {top}))")
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((np.concatenate(strips) * 255 + 0.5).astype(np.uint8)).save(path)
    return "; ".join(captions)


def report(clips: Sequence[str], per_segment: int, speed_frames: int, image: Path | None) -> str:
    sections, runs = [], {}
    for level in (STRONG, MILD, NEAR_SHARP):
        runs[level] = run_level(level, clips, per_segment)
        sections.append(f"### Deblur, {level.name} blur\n\n{level_table(runs[level])}")
    sections.append(f"### Target checks\n\n{target_table(runs, speed_frames)}")
    if image is not None:
        caption = crop_comparison(image)
        sections.append(f"### Crop comparison\n\n![{caption}]({image.name})\n\n{caption}.")
    return "\n\n".join(sections) + "\n"


def target_table(runs: dict[BlurLevel, LevelRun], speed_frames: int) -> str:
    def gain(level: BlurLevel, moving: bool = False) -> float:
        ours, blurry = overall(runs[level], OURS), overall(runs[level], BLURRY)
        return ours.moving_psnr - blurry.moving_psnr if moving else ours.psnr - blurry.psnr

    def check(name: str, value: float, target: str, passed: bool) -> list[str]:
        return [name, f"{value:+.2f} dB", target, "pass" if passed else "FAIL"]

    worst = min(clip_gains(runs[STRONG], OURS).items(), key=lambda item: item[1])
    rows = [check("strong blur: deblur − blurry input", gain(STRONG), "≥ +1.5 dB (stretch +2.5)", gain(STRONG) >= 1.5),
            check("strong blur, moving region: deblur − blurry input", gain(STRONG, True), "≥ +3 dB",
                  gain(STRONG, True) >= 3),
            check(f"strong blur, worst clip ({worst[0]})", worst[1], "≥ −0.1 dB", worst[1] >= -0.1),
            check("mild blur: deblur − blurry input", gain(MILD), "≥ 0 dB", gain(MILD) >= 0),
            check("near-sharp input: deblur − input", gain(NEAR_SHARP), "≥ −0.1 dB", gain(NEAR_SHARP) >= -0.1)]
    if speed_frames:
        for model, name in (("motion-deblur", "default"), ("window-deblur", "previous")):
            seconds = seconds_per_frame(640, 480, speed_frames, model)
            rows.append([f"CPU seconds per 640x480 frame, {model} ({name})", f"{seconds:.2f} s", "≤ 2 s",
                         "pass" if seconds <= 2 else "FAIL"])
    return markdown_table(["check", "value", "target", "result"], rows)
