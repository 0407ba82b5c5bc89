"""``bench joint``: blurry low-rate keyframes → sharp high-rate frames, scored on the real in-between frames.

Strong blur: ``synth_blur(segment, 4, duty=3/4)`` gives one blurry keyframe per 4 real frames, and each method
raises the rate 4x; output frame 4i+r (r = 1..3) is scored against real frame 4i+r. Mild blur:
``synth_blur(segment, 1, duty=7/8)[::2]`` and 2x; output frame 2i+1 against real frame 2i+1. Segments are the
held-out benchmark ranges of ``train.splits``. The row "interpolate (real sharp keyframes)" feeds interpolate
the real frames at the keyframe times: what deblur-then-interpolate would score with a perfect deblur.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import vapoursynth as vs

from ..filters.deblur import deblur
from ..filters.extract import extract
from ..filters.interpolate import interpolate
from ..filters.slowmo import slowmo
from ..filters.synth_blur import synth_blur
from .common import (
    MOVING_SPEED,
    Score,
    clip_weighted_mean,
    format_score,
    markdown_table,
    mean_score,
    rgb_array,
    rgb_clip,
    score,
)
from .deblur import blurry_positions, format_moving, moving_region, save_crops, segments
from .interp import blend, mvtools


@dataclass(frozen=True)
class JointTask:
    name: str
    keep_every: int  # blur: sub-sampling of synth_blur
    duty: float
    factor: int  # rate increase asked of each method (keyframe i ↔ real frame factor·i)


STRONG = JointTask("strong blur, joint 4x (keep_every=4, duty=3/4)", 4, 0.75, 4)
MILD = JointTask("mild blur, joint 2x (keep_every=1, duty=7/8, every 2nd frame kept)", 1, 7 / 8, 2)


@dataclass(frozen=True)
class Method:
    make: Callable[[vs.VideoNode, int], vs.VideoNode]  # (keyframes, factor) → clip at factor × their rate
    sharp_keyframes: bool = False  # True: fed the real sharp frames at the keyframe times, not the blurry ones


REFERENCE, OURS = "interpolate (blurry keyframes)", "slowmo (ours, joint)"
CEILING = "interpolate (real sharp keyframes)"
METHODS: dict[str, Method] = {
    "blend": Method(blend),
    "MVTools FlowFPS": Method(mvtools),
    REFERENCE: Method(interpolate),
    OURS: Method(slowmo),
    CEILING: Method(interpolate, sharp_keyframes=True),  # a perfect deblur, then interpolate: not a real input
}


@dataclass
class JointRun:
    task: JointTask
    positions: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # clip → (segment start, keyframe)
    scores: dict[str, dict[str, list[Score]]] = field(default_factory=dict)  # method → clip → scores


def keyframes(segment: vs.VideoNode, task: JointTask) -> vs.VideoNode:
    blurry = synth_blur(segment, task.keep_every, duty=task.duty)
    step = task.factor // task.keep_every
    return blurry if step == 1 else blurry.std.SelectEvery(step, 0, modify_duration=False)


def sharp_keyframes(segment: vs.VideoNode, task: JointTask) -> vs.VideoNode:
    """The real frames at the keyframe times (source frame factor·i)."""
    return segment.std.SelectEvery(task.factor, 0, modify_duration=False)


def run_task(task: JointTask, clips: Sequence[str], per_segment: int) -> JointRun:
    run = JointRun(task, scores={name: {} for name in METHODS})
    for clip_name in clips:
        for first, segment in segments(clip_name):
            blurry, sharp = keyframes(segment, task), sharp_keyframes(segment, task)
            positions = blurry_positions(segment.num_frames, task.factor, per_segment)
            truth = rgb_clip(segment)
            run.positions.setdefault(clip_name, []).extend((first, i) for i in positions)
            for method_name, method in METHODS.items():
                print(f"joint {task.name}: {clip_name} {first}, {method_name}", file=sys.stderr)
                output = rgb_clip(method.make(sharp if method.sharp_keyframes else blurry, task.factor))
                run.scores[method_name].setdefault(clip_name, []).extend(
                    score(rgb_array(output.get_frame(task.factor * i + r)),
                          rgb_array(truth.get_frame(task.factor * i + r)))
                    for i in positions for r in range(1, task.factor))
    return run


# In-exposure rows (strong blur only: keyframe i's exposure covers real frames 4i−1 … 4i+1; at mild blur no other
# real frame falls inside an exposure). method: (blurry keyframes → clip, (keyframe i, offset r) → its frame).
IN_EXPOSURE_OFFSETS = (-1, 1)  # real frames 4i+r scored, inside keyframe i's exposure and not at its middle
EXTRACT = "extract (count=3, exposure=3/4)"
UNMOVED = "deblur (the keyframe's middle, not moved)"
IN_EXPOSURE_METHODS: dict[str, tuple[Callable[[vs.VideoNode], vs.VideoNode], Callable[[int, int], int]]] = {
    REFERENCE: (lambda keys: interpolate(keys, 4), lambda i, r: 4 * i + r),
    OURS: (lambda keys: slowmo(keys, 4), lambda i, r: 4 * i + r),
    UNMOVED: (deblur, lambda i, r: i),
    EXTRACT: (lambda keys: extract(keys, 3, exposure=0.75), lambda i, r: 3 * i + 1 + r),
}


def run_in_exposure(clips: Sequence[str], per_segment: int) -> JointRun:
    """Scores of the real frames inside the strong-blur keyframes' exposures, over the whole frame and its
    moving region (``bench deblur``'s)."""
    task = STRONG
    run = JointRun(task, scores={name: {} for name in IN_EXPOSURE_METHODS})
    for clip_name in clips:
        for first, segment in segments(clip_name):
            blurry = keyframes(segment, task)
            positions = blurry_positions(segment.num_frames, task.factor, per_segment)
            truth = rgb_clip(segment)
            targets = [(i, r) for i in positions for r in IN_EXPOSURE_OFFSETS]
            masks = {t: moving_region(truth, task.factor * t[0] + t[1]) for t in targets}
            run.positions.setdefault(clip_name, []).extend((first, i) for i in positions)
            for method_name, (make, frame_of) in IN_EXPOSURE_METHODS.items():
                print(f"joint in-exposure: {clip_name} {first}, {method_name}", file=sys.stderr)
                output = rgb_clip(make(blurry))
                run.scores[method_name].setdefault(clip_name, []).extend(
                    score(rgb_array(output.get_frame(frame_of(i, r))),
                          rgb_array(truth.get_frame(task.factor * i + r)), masks[i, r]) for i, r in targets)
    return run


def in_exposure_table(run: JointRun) -> str:
    """The in-exposure scores as markdown: per clip, the clip-weighted mean and the gain over interpolate."""
    clips = list(run.positions)
    header = ["method", *(f"{name} PSNR / SSIM / moving" for name in clips), "mean PSNR / SSIM / moving",
              "gain (dB)", "moving gain (dB)"]
    reference = clip_weighted_mean(run.scores[REFERENCE])
    rows = []
    for method in IN_EXPOSURE_METHODS:
        cells = [score_and_moving(mean_score(run.scores[method][name])) for name in clips]
        mean = clip_weighted_mean(run.scores[method])
        rows.append([method, *cells, f"**{score_and_moving(mean)}**", f"{mean.psnr - reference.psnr:+.2f}",
                     f"{mean.moving_psnr - reference.moving_psnr:+.2f}"])
    return markdown_table(header, rows) + (
        f"\n\nReal frames 4i−1 and 4i+1 of the keyframes above (inside keyframe i's exposure, which covers 4i ± 1.5); "
        f"interpolate and slowmo give them as their output frames 4i ± 1, extract as its frames 3i and 3i+2. Moving: "
        f"PSNR over the pixels whose true motion exceeds {MOVING_SPEED:g} pixel per frame.")


def score_and_moving(value: Score) -> str:
    """"PSNR / SSIM / moving PSNR" of a score."""
    return f"{format_score(value)} / {format_moving(value.moving_psnr)}"


def overall(run: JointRun, method: str) -> Score:
    return clip_weighted_mean(run.scores[method])


def task_table(run: JointRun) -> str:
    clips = list(run.positions)
    header = ["method", *(f"{name} PSNR / SSIM" for name in clips), "mean PSNR / SSIM"]
    rows = []
    for method in METHODS:
        cells = [format_score(mean_score(run.scores[method][name])) for name in clips]
        rows.append([method, *cells, f"**{format_score(overall(run, method))}**"])
    positions = "; ".join(f"{name}: " + ", ".join(f"{first}+{run.task.factor}·{i}" for first, i in p)
                          for name, p in run.positions.items())
    return markdown_table(header, rows) + f"\n\nKeyframes (source frame = segment start + factor·i), scored on " \
                                          f"the real frames after each: {positions}."


def crop_comparison(path: Path, clip_names: Sequence[str] = ("bikes", "city"), size: tuple[int, int] = (240, 160)
                    ) -> str:
    """Write, for each clip's first benchmark segment, interpolate | slowmo | real crops of strong blur 4x at
    real frame 4i+1 (inside keyframe i's exposure) where interpolation misses most; returns a caption."""
    rows = []
    for clip_name in clip_names:
        first, segment = segments(clip_name)[0]
        blurry = keyframes(segment, STRONG)
        n = STRONG.factor * blurry_positions(segment.num_frames, STRONG.factor, 3)[1] + 1
        frames = [rgb_array(rgb_clip(c).get_frame(n)) for c in (interpolate(blurry, 4), slowmo(blurry, 4), segment)]
        rows.append((f"{clip_name} source frame {first + n}", frames))
    return ("strong blur 4x, an in-between inside a keyframe's exposure, interpolate (blurry keyframes) | slowmo | "
            "real frame; rows: " + save_crops(path, rows, size))


def report(clips: Sequence[str], per_segment: int, image: Path | None = None) -> str:
    sections, gains, ceilings = [], {}, {}
    for task in (STRONG, MILD):
        run = run_task(task, clips, per_segment)
        gains[task] = overall(run, OURS).psnr - overall(run, REFERENCE).psnr
        ceilings[task] = overall(run, CEILING).psnr - overall(run, REFERENCE).psnr
        sections.append(f"### {task.name[0].upper()}{task.name[1:]}\n\n{task_table(run)}")
    # Targets of the slowmo-exposure issue (strong ≥ +1 dB, stretch +2; mild ≥ 0), which replaced the first
    # slowmo issue's +2 dB once a perfect deblur was shown to score −0.74 dB here.
    rows = [["strong: slowmo 4x − interpolate on blurry keyframes", f"{gains[STRONG]:+.2f} dB",
             "≥ +1 dB (stretch +2)", "pass" if gains[STRONG] >= 1 else "FAIL"],
            ["mild: slowmo 2x − interpolate on blurry frames", f"{gains[MILD]:+.2f} dB", "≥ 0 dB",
             "pass" if gains[MILD] >= 0 else "FAIL"],
            *([f"{level}: interpolate on real sharp keyframes − on blurry (a perfect deblur, then interpolate)",
               f"{ceilings[task]:+.2f} dB", "not a target", "—"]
              for level, task in (("strong", STRONG), ("mild", MILD)))]
    inside = run_in_exposure(clips, per_segment)
    sections.append(f"### Strong blur, 4x, frames inside the keyframes' exposures\n\n{in_exposure_table(inside)}")
    extracted = overall(inside, EXTRACT).psnr - overall(inside, REFERENCE).psnr
    rows.append(["strong, inside the exposures: extract − interpolate on blurry keyframes", f"{extracted:+.2f} dB",
                 "not a target", "—"])
    sections.append(f"### Target checks\n\n{markdown_table(['check', 'value', 'target', 'result'], rows)}")
    if image is not None:
        caption = crop_comparison(image)
        sections.append(f"### Crop comparison\n\n![{caption}]({image.name})\n\n{caption}.")
    return "\n\n".join(sections) + "\n"
