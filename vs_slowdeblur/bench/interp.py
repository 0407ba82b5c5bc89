"""Interpolation benchmark (docs/BENCHMARKS.md): quality on real dropped frames at 2x and 4x, one-pass vs
exact timing, and speed through vspipe against the bare network, a naive uncached run and MVTools.

Quality: ``clip[::k]`` keeps real frames c, c+k; every method runs at factor k on it, and its output frame
c+r (0 < r < k) is scored against real frame c+r, on RGB in [0, 1] over the whole frame.
"""

from __future__ import annotations

import itertools
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import torch
import vapoursynth as vs

from ..engine import scene
from ..engine.frames import frame_to_tensor
from ..engine.interpolation import InterpolationEngine
from ..engine.padding import crop, pad_to_multiple
from ..engine.pair_cache import PairCache
from ..engine.runtime import autocast_dtype, resolve_device
from ..engine.timeline import Timeline
from ..filters.interpolate import SYNTHESIZED_PROP, build_interpolation, interpolate
from ..models.interpolator import PairMotion, RifeInterpolator
from ..models.registry import create_model, get_spec
from ..options import resolve_options
from .common import (
    Score,
    clip_weighted_mean,
    format_score,
    load_clip,
    markdown_table,
    mean_score,
    rgb_array,
    rgb_clip,
    sample_positions,
    score,
)

Method = Callable[[vs.VideoNode, int], vs.VideoNode]  # (clip, integer factor) → clip at factor× the rate

MODEL = "rife-hdv3"
SPEED_CLIP, SPEED_START = "bikes", 140  # frames 137..186 of bikes are one moving shot
TARGET_TIMING_DB = 0.3  # one-pass may lose at most this much PSNR to exact timing at 4x
TARGET_TIMING_SPEEDUP = 2.5  # ... and must be at least this many times faster per output frame
TARGET_PLUGIN_VS_BARE = 0.9  # the plugin's output fps over the bare network's, at 2x


# --- methods --------------------------------------------------------------------------------------------------

def repeat(clip: vs.VideoNode, factor: int) -> vs.VideoNode:
    """The nearest source frame (the earlier one on a tie)."""
    later = scene.next_frames(clip)
    return vs.core.std.Interleave([clip if 2 * r <= factor else later for r in range(factor)])


MVTOOLS_NO_SCENE_CHANGE = {"thscd1": 16320, "thscd2": 255}  # FlowFPS maxima: SAD per block, changed blocks of 255


def blend(clip: vs.VideoNode, factor: int) -> vs.VideoNode:
    """Linear mix of the two source frames by t."""
    later = scene.next_frames(clip)
    return vs.core.std.Interleave([clip.std.Merge(later, weight=r / factor) for r in range(factor)])


def mvtools(clip: vs.VideoNode, factor: int) -> vs.VideoNode:
    """MVTools FlowFPS with standard settings: pel 2, 16x16 blocks overlapping by 8. Its own scene-change
    check is off (thscd1/thscd2 at their maxima): scored positions lie inside shots, where ours repeats no
    frame either, and that check fired on one scored bikes pair, repeating a frame (−0.8 dB on it)."""
    superclip = clip.mv.Super(pel=2)
    backward = superclip.mv.Analyse(isb=True, blksize=16, overlap=8)
    forward = superclip.mv.Analyse(isb=False, blksize=16, overlap=8)
    return clip.mv.FlowFPS(superclip, backward, forward, num=clip.fps.numerator * factor, den=clip.fps.denominator,
                           **MVTOOLS_NO_SCENE_CHANGE)


def ours_one_pass(clip: vs.VideoNode, factor: int) -> vs.VideoNode:
    return interpolate(clip, factor, model=MODEL)


def ours_exact(clip: vs.VideoNode, factor: int) -> vs.VideoNode:
    return interpolate(clip, factor, model=MODEL, timing="exact")


class Uncached(PairCache[PairMotion]):
    """A pair cache that keeps nothing: every request runs the network again."""

    def get(self, key: Hashable, compute: Callable[[], PairMotion]) -> PairMotion:
        return compute()


def naive(clip: vs.VideoNode, factor: int) -> vs.VideoNode:
    """The plugin's own graph with the pair cache removed: one network pass per output frame.

    (``cache_bytes=0`` is no such baseline: the cache keeps the newest entry and shares in-flight ones.)
    """
    options = resolve_options(None, {"model": MODEL})
    engine = InterpolationEngine(options, resolve_device(options.device))
    engine.cache = Uncached(0)
    return build_interpolation(clip, Timeline(Fraction(factor), clip.num_frames), engine, options, True)


