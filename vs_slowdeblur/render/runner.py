"""One chunk: vspipe renders output frames first..last of the job's graph as y4m, this process relays them to
an FFV1 encoder (counting them for the progress and the frame-count check), and the finished file is renamed
into place only when vspipe, ffmpeg and the count all agree, so a killed render leaves no chunk that looks
done."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

from .chunks import Chunk
from .ffmpeg import RenderError, chunk_encoder, frame_count
from .progress import Progress

SCRIPT = "from vs_slowdeblur.render.graph import vspipe_output\nvspipe_output({job!r})\n"


def vspipe_path() -> str:
    """vspipe next to this Python (a venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("vspipe")
    return str(beside) if beside.exists() else "vspipe"


def write_script(work: Path, job_path: Path) -> Path:
    """The .vpy every chunk's vspipe runs: the job's clip as output 0."""
    script = work / "render.vpy"
    script.write_text(SCRIPT.format(job=str(job_path)), encoding="utf-8")
    return script


def chunk_path(work: Path, chunk: Chunk) -> Path:
    """Named by its output range, so a rerun with another plan reuses only chunks that match exactly."""
    return work / f"frames-{chunk.first:08d}-{chunk.last:08d}.mkv"


def is_finished(work: Path, chunk: Chunk) -> bool:
    path = chunk_path(work, chunk)
    return path.is_file() and frame_count(path) == chunk.frames


def render_chunk(script: Path, work: Path, chunk: Chunk, frame_bytes: int, progress: Progress) -> Path:
    """Render and check one chunk; returns its file."""
    final = chunk_path(work, chunk)
    partial = final.with_suffix(".part.mkv")
    logs = final.with_suffix(".vspipe.log"), final.with_suffix(".ffmpeg.log")
    with open(logs[0], "wb") as source_log, open(logs[1], "wb") as encoder_log:
        source = subprocess.Popen([vspipe_path(), "--start", str(chunk.first), "--end", str(chunk.last),
                                   "--container", "y4m", str(script), "-"], stdout=subprocess.PIPE,
                                  stderr=source_log)
        encoder = subprocess.Popen(chunk_encoder(partial), stdin=subprocess.PIPE, stderr=encoder_log)
        relayed = 0
        try:
            relayed = _relay(source.stdout, encoder.stdin, frame_bytes, progress)
        finally:
            if relayed != chunk.frames:
                source.kill()  # it may be blocked writing to a reader that is gone
            source.stdout.close()
            with contextlib.suppress(BrokenPipeError):
                encoder.stdin.close()
            source_code, encoder_code = source.wait(), encoder.wait()
    if source_code != 0 or encoder_code != 0:
        log = logs[0] if source_code != 0 else logs[1]
        last = (log.read_text(errors="replace").strip().splitlines() or ["no message"])[-1]
        raise RenderError(f"output frames {chunk.first}-{chunk.last} failed (vspipe exit {source_code}, ffmpeg "
                          f"exit {encoder_code}): {last} (log: {log})")
    written = frame_count(partial)
    if relayed != chunk.frames or written != chunk.frames:
        raise RenderError(f"output frames {chunk.first}-{chunk.last}: expected {chunk.frames} frames, vspipe gave "
                          f"{relayed} and the file holds {written}")
    partial.replace(final)
    for log in logs:
        log.unlink(missing_ok=True)
    return final


def _relay(source, sink, frame_bytes: int, progress: Progress) -> int:
    """Copy a y4m stream, counting its frames (header line, then "FRAME…\\n" + ``frame_bytes`` each)."""
    try:
        sink.write(source.readline())
    except BrokenPipeError:
        return 0
    frames = 0
    while True:
        marker = source.readline()
        if not marker:
            return frames
        data = source.read(frame_bytes)
        if not marker.startswith(b"FRAME") or len(data) != frame_bytes:
            return frames  # a short stream: vspipe's exit code and the count report it
        try:
            sink.write(marker)
            sink.write(data)
        except BrokenPipeError:  # the encoder stopped: its exit code reports it
            return frames
        frames += 1
        progress.add()
