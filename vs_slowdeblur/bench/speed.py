"""Speed benchmark (docs/BENCHMARKS.md, "Speed"): output frames per second through vspipe of every operator, the
bare network loop per CPU layout and precision, MVTools, and optionally the same operators from another source
tree (``--reference``: a checkout of older code), all measured in one run, interleaved over rounds.

Each vspipe run is a new process on a script that uses only the public API, so an older tree runs it too; the
figures are vspipe's own (its timer starts after the script and the models are loaded). ``--gpu`` measures
the GPU table instead: each operator at 720p, 1080p and 2160p in fp32 and fp16, within a time budget.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..samples import sample_path
from .common import markdown_table
from .interp import SPEED_CLIP, SPEED_START, fresh_bare_fps, script_fps

TARGET_FACTOR_SCALING = 1.8  # 4x output fps over 2x output fps, interpolate and slowmo
TARGET_OVER_REFERENCE = 1.3  # ours 2x over the reference tree's 2x
TARGET_DEBLUR_SECONDS = 1.0  # seconds per 640x480 deblur frame
GPU_SIZES = {"720p": (1280, 720), "1080p": (1920, 1080), "2160p": (3840, 2160)}
GPU_SOURCE_FRAMES = {"720p": 48, "1080p": 32, "2160p": 12}


@dataclass(frozen=True)
class Run:
    """One vspipe measurement: ``operator`` (interpolate, slowmo, deblur or mvtools) at ``factor`` on
    ``frames`` source frames of the speed clip, resized to ``size`` (None: as decoded)."""

    name: str
    operator: str
    factor: int = 1
    frames: int = 24
    size: tuple[int, int] | None = None
    keywords: str = ""  # extra keyword arguments, as Python source: ", precision='fp32'"
    tree: Path | None = None  # source tree to import vs_slowdeblur from (None: this one)

    def script(self) -> str:
        path = sample_path(SPEED_CLIP)
        lines = ["import vapoursynth as vs", "import vs_slowdeblur",
                 f"clip = vs.core.bs.VideoSource({str(path)!r})[{SPEED_START}:{SPEED_START + self.frames}]"]
        if self.size is not None:
            lines.append(f"clip = clip.resize.Bicubic({self.size[0]}, {self.size[1]})")
        if self.operator == "mvtools":
            lines += ["from vs_slowdeblur.bench.interp import mvtools", f"out = mvtools(clip, {self.factor})"]
        elif self.operator == "deblur":
            lines.append(f"out = vs_slowdeblur.deblur(clip{self.keywords})")
        else:
            lines.append(f"out = vs_slowdeblur.{self.operator}(clip, {self.factor}{self.keywords})")
        return "\n".join([*lines, "out.set_output()", ""])


def vspipe_fps(run: Run, workdir: Path, timeout: float | None = None) -> float:
    """Output frames per second of ``run`` as vspipe reports them (output discarded)."""
    script = workdir / "speed.vpy"
    script.write_text(run.script(), encoding="utf-8")
    environment = dict(os.environ)
    if run.tree is not None:
        environment["PYTHONPATH"] = os.pathsep.join([str(run.tree), environment.get("PYTHONPATH", "")])
    return script_fps(script, run.name, environment, timeout)


@dataclass(frozen=True)
class BareRun:
    name: str
    channels_last: bool
    precision: str
    frames: int = 12


def cpu_runs(frames: int, reference: Path | None) -> list[Run | BareRun]:
    """The CPU table's runs: ours (default precision, "auto"), ours in fp32, the reference tree, MVTools and
    the bare network. Interpolation and slowmo on the speed clip as decoded (640x272); deblur at 640x480."""
    vga = (640, 480)
    ours: list[Run | BareRun] = [
        Run("interpolate 2x", "interpolate", 2, frames), Run("interpolate 4x", "interpolate", 4, frames),
        Run("slowmo 2x", "slowmo", 2, frames // 2), Run("slowmo 4x", "slowmo", 4, frames // 2),
        Run("deblur 640x480", "deblur", frames=frames // 2, size=vga)]
    fp32 = [Run("interpolate 2x, fp32", "interpolate", 2, frames, keywords=", precision='fp32'"),
            Run("deblur 640x480, fp32", "deblur", frames=frames // 2, size=vga, keywords=", precision='fp32'")]
    old = [] if reference is None else [
        Run(f"reference: {run.name}", run.operator, run.factor, run.frames, run.size, tree=reference)
        for run in ours if isinstance(run, Run)]
    others = [Run("MVTools 2x", "mvtools", 2, frames), Run("MVTools 4x", "mvtools", 4, frames),
              BareRun("bare network 2x, fp32", False, "fp32"),
              BareRun("bare network 2x, fp32 channels-last", True, "fp32"),
              BareRun("bare network 2x, auto (bf16 here) channels-last", True, "auto")]
    return [*ours, *fp32, *old, *others]


def gpu_runs(precisions: Sequence[str] = ("fp32", "fp16")) -> list[Run]:
    """The GPU table's runs: 2x, 4x, deblur and slowmo 2x at each size and precision, on device "cuda"."""
    runs = []
    for size_name, size in GPU_SIZES.items():
        frames = GPU_SOURCE_FRAMES[size_name]
        for precision in precisions:
            keywords = f", device='cuda', precision={precision!r}"
            runs += [Run(f"{size_name} {precision} interpolate 2x", "interpolate", 2, frames, size, keywords),
                     Run(f"{size_name} {precision} interpolate 4x", "interpolate", 4, frames, size, keywords),
                     Run(f"{size_name} {precision} deblur", "deblur", 1, frames, size, keywords),
                     Run(f"{size_name} {precision} slowmo 2x", "slowmo", 2, frames, size, keywords)]
    return runs


