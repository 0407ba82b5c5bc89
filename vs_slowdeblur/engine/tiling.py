"""Running a network on overlapping tiles of a frame, and falling back to tiles when the whole frame runs out
of memory.

A frame of H×W pixels is cut into tiles of ``tile`` pixels (a multiple of the model's input multiple) that step
by ``tile - overlap`` pixels; the last tile of each row and column is shifted inward so it ends at the frame's
edge instead of being padded. Only a frame side shorter than ``tile`` is padded (zero, right/bottom, as
``padding.pad_to_multiple``). Outputs are blended with linear (feathered) weights across each overlap, so the
pixels near a tile's inner edge, where the network saw the least context, count the least and no seam shows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from ..models.interpolator import PairMotion, RifeInterpolator
from .padding import crop, pad_to_multiple, padded_size

__all__ = [
    "DEFAULT_OVERLAP",
    "DEFAULT_TILE",
    "OomFallback",
    "TilePlan",
    "estimate_tiled",
    "is_out_of_memory",
    "run_tiled",
    "tile_starts",
    "with_oom_fallback",
]

log = logging.getLogger("vs_slowdeblur")

# Pixels. With rife-hdv3, source frames n and n + 2 scored against the real frame n + 1, tiles of 512 with 128 of
# overlap stayed within 0.06 dB of the whole frame on all 22 pairs measured (16 of bikes at 640x272, 6 of
# bigbuckbunny at 1280x720); 64 of overlap lost up to 0.7 dB, and tiles of 256 up to 1.2 dB on bikes' fast
# shots: the network needs context of about the motion's size, so tiles must not be much smaller than 512.
DEFAULT_TILE = 512
DEFAULT_OVERLAP = 128
ALLOCATION_FAILURE_SIGNS = ("out of memory", "can't allocate memory", "alloc_failed")  # in lower case


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets (pixels) of the tiles covering ``length`` pixels; the last one is shifted to end at the edge.

    Example: ``tile_starts(640, 256, 64) == [0, 192, 384]``; ``tile_starts(300, 256, 64) == [0, 44]``.
    """
    if length <= tile:
        return [0]
    stride = tile - overlap
    starts = list(range(0, length - tile, stride))
    starts.append(length - tile)
    return starts


def _ramp(size: int, start: int, previous_end: int | None, next_start: int | None) -> torch.Tensor:
    """1-D blend weights (size,) of a tile at ``start``: linear across its overlaps with the neighbours, else 1.

    Neighbouring tiles' ramps over the same overlap sum to 1, so a two-tile overlap is a pure cross-fade.
    """
    position = torch.arange(size, dtype=torch.float32) + 0.5  # pixel centres, relative to the tile
    weight = torch.ones(size)
    if previous_end is not None:
        weight = torch.minimum(weight, position / (previous_end - start))
    if next_start is not None:
        weight = torch.minimum(weight, (size - position) / (start + size - next_start))
    return weight


@dataclass(frozen=True)
class TilePlan:
    """Tile size and overlap in pixels; ``multiple`` is the input multiple the network needs (pixels)."""

    tile: int = DEFAULT_TILE
    overlap: int = DEFAULT_OVERLAP
    multiple: int = 32

    def __post_init__(self) -> None:
        if self.multiple < 1:
            raise ValueError(f"tile multiple must be ≥ 1 pixel, got {self.multiple}")
        if self.tile < self.multiple or self.tile % self.multiple:
            raise ValueError(f"tile must be a positive multiple of {self.multiple} pixels, got {self.tile}; "
                             f"use e.g. tile={max(self.multiple, self.tile // self.multiple * self.multiple)}")
        if not 0 <= self.overlap < self.tile:
            raise ValueError(f"tile overlap must be in [0, {self.tile}) pixels, got {self.overlap}")

    def side(self, length: int) -> int:
        """Tile length (pixels) along a frame side of ``length`` pixels: ``tile``, or the padded side if shorter."""
        return min(self.tile, padded_size(length, length, self.multiple)[0])

    def weights(self, length: int) -> list[tuple[int, torch.Tensor]]:
        """(start, 1-D weights) of each tile along a side of ``length`` pixels."""
        size = self.side(length)
        starts = tile_starts(length, size, self.overlap)
        out = []
        for i, start in enumerate(starts):
            previous_end = starts[i - 1] + size if i > 0 else None
            next_start = starts[i + 1] if i + 1 < len(starts) else None
            out.append((start, _ramp(size, start, previous_end, next_start)))
        return out


