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


@functools.cache
def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX); elsewhere it would be emulated, slowly.
    Asked once per process: every model call's ``inference_context`` needs the answer."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def autocast_dtype(device: torch.device, precision: str) -> torch.dtype | None:
    """The reduced precision the networks compute in, or None for float32.

    ``"auto"``: bfloat16 on a CPU that has it natively (interpolate 1.8x and deblur 2.0x as fast as in fp32
    through vspipe, within 0.003 dB; docs/BENCHMARKS.md, "Speed"), float32 elsewhere and on CUDA.
    ``"fp16"``/``"bf16"`` on CUDA as asked; on the CPU ``"bf16"`` where native, and float32 for ``"fp16"`` (no
    CPU half kernels worth having)."""
    if device.type == "cuda":
        return {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision)
    return torch.bfloat16 if precision in ("bf16", "auto") and native_bf16() else None


@contextlib.contextmanager
def inference_context(device: torch.device, threads: int, precision: str) -> Iterator[None]:
    """Everything a VapourSynth callback needs around a model call. Inference mode and autocast are
    thread-local, so this is entered inside each callback, in the worker's own thread; ``precision`` as in
    ``autocast_dtype``. On exit it counts a model call for the heap trimmer (``heap.model_call_done``)."""
    if device.type == "cpu":
        set_cpu_threads(threads)
    dtype = autocast_dtype(device, precision)
    try:
        with torch.inference_mode(), torch.autocast(device.type, dtype, enabled=dtype is not None):
            yield
    finally:
        model_call_done()


@functools.lru_cache(maxsize=8)
def shared_model(name: str, device: torch.device) -> nn.Module:
    """One loaded network per (model, device), shared by every clip of the process (read-only at inference). On
    the CPU its weights are channels-last: RIFE's pass took 25 % less time at 640x480, same output within 1e-5."""
    model = create_model(name, device)
    return model.to(memory_format=torch.channels_last) if device.type == "cpu" else model
