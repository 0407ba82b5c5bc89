"""Device choice and CPU thread settings for torch."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator

import torch
from torch import nn

from ..models.registry import create_model
from .heap import model_call_done

log = logging.getLogger("vs_slowdeblur")

# On a 2-core machine two torch threads per callback made tensor copies ~25x slower than one, and
# VapourSynth already runs one callback per worker thread: one torch thread per callback is the default.
DEFAULT_CPU_THREADS = 1


def resolve_device(device: str | None) -> torch.device:
    """``None`` → CUDA when available, else CPU. Raises ValueError for unknown or unavailable devices."""
    if device is None:
        chosen = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        log.info("vs_slowdeblur: running on %s", chosen)
        return chosen
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}") from exc
    if chosen.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} was requested but no CUDA GPU is available; use device='cpu'")
        if chosen.index is not None and chosen.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r} does not exist: {torch.cuda.device_count()} CUDA GPU(s) found")
    elif chosen.type != "cpu":
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    return chosen


def set_cpu_threads(threads: int) -> None:
    """Torch intra-op threads used by each VapourSynth callback on the CPU."""
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


@contextlib.contextmanager
def inference_context(device: torch.device, threads: int, precision: str) -> Iterator[None]:
    """Everything a VapourSynth callback needs around a model call. Inference mode and autocast are
    thread-local, so this is entered inside each callback, in the worker's own thread. Reduced precision
    ("fp16"/"bf16") applies on CUDA only; the CPU always computes in fp32. On exit it counts a model call for
    the heap trimmer (``heap.model_call_done``)."""
    if device.type == "cpu":
        set_cpu_threads(threads)
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision)
    try:
        with torch.inference_mode(), torch.autocast("cuda", dtype,
                                                    enabled=device.type == "cuda" and dtype is not None):
            yield
    finally:
        model_call_done()


@functools.lru_cache(maxsize=8)
def shared_model(name: str, device: torch.device) -> nn.Module:
    """One loaded network per (model, device), shared by every clip of the process (read-only at inference)."""
    return create_model(name, device)
