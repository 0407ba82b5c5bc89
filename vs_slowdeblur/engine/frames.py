"""VapourSynth frame ↔ torch tensor, with no per-pixel Python.

Planes are read as zero-copy NumPy views (``np.asarray(frame[p])``) and copied once: on the CPU straight into
the tensor the model reads, on CUDA into a per-thread reused pinned host buffer that is then uploaded.
Results are written back with ``np.copyto`` into the output frame's planes.
"""

from __future__ import annotations

import threading

import numpy as np
import torch
import vapoursynth as vs

_local = threading.local()


def _pinned_buffer(shape: tuple[int, int, int]) -> torch.Tensor:
    """A float32 pinned host tensor reused by the calling thread while the frame size stays the same."""
    buffer = getattr(_local, "pinned", None)
    if buffer is None or tuple(buffer.shape) != shape:
        buffer = torch.empty(shape, dtype=torch.float32, pin_memory=True)
        _local.pinned = buffer
    return buffer


def frame_to_tensor(frame: vs.VideoFrame, device: torch.device) -> torch.Tensor:
    """A float RGBS/GRAYS frame as a (1, 3, H, W) float32 tensor on ``device`` (gray is repeated to 3)."""
    shape = (frame.format.num_planes, frame.height, frame.width)
    on_cuda = device.type == "cuda"
    host = _pinned_buffer(shape) if on_cuda else torch.empty(shape, dtype=torch.float32)
    host_view = host.numpy()
    for plane in range(shape[0]):
        np.copyto(host_view[plane], np.asarray(frame[plane]))
    # The pinned buffer is reused by this thread's next call, so the upload must complete first (non_blocking
    # off); CPU tensors are fresh and owned by the caller.
    tensor = host.to(device) if on_cuda else host
    tensor = tensor.unsqueeze(0)
    return tensor.expand(1, 3, -1, -1) if shape[0] == 1 else tensor


def tensor_to_frame(tensor: torch.Tensor, frame: vs.VideoFrame) -> None:
    """Write a (1, 3, H, W) tensor into the float planes of ``frame`` (gray frames take channel 0)."""
    values = tensor[0].to(device="cpu", dtype=torch.float32).numpy()
    for plane in range(frame.format.num_planes):
        np.copyto(np.asarray(frame[plane]), values[plane])
