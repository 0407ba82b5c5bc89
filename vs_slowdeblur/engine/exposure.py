"""``exposure="auto"``: the exposure whose restoration, blurred again along the told motion, best explains the
blurry frame.

A blurry frame B is the mean of the sharp frames over the exposure, so a restoration R made for the right
exposure e, moved along the blur vector b(e) = velocity·e and averaged (``reblur``), gives B back. Told too
much, the network invents detail and the reblur misses B; told too little, it barely changes B, and the reblur
of B itself misses B by as much as R's does. The score of a candidate is therefore the ratio
‖reblur(R_e, b(e)) − B‖² / ‖reblur(B, b(e)) − B‖²: below 1 when R explains B better than B explains itself.
Each candidate costs one network run, so they are compared on one square (``PROBE_SIZE`` pixels) where the
frame moves most. On real blur the smallest ratio falls at the true exposure or one candidate below it
(docs/BENCHMARKS.md), so a smaller candidate within ``TOLERANCE`` of the best is preferred.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..kernels.warp import backward_warp

AUTO = "auto"
CANDIDATES = (1 / 8, 1 / 4, 1 / 2, 3 / 4, 1.0)  # fractions of the frame interval, smallest first
TOLERANCE = 0.05  # a smaller candidate whose ratio is within 5 % of the best one's wins
PROBE_SIZE = 128  # pixels: side of the square the candidates are compared on
MARGIN = 16  # pixels of context around it for the network, left out of the score
STILL = 1.0  # pixels: a square whose blur at exposure 1 is shorter than this shows no blur to measure
# Restores a (1, 3, h, w) crop from its (1, 2, h, w) forward and backward velocities told an exposure.
Restorer = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, float], torch.Tensor]


def reblur(sharp: torch.Tensor, blur: torch.Tensor) -> torch.Tensor:
    """The mean of ``sharp`` (1, 3, H, W) moved along ``blur`` (1, 2, H, W, pixels across the exposure) over
    the exposure (−½ … ½), one sample per pixel of the longest blur."""
    samples = min(33, max(3, math.ceil(float(blur.norm(dim=1).max())) + 1))
    offsets = torch.linspace(-0.5, 0.5, samples).tolist()
    return torch.stack([backward_warp(sharp, blur * offset) for offset in offsets]).mean(0)


def probe_box(speed: torch.Tensor, size: int) -> tuple[int, int]:
    """(top, left) of the ``size``-pixel square (clipped to the frame) where ``speed`` (H, W) sums highest,
    from a summed-area table."""
    height, width = speed.shape
    box_h, box_w = min(size, height), min(size, width)
    table = F.pad(speed.double().cumsum(0).cumsum(1), (1, 0, 1, 0))
    sums = (table[box_h:, box_w:] - table[:-box_h, box_w:] - table[box_h:, :-box_w] + table[:-box_h, :-box_w])
    index = int(sums.argmax())
    return index // sums.shape[1], index % sums.shape[1]


def estimate_exposure(restore: Restorer, blurry: torch.Tensor, forward: torch.Tensor,
                      backward: torch.Tensor) -> float:
    """The candidate exposure (fraction of the frame interval) that best explains ``blurry`` (1, 3, H, W)
    given its forward and backward velocities (1, 2, H, W, pixels per frame interval)."""
    velocity = (forward + backward) / 2
    height, width = blurry.shape[-2:]
    top, left = probe_box(velocity[0].norm(dim=0), PROBE_SIZE)
    size_h, size_w = min(PROBE_SIZE, height), min(PROBE_SIZE, width)
    y0, x0 = max(0, top - MARGIN), max(0, left - MARGIN)
    y1, x1 = min(height, top + size_h + MARGIN), min(width, left + size_w + MARGIN)
    inner = (slice(None), slice(None), slice(top - y0, top - y0 + size_h), slice(left - x0, left - x0 + size_w))
    window = (slice(None), slice(None), slice(y0, y1), slice(x0, x1))
    crop_blurry, crop_forward, crop_backward = blurry[window], forward[window], backward[window]
    if float(velocity[window][inner].norm(dim=1).mean()) < STILL:
        return CANDIDATES[0]
    ratios = []
    for exposure in CANDIDATES:
        blur = (crop_forward + crop_backward) / 2 * exposure
        restored = restore(crop_blurry, crop_forward, crop_backward, exposure)
        explained = (reblur(restored, blur) - crop_blurry)[inner].square().mean()
        itself = (reblur(crop_blurry, blur) - crop_blurry)[inner].square().mean()
        ratios.append(float(explained / itself.clamp_min(1e-12)))
    best = min(ratios)
    return next(e for e, ratio in zip(CANDIDATES, ratios, strict=True) if ratio <= best * (1 + TOLERANCE))