QUALITY_METHODS: dict[str, Method] = {
    "repeat": repeat,
    "blend": blend,
    "MVTools FlowFPS": mvtools,
    "ours one-pass": ours_one_pass,
    "ours exact": ours_exact,
}
SPEED_METHODS: dict[str, Method] = {"ours": ours_one_pass, "naive": naive, "MVTools": mvtools}


# --- quality --------------------------------------------------------------------------------------------------

@dataclass
class MethodRun:
    scores: dict[str, list[Score]] = field(default_factory=dict)  # per clip, one per target frame
    seconds: dict[str, float] = field(default_factory=dict)  # per clip, wall time of the target frames
    repeated: int = 0  # target frames the plugin did not synthesise (it saw a scene cut)


@dataclass
class QualityRun:
    factor: int
    positions: dict[str, list[int]]  # per clip, frames c (inputs c and c+factor)
    methods: dict[str, MethodRun]


def quality(clips: Sequence[str], factor: int, count: int) -> QualityRun:
    """Every quality method on ``count`` positions per clip. Frames are requested one at a time, so the
    timings measure the work per output frame without letting parallelism favour one method."""
    run = QualityRun(factor, {}, {name: MethodRun() for name in QUALITY_METHODS})
    for clip_name in clips:
        clip = load_clip(clip_name)
        positions = sample_positions(scene.detected_cuts(clip), factor, count)
        run.positions[clip_name] = positions
        truth = rgb_clip(clip)
        dropped = clip[::factor]
        for method_name, method in QUALITY_METHODS.items():
            print(f"interp {factor}x: {clip_name}, {method_name}", file=sys.stderr)
            output, result = rgb_clip(method(dropped, factor)), run.methods[method_name]
            scores, seconds = [], 0.0
            for c, r in itertools.product(positions, range(1, factor)):
                start = time.perf_counter()
                frame = output.get_frame(c + r)
                seconds += time.perf_counter() - start
                result.repeated += int(frame.props.get(SYNTHESIZED_PROP, 1) == 0)
                scores.append(score(rgb_array(frame), rgb_array(truth.get_frame(c + r))))
            result.scores[clip_name], result.seconds[clip_name] = scores, seconds
    return run


def clip_mean(run: MethodRun, clip_name: str) -> Score:
    return mean_score(run.scores[clip_name])


def overall_mean(run: MethodRun) -> Score:
    """Mean over clips of each clip's mean (every clip weighs the same)."""
    return clip_weighted_mean(run.scores)


def quality_table(run: QualityRun) -> str:
    clips = list(run.positions)
    header = ["method", *(f"{name} PSNR / SSIM" for name in clips), "mean PSNR / SSIM"]
    rows = []
    for method_name, result in run.methods.items():
        means = [clip_mean(result, name) for name in clips] + [overall_mean(result)]
        rows.append([method_name, *(format_score(m) for m in means)])
    positions = "; ".join(f"{name} c = {', '.join(map(str, p))}" for name, p in run.positions.items())
    targets = " and ".join(f"c+{r}" for r in range(1, run.factor))
    notes = [f"Inputs: real frames c and c+{run.factor}; targets: real frames {targets}. Positions: {positions}."]
    for method_name, result in run.methods.items():
        if result.repeated:
            notes.append(f"{method_name}: {result.repeated} target frame(s) repeated a source frame "
                         f"(the scene-cut detector fired on the dropped-frame pair).")
    return markdown_table(header, rows) + "\n\n" + "\n".join(notes)


@dataclass(frozen=True)
class TimingComparison:
    psnr_loss: float  # dB, exact minus one-pass (mean over clips)
    speedup: float  # exact's seconds per output frame over one-pass's
    table: str


def timing_comparison(run: QualityRun) -> TimingComparison:
    one_pass, exact = run.methods["ours one-pass"], run.methods["ours exact"]

    def row(name: str, a: Score, b: Score, frames: int, seconds_a: float, seconds_b: float,
            speed_up: float) -> list[str]:
        return [name, f"{a.psnr:.2f}", f"{b.psnr:.2f}", f"{b.psnr - a.psnr:+.2f}", f"{seconds_a / frames:.3f}",
                f"{seconds_b / frames:.3f}", f"{speed_up:.2f}x"]

    speed_ups = {name: exact.seconds[name] / one_pass.seconds[name] for name in run.positions}
    rows = [row(name, clip_mean(one_pass, name), clip_mean(exact, name), len(one_pass.scores[name]),
                one_pass.seconds[name], exact.seconds[name], speed_ups[name]) for name in run.positions]
    a, b = overall_mean(one_pass), overall_mean(exact)
    frames = sum(len(s) for s in one_pass.scores.values())
    # The speed-up is averaged per clip, as PSNR is; a ratio of summed seconds let the slowest clip decide.
    speed_up = statistics.mean(speed_ups.values())
    rows.append(row("mean", a, b, frames, sum(one_pass.seconds.values()), sum(exact.seconds.values()), speed_up))
    header = ["clip", "one-pass PSNR", "exact PSNR", "exact − one-pass (dB)", "one-pass s/frame",
              "exact s/frame", "one-pass speed-up"]
    return TimingComparison(b.psnr - a.psnr, speed_up, markdown_table(header, rows))


