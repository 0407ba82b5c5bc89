"""VapourSynth frame ↔ torch tensor, with no per-pixel Python.

Planes are read as zero-copy NumPy views (``np.asarray(frame[p])``) and copied once into a per-thread reused
host buffer; results are written back with ``np.copyto`` into the output frame's planes.
"""

from __future__ import annotations

import threading

import numpy as np
import torch
import vapoursynth as vs

_local = threading.local()


def _host_buffer(planes: int, height: int, width: int) -> np.ndarray:
    """A float32 (planes, H, W) array reused by the calling thread while the size stays the same."""
    buffer = getattr(_local, "buffer", None)
    if buffer is None or buffer.shape != (planes, height, width):
        buffer = np.empty((planes, height, width), dtype=np.float32)
        _local.buffer = buffer
    return buffer


def frame_to_tensor(frame: vs.VideoFrame, device: torch.device) -> torch.Tensor:
    """A float RGBS/GRAYS frame as a (1, 3, H, W) float32 tensor on ``device`` (gray is repeated to 3)."""
    planes = frame.format.num_planes
    host = _host_buffer(planes, frame.height, frame.width)
    for plane in range(planes):
        np.copyto(host[plane], np.asarray(frame[plane]))
    tensor = torch.from_numpy(host).unsqueeze(0)
    if planes == 1:
        tensor = tensor.expand(1, 3, -1, -1)
    # The host buffer is reused by this thread's next call, so the tensor must own its memory.
    return tensor.to(device=device, copy=True)


def tensor_to_frame(tensor: torch.Tensor, frame: vs.VideoFrame) -> None:
    """Write a (1, 3, H, W) tensor into the float planes of ``frame`` (gray frames take channel 0)."""
    values = tensor[0].to(device="cpu", dtype=torch.float32).numpy()
    for plane in range(frame.format.num_planes):
        np.copyto(np.asarray(frame[plane]), values[plane])