def run_tiled(fn: Callable[..., torch.Tensor], inputs: Sequence[torch.Tensor], plan: TilePlan,
              pad_mode: str = "constant") -> torch.Tensor:
    """``fn(*inputs)`` computed tile by tile and blended; inputs are (B, C, H, W) with the same H, W.

    ``fn`` gets the same tile of every input (each side a multiple of ``plan.multiple`` pixels) and returns a
    (..., h, w) tensor for it; the result is (..., H, W) in ``fn``'s dtype, on the inputs' device.
    ``pad_mode`` (``constant`` or ``replicate``) pads a frame side shorter than the tile, as ``pad_to_multiple``.
    Example: ``run_tiled(lambda a, b: net(a, b), [frame0, frame1], TilePlan(256, 64, 32))``.
    """
    height, width = inputs[0].shape[-2:]
    if any(tuple(x.shape[-2:]) != (height, width) for x in inputs):
        raise ValueError(f"tiled inputs must share one frame size, got {[tuple(x.shape[-2:]) for x in inputs]}")
    padded = [pad_to_multiple(x, plan.multiple, pad_mode) if min(height, width) < plan.tile else x for x in inputs]
    rows, columns = plan.weights(height), plan.weights(width)
    tile_h, tile_w = plan.side(height), plan.side(width)
    device = inputs[0].device
    total: torch.Tensor | None = None
    weight_sum = torch.zeros(max(height, tile_h), max(width, tile_w), device=device)
    for top, row_weight in rows:
        for left, column_weight in columns:
            window = (..., slice(top, top + tile_h), slice(left, left + tile_w))
            out = fn(*(x[window] for x in padded))
            weight = (row_weight[:, None] * column_weight[None, :]).to(device)
            if total is None:  # accumulated in float32 at least, so fp16 tiles blend without rounding
                total = out.new_zeros((*out.shape[:-2], *weight_sum.shape),
                                      dtype=torch.promote_types(out.dtype, torch.float32))
            total[window] += out * weight
            weight_sum[window] += weight
    assert total is not None  # at least one tile
    return crop(total / weight_sum, height, width).to(out.dtype)


def estimate_tiled(interpolator: RifeInterpolator, frame0: torch.Tensor, frame1: torch.Tensor,
                   plan: TilePlan) -> PairMotion:
    """``interpolator.estimate`` run on tiles: flow and mask logits are blended, the result covers the frame.

    frame0, frame1: (1, 3, H, W) RGB. The returned motion is used like an untiled one (``synthesize`` warps
    the whole frame, which needs little memory); flows are in pixels, so blending them across tiles is exact
    where the tiles agree.
    """

    def motion_tile(tile0: torch.Tensor, tile1: torch.Tensor) -> torch.Tensor:
        motion = interpolator.estimate(tile0, tile1)
        return torch.cat([motion.flow, motion.mask_logits], dim=1)

    blended = run_tiled(motion_tile, [frame0, frame1], plan)
    return PairMotion(frame0, frame1, blended[:, 0:4], blended[:, 4:5])


def is_out_of_memory(exc: BaseException) -> bool:
    """True for a CUDA or host allocation failure: ``torch.OutOfMemoryError``, ``MemoryError``, or a
    RuntimeError whose message is one of the allocators' (CUDA "out of memory", the CPU allocator's "can't
    allocate memory", cuDNN's and cuBLAS's "ALLOC_FAILED"; torch re-raises CuPy's and cuDNN's errors as plain
    RuntimeErrors)."""
    if isinstance(exc, torch.OutOfMemoryError | MemoryError):
        return True
    message = str(exc).lower()
    return isinstance(exc, RuntimeError) and any(sign in message for sign in ALLOCATION_FAILURE_SIGNS)


def _release_cached_memory() -> None:
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


def with_oom_fallback[T](fn_whole: Callable[[], T], fn_tiled: Callable[[], T]) -> T:
    """``fn_whole()``, or ``fn_tiled()`` if it runs out of memory (logged as a warning); other errors propagate.

    Example: ``with_oom_fallback(lambda: net(a, b), lambda: run_tiled(net, [a, b], plan))``.
    """
    try:
        return fn_whole()
    except Exception as exc:
        if not is_out_of_memory(exc):
            raise
        log.warning("vs_slowdeblur: out of memory on the whole frame (%s); retrying in tiles", exc)
    # Outside the except block: the traceback no longer pins the failed attempt's tensors.
    _release_cached_memory()
    return fn_tiled()


class OomFallback:
    """``with_oom_fallback`` that remembers: after the first out-of-memory error every later call goes straight
    to the tiled path, so a clip does not pay a failed whole-frame attempt on each frame.
    """

    def __init__(self) -> None:
        self.tiled = False  # set once, read by every worker thread; a stale read only costs one more retry

    def __call__[T](self, fn_whole: Callable[[], T], fn_tiled: Callable[[], T]) -> T:
        if self.tiled:
            return fn_tiled()

        def tiled_from_now_on() -> T:
            self.tiled = True
            return fn_tiled()

        return with_oom_fallback(fn_whole, tiled_from_now_on)