def measure(runs: Sequence[Run | BareRun], rounds: int, budget_s: float | None = None) -> dict[str, list[float]]:
    """Output fps of every run in each round (runs interleaved). With ``budget_s``, a run that would start
    after the budget is spent is skipped (its list stays short) and none may run past it."""
    threads = os.cpu_count() or 1
    deadline = None if budget_s is None else time.monotonic() + budget_s
    fps: dict[str, list[float]] = {run.name: [] for run in runs}
    with tempfile.TemporaryDirectory(prefix="vs_slowdeblur_speed_") as workdir:
        for round_index in range(rounds):
            for run in runs:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    continue
                print(f"speed round {round_index + 1}/{rounds}: {run.name}", file=sys.stderr)
                try:
                    if isinstance(run, BareRun):
                        fps[run.name].append(fresh_bare_fps(run.frames, threads, run.channels_last, run.precision))
                    else:
                        fps[run.name].append(vspipe_fps(run, Path(workdir), left))
                except subprocess.TimeoutExpired:
                    print(f"{run.name}: stopped at the time budget", file=sys.stderr)
    return fps


def median(fps: dict[str, list[float]], name: str) -> float:
    return statistics.median(fps[name]) if fps.get(name) else float("nan")


def fps_table(fps: dict[str, list[float]], runs: Sequence[Run | BareRun]) -> str:
    rows = []
    for run in runs:
        values = fps[run.name]
        per_frame = f"{1 / median(fps, run.name):.3f}" if values else "—"
        rows.append([run.name, f"{median(fps, run.name):.2f}" if values else "not run", per_frame,
                     ", ".join(f"{v:.2f}" for v in values)])
    return markdown_table(["run", "output fps (median)", "s per output frame", "each round"], rows)


def cpu_checks(fps: dict[str, list[float]]) -> str:
    """The issue's CPU targets as ratios of runs measured in this run."""
    def row(name: str, value: float, target: str, passed: bool | None) -> list[str]:
        return [name, f"{value:.2f}", target, "info" if passed is None else ("pass" if passed else "FAIL")]

    m = lambda name: median(fps, name)  # noqa: E731 - a short alias for the table below
    rows = [row("interpolate 4x / 2x", m("interpolate 4x") / m("interpolate 2x"), f"≥ {TARGET_FACTOR_SCALING}",
                m("interpolate 4x") / m("interpolate 2x") >= TARGET_FACTOR_SCALING),
            row("slowmo 4x / 2x", m("slowmo 4x") / m("slowmo 2x"), f"≥ {TARGET_FACTOR_SCALING}",
                m("slowmo 4x") / m("slowmo 2x") >= TARGET_FACTOR_SCALING),
            row("deblur s per 640x480 frame", 1 / m("deblur 640x480"), f"≤ {TARGET_DEBLUR_SECONDS}",
                1 / m("deblur 640x480") <= TARGET_DEBLUR_SECONDS)]
    if fps.get("reference: interpolate 2x"):
        for name in ("interpolate 2x", "interpolate 4x", "slowmo 2x", "slowmo 4x", "deblur 640x480"):
            ratio = m(name) / m(f"reference: {name}")
            target = name == "interpolate 2x"
            rows.append(row(f"{name}: ours / reference", ratio, f"≥ {TARGET_OVER_REFERENCE}" if target else "—",
                            ratio >= TARGET_OVER_REFERENCE if target else None))
    rows += [row("interpolate 2x: auto / fp32", m("interpolate 2x") / m("interpolate 2x, fp32"), "—", None),
             row("deblur: auto / fp32", m("deblur 640x480") / m("deblur 640x480, fp32"), "—", None),
             row("interpolate 2x / MVTools 2x", m("interpolate 2x") / m("MVTools 2x"), "—", None),
             row("interpolate 4x / MVTools 4x", m("interpolate 4x") / m("MVTools 4x"), "—", None)]
    return markdown_table(["check", "value", "target", "result"], rows)


def report(frames: int, rounds: int, reference: Path | None, gpu: bool, budget_s: float | None) -> str:
    """The speed benchmark as markdown: the CPU table and its checks, or with ``gpu`` the GPU table."""
    if gpu:
        runs = gpu_runs()
        fps = measure(runs, rounds, budget_s)
        return (f"### GPU speed (median of {rounds})\n\n{fps_table(fps, runs)}\n\n{SPEED_CLIP} frames from "
                f"{SPEED_START}, resized to each size (Bicubic, in VapourSynth on the CPU, included); slowmo "
                f"deblurs then interpolates. 1080p 2x target: ≥ 250 fps in fp16.\n")
    runs = cpu_runs(frames, reference)
    fps = measure(runs, rounds, budget_s)
    source = "" if reference is None else f" The reference is the tree at `{reference}`."
    return (f"### Speed (median of {rounds})\n\n{fps_table(fps, runs)}\n\n{SPEED_CLIP} frames from {SPEED_START} "
            f"({frames} source frames for interpolate, {frames // 2} for slowmo and deblur), default settings "
            f"unless named; every run a new process, interleaved. The bare loop runs the network on pre-decoded, "
            f"padded tensors with every core's threads.{source}\n\n### Speed checks\n\n{cpu_checks(fps)}\n")
