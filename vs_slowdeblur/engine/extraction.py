"""Sharp frames from inside one exposure: a restored frame's content moved along its motion to other times.

A blurry frame is the mean of the sharp frames over its exposure (Jin et al. 2018), so every time inside the
exposure is in that one frame. The restored frame shows the exposure's middle; the content at time τ (frame
intervals from the middle, |τ| ≤ exposure/2) is that frame moved by τ·v, with v the velocity of the adjacent
pair on τ's side (pixels per frame interval, see ``engine.motion_deblur``).
"""

from __future__ import annotations

import torch

from ..kernels.warp import backward_warp


def exposure_offsets(count: int, exposure: float) -> list[float]:
    """Times of ``count`` frames spread evenly over an exposure of ``exposure`` frame intervals: the middles of
    ``count`` equal parts of [−exposure/2, exposure/2], in frame intervals from the exposure's middle."""
    return [exposure * ((k + 0.5) / count - 0.5) for k in range(count)]


def move_to(restored: torch.Tensor, forward: torch.Tensor, backward: torch.Tensor, offset: float) -> torch.Tensor:
    """``restored`` (1, C, H, W) as it was ``offset`` frame intervals later (earlier where negative): pixel p
    shows the content that stood at p − offset·v, with v the ``forward`` velocity (pair n, n+1) for a positive
    offset and the ``backward`` one (pair n−1, n) for a negative one ((1, 2, H, W), pixels per frame interval)."""
    if offset == 0:
        return restored
    return backward_warp(restored, forward if offset > 0 else backward, -offset)
