"""Device choice and CPU thread settings for torch."""

from __future__ import annotations

import logging

import torch

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
