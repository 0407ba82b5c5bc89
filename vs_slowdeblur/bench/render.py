"""``bench render``: wall time of ``vs-slowdeblur render`` in one process against local workers and a local
Ray, and the overlap cost of chunking (source frames each chunk's graph reads, per output frame, against one
whole render).

The input is one shot of a real clip written losslessly to a file first; every configuration renders it with
``interpolate`` 2x to FFV1 and is checked to decode to the same frames as the one-process render."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import vapoursynth as vs

from ..render.chunks import Chunk, plan
from ..render.ffmpeg import ffmpeg_path
from ..samples import sample_path
from .common import markdown_table

SHOT = (137, 186)  # bikes.mp4 frames of one shot (cuts after frames 136 and 186)
FACTOR = 2


def write_source(folder: Path) -> Path:
    """The shot as an FFV1 file (what a user would hand to render)."""
    script = folder / "source.vpy"
    script.write_text("import vapoursynth as vs\nfrom vs_slowdeblur.samples import sample_path\n"
                      f"vs.core.bs.VideoSource({str(sample_path('bikes'))!r})[{SHOT[0]}:{SHOT[1] + 1}]"
                      ".set_output()\n")
    frames = subprocess.run([str(Path(sys.executable).with_name("vspipe")), "-c", "y4m", str(script), "-"],
                            capture_output=True, check=True).stdout
    video = folder / "source.mkv"
    subprocess.run([ffmpeg_path(), "-loglevel", "error", "-y", "-f", "yuv4mpegpipe", "-i", "-", "-c:v", "ffv1",
                    str(video)], input=frames, check=True)
    return video


def source_frames(chunk: Chunk, factor: int) -> set[int]:
    """Source frames the in-betweens and source frames of a chunk read (both frames of each pair)."""
    frames: set[int] = set()
    for m in range(chunk.first, chunk.last + 1):
        index, t = divmod(Fraction(m, factor), 1)
        frames.update({int(index)} if t == 0 else {int(index), int(index) + 1})
    return frames


def overlap_cost(chunks: list[Chunk], factor: int) -> float:
    """Source frames read summed over the chunks / source frames read by one whole render."""
    whole = set().union(*(source_frames(c, factor) for c in chunks))
    return sum(len(source_frames(c, factor)) for c in chunks) / len(whole)


def timed_render(source: Path, output: Path, workers: int, chunk_frames: int, ray: bool) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vs_slowdeblur", "render", str(source), str(output), "--op",
                    "interpolate", "--factor", str(FACTOR), "--workers", str(workers), "--chunk-frames",
                    str(chunk_frames), *(["--ray"] if ray else [])], check=True, capture_output=True)
    return time.perf_counter() - start


def same_frames(a: Path, b: Path) -> bool:
    x, y = vs.core.bs.VideoSource(str(a)), vs.core.bs.VideoSource(str(b))
    return x.num_frames == y.num_frames and all(
        np.array_equal(np.asarray(x.get_frame(n)[p]), np.asarray(y.get_frame(n)[p]))
        for n in range(x.num_frames) for p in range(3))


def report(rounds: int) -> str:
    frames = (SHOT[1] - SHOT[0] + 1) * FACTOR
    configurations = [("1 process, 1 chunk", 1, frames, False),
                      ("2 local workers, 2 chunks", 2, math.ceil(frames / 2), False),
                      ("2 local workers, 8 chunks", 2, math.ceil(frames / 8), False),
                      ("local Ray, 2 workers, 2 chunks", 2, math.ceil(frames / 2), True)]
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        source = write_source(folder)
        seconds: dict[str, list[float]] = {name: [] for name, *_ in configurations}
        for round_number in range(rounds):  # interleaved, so drift on this machine hits every configuration
            for name, workers, chunk_frames, ray in configurations:
                print(f"bench render: round {round_number + 1}, {name}", file=sys.stderr)
                seconds[name].append(timed_render(source, folder / f"{workers}-{chunk_frames}-{ray}.mkv", workers,
                                                  chunk_frames, ray))
        reference = folder / f"1-{frames}-False.mkv"
        identical = {name: same_frames(reference, folder / f"{w}-{c}-{r}.mkv") for name, w, c, r in configurations}
    baseline = float(np.median(seconds[configurations[0][0]]))
    rows = []
    for name, _, chunk_frames, _ in configurations:
        median = float(np.median(seconds[name]))
        chunks = plan(0, frames - 1, [], chunk_frames)
        rows.append([name, f"{median:.1f}", f"{frames / median:.2f}", f"{baseline / median:.2f}",
                     f"{overlap_cost(chunks, FACTOR):.3f}", "yes" if identical[name] else "NO"])
    table = markdown_table(["configuration", "wall s (median)", "output fps", "speed-up", "overlap cost",
                            "frames identical to 1 process"], rows)
    return (f"bikes frames {SHOT[0]}–{SHOT[1]} (640x272, one shot) → `render --op interpolate --factor {FACTOR}`, "
            f"{frames} output frames to FFV1, {rounds} interleaved rounds, {os.cpu_count()} CPU threads shared "
            f"by the workers (VapourSynth threads per worker = cpu_count / workers; torch 1 thread per "
            f"callback). Wall time includes each process's start-up (torch import, model load). Overlap cost: "
            f"source frames read summed over the chunks / read by one whole render (each chunk boundary inside a "
            f"pair reads that pair twice and runs its motion twice). The Ray row starts a local Ray of 2 CPUs "
            f"(`--ray`), which is part of its time.\n\n{table}\n")