# --- speed ----------------------------------------------------------------------------------------------------

VSPIPE_REPORT = re.compile(r"Output (\d+) frames in ([\d.]+) seconds \(([\d.]+) fps\)")
SCRIPT = """import vs_slowdeblur.bench.interp as bench
bench.speed_graph({method!r}, {start}, {frames}, {factor}).set_output()
"""


def speed_graph(method: str, start: int, frames: int, factor: int) -> vs.VideoNode:
    """The graph a speed run renders: ``frames`` source frames of the speed clip, ``method`` at ``factor``."""
    return SPEED_METHODS[method](load_clip(SPEED_CLIP)[start:start + frames], factor)


def vspipe_fps(method: str, frames: int, factor: int, workdir: Path) -> float:
    """Output frames per second that vspipe reports (its timer excludes script evaluation and model loading)."""
    script = workdir / f"{method}_{factor}x.vpy"
    script.write_text(SCRIPT.format(method=method, start=SPEED_START, frames=frames, factor=factor))
    return script_fps(script, f"{method} {factor}x")


def script_fps(script: Path, name: str, environment: dict[str, str] | None = None,
               timeout: float | None = None) -> float:
    """Output frames per second that vspipe reports for ``script`` (output discarded); ``name`` goes into the
    error when vspipe fails. ``environment``: the process's, default this one's; ``timeout`` in seconds."""
    vspipe = Path(sys.executable).with_name("vspipe")
    result = subprocess.run([str(vspipe) if vspipe.exists() else "vspipe", str(script), "--"], env=environment,
                            capture_output=True, text=True, check=False, timeout=timeout)
    report = VSPIPE_REPORT.search(result.stderr)
    if result.returncode != 0 or report is None:
        raise RuntimeError(f"vspipe {name} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return float(report.group(3))


def bare_fps(frames: int, threads: int, channels_last: bool = False, precision: str = "fp32") -> float:
    """The network in a plain loop at 2x: one estimate and one synthesis per pair, on the speed clip's frames
    pre-decoded, converted and padded as the plugin does; weights channels-last or not, under ``precision``
    as the plugin applies it (``runtime.autocast_dtype``). Output frames are counted as the plugin counts them
    (2 per source frame); loading is not timed."""
    torch.set_num_threads(threads)
    cpu = torch.device("cpu")
    clip = rgb_clip(load_clip(SPEED_CLIP)[SPEED_START:SPEED_START + frames])
    multiple = get_spec(MODEL).input_multiple
    tensors = [pad_to_multiple(frame_to_tensor(f, cpu), multiple) for f in clip.frames()]
    model = create_model(MODEL)
    interpolator = RifeInterpolator(model.to(memory_format=torch.channels_last) if channels_last else model)
    dtype = autocast_dtype(cpu, precision)
    with torch.inference_mode(), torch.autocast("cpu", dtype, enabled=dtype is not None):
        start = time.perf_counter()
        for frame0, frame1 in itertools.pairwise(tensors):
            crop(interpolator.synthesize(interpolator.estimate(frame0, frame1), 0.5), clip.height, clip.width)
        elapsed = time.perf_counter() - start
    return 2 * len(tensors) / elapsed


def fresh_bare_fps(frames: int, threads: int, channels_last: bool = False, precision: str = "fp32") -> float:
    """``bare_fps`` in a new process, so that it starts from the same state as a vspipe run."""
    code = (f"import vs_slowdeblur.bench.interp as bench; "
            f"print(bench.bare_fps({frames}, {threads}, channels_last={channels_last}, precision={precision!r}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"bare network loop failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return float(result.stdout.split()[-1])


@dataclass(frozen=True)
class SpeedRun:
    fps: dict[str, list[float]]  # run name → output fps of each round

    def median(self, name: str) -> float:
        return statistics.median(self.fps[name])


def speed(frames: int, rounds: int) -> SpeedRun:
    """All speed runs, each in a new process, alternating, ``rounds`` times."""
    runs: dict[str, Callable[[Path], float]] = {
        "ours 2x (vspipe)": lambda d: vspipe_fps("ours", frames, 2, d),
        "bare network 2x, 1 torch thread": lambda d: fresh_bare_fps(frames, 1),
        "bare network 2x, 2 torch threads": lambda d: fresh_bare_fps(frames, 2),
        "MVTools 2x (vspipe)": lambda d: vspipe_fps("MVTools", frames, 2, d),
        "ours 4x (vspipe)": lambda d: vspipe_fps("ours", frames, 4, d),
        "naive 4x, no pair cache (vspipe)": lambda d: vspipe_fps("naive", frames, 4, d),
        "MVTools 4x (vspipe)": lambda d: vspipe_fps("MVTools", frames, 4, d),
    }
    fps: dict[str, list[float]] = {name: [] for name in runs}
    with tempfile.TemporaryDirectory(prefix="vs_slowdeblur_bench_") as workdir:
        for round_index in range(rounds):
            for name, measure in runs.items():
                print(f"speed round {round_index + 1}/{rounds}: {name}", file=sys.stderr)
                fps[name].append(measure(Path(workdir)))
    return SpeedRun(fps)


def speed_table(run: SpeedRun, frames: int) -> str:
    rows = [[name, f"{run.median(name):.2f}", ", ".join(f"{v:.2f}" for v in values)]
            for name, values in run.fps.items()]
    first, last = SPEED_START, SPEED_START + frames - 1
    return (markdown_table(["run", "output fps (median)", "each round"], rows) +
            f"\n\n{SPEED_CLIP} frames {first}..{last} ({frames} source frames, one shot). vspipe figures are "
            f"vspipe's own (decoding, colour conversion, scene detection included; script loading excluded); "
            f"the bare network loop runs on pre-decoded, padded tensors. Every run is a new process.")


# --- report ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    name: str
    value: float
    target: float | None = None  # None: reported, no target
    at_most: bool = False  # the value must not exceed the target (otherwise: must reach it)

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "info"
        met = self.value <= self.target if self.at_most else self.value >= self.target
        return "pass" if met else "FAIL"


def checks(timing: TimingComparison | None, speed_run: SpeedRun | None) -> list[Check]:
    found = []
    if timing is not None:
        found.append(Check("4x PSNR lost by one-pass vs exact (dB)", timing.psnr_loss, TARGET_TIMING_DB, True))
        found.append(Check("4x one-pass speed over exact", timing.speedup, TARGET_TIMING_SPEEDUP))
    if speed_run is not None:
        ours2, ours4 = speed_run.median("ours 2x (vspipe)"), speed_run.median("ours 4x (vspipe)")
        bare = max(speed_run.median("bare network 2x, 1 torch thread"),
                   speed_run.median("bare network 2x, 2 torch threads"))
        found.append(Check("2x plugin / bare network (faster thread count)", ours2 / bare, TARGET_PLUGIN_VS_BARE))
        found.append(Check("4x plugin / naive", ours4 / speed_run.median("naive 4x, no pair cache (vspipe)")))
        found.append(Check("2x plugin / MVTools", ours2 / speed_run.median("MVTools 2x (vspipe)")))
        found.append(Check("4x plugin / MVTools", ours4 / speed_run.median("MVTools 4x (vspipe)")))
    return found


def summary_table(found: Sequence[Check]) -> str:
    rows = [[c.name, f"{c.value:.3f}", "—" if c.target is None else f"{'≤' if c.at_most else '≥'} {c.target:g}",
             c.verdict] for c in found]
    return markdown_table(["check", "value", "target", "result"], rows)


def report(clips: Sequence[str], positions_2x: int, positions_4x: int, speed_frames: int, rounds: int) -> str:
    """The whole interpolation benchmark as markdown."""
    sections = []
    timing = None
    if clips:
        for factor, count in ((2, positions_2x), (4, positions_4x)):
            run = quality(clips, factor, count)
            sections.append(f"### Quality, interp {factor}x\n\n{quality_table(run)}")
        timing = timing_comparison(run)  # the 4x run
        sections.append(f"### 4x: one-pass vs exact timing\n\n{timing.table}\n\nSeconds per output frame with "
                        f"frames requested one at a time (one core's work per frame).")
    speed_run = speed(speed_frames, rounds) if speed_frames else None
    if speed_run is not None:
        sections.append(f"### Speed (median of {rounds})\n\n{speed_table(speed_run, speed_frames)}")
    sections.append(f"### Target checks\n\n{summary_table(checks(timing, speed_run))}")
    return "\n\n".join(sections) + "\n"
