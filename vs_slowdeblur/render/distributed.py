"""``--ray [ADDRESS]``: the same chunks as Ray tasks. Without an address a local Ray starts with one CPU per
worker; with one, the render joins that cluster (``ray start --head`` on one machine, ``ray start
--address=HEAD:6379`` on the others), whose machines must all see the work folder and the input at the same
paths (a shared filesystem). Where the cluster has GPUs each task asks for one, so N GPUs render N chunks at
once. Progress is counted per finished chunk."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from .chunks import Chunk
from .ffmpeg import RenderError
from .progress import Progress
from .runner import render_chunk


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """A Ray head at HOST:PORT accepts connections, else RenderError (Ray itself retries for minutes)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise RenderError(f"--ray takes HOST:PORT of a Ray head (e.g. 10.0.0.5:6379), got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise RenderError(f"--ray {address}: no Ray head answers there ({exc.strerror or exc}); start one with "
                          f"`ray start --head` or check the address") from None


def render_chunk_quietly(script: Path, work: Path, chunk: Chunk, frame_bytes: int) -> Path:
    """``render_chunk`` in a Ray worker: its progress stays in the task (the driver counts finished chunks)."""
    return render_chunk(script, work, chunk, frame_bytes, Progress(chunk.frames, interval=float("inf")))


def render_on_ray(address: str | None, workers: int, script: Path, work: Path, chunks: list[Chunk],
                  frame_bytes: int, progress: Progress) -> None:
    """Render ``chunks`` as Ray tasks on a local Ray (``address`` None) or the cluster at ``address``."""
    try:
        import ray
    except ImportError:
        raise RenderError("--ray needs Ray: pip install 'vs_slowdeblur[ray]'") from None
    local = {"num_cpus": workers} if address is None else {"address": address}
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        ray.init(**local, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = "start a local Ray" if address is None else f"join the Ray cluster at {address}"
        raise RenderError(f"--ray could not {where}: {' '.join(str(exc).split())[:200]}") from None
    try:
        gpus = 1 if ray.cluster_resources().get("GPU", 0) > 0 else 0
        task = ray.remote(num_cpus=1, num_gpus=gpus, max_retries=0)(render_chunk_quietly)
        pending = {task.remote(script, work, chunk, frame_bytes): chunk for chunk in chunks}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            chunk = pending.pop(done[0])
            try:
                ray.get(done[0])
            except ray.exceptions.RayTaskError as exc:
                for reference in pending:  # the first failure stops the render; finished chunks stay
                    ray.cancel(reference, force=True)
                cause = exc.cause if isinstance(exc.cause, RenderError) else exc
                raise RenderError(str(cause).strip().splitlines()[-1]) from None
            progress.add(chunk.frames)
    finally:
        ray.shutdown()
