"""``exposure="auto"``: the exposure whose restoration, blurred again along the told motion, best explains the
blurry frames of a shot.

A blurry frame B is the mean of the sharp frames over the exposure, so a restoration R made for the right
exposure e, moved along the blur vector b(e) = velocity·e and averaged (``reblur``), gives B back. Told too
much, the network invents detail and the reblur misses B; told too little, it barely changes B, and the reblur
of B itself misses B by as much as R's does. The score of a candidate is therefore the ratio
‖reblur(R_e, b(e)) − B‖² / ‖reblur(B, b(e)) − B‖²: below 1 when R explains B better than B explains itself.
Each candidate costs one network run, so they are compared on up to ``SQUARES`` squares (``PROBE_SIZE`` pixels)
where the frame moves most, their sums pooled; the candidate with the smallest ratio is the frame's *vote*
(``exposure_vote``). One frame's vote is noisy (on real strong blur it scattered from 1/4 to 1), so a frame is
restored for the lower median of the votes of the frames within ``POOL_RADIUS`` of it in its shot
(``pooled_exposure``). The rule was chosen on held-out shots (docs/BENCHMARKS.md, "Deblur: exposure="auto" pooled
over the shot").
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..kernels.warp import backward_warp

AUTO = "auto"
CANDIDATES = (1 / 8, 1 / 4, 1 / 2, 3 / 4, 1.0)  # fractions of the frame interval, smallest first
SQUARES = 3  # squares a frame's candidates are compared on, the fastest-moving ones that keep clear of each other
PROBE_SIZE = 128  # pixels: side of a square
MARGIN = 16  # pixels of context around it for the network, left out of the score
STILL = 1.0  # pixels: a square whose blur at exposure 1 is shorter than this shows no blur to measure
POOL_RADIUS = 4  # frames: a frame's exposure pools the votes of the frames this close to it in its shot
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


def probe_boxes(speed: torch.Tensor, size: int, count: int) -> list[tuple[int, int]]:
    """(top, left) of up to ``count`` ``size``-pixel squares, fastest-moving first (``probe_box``); each keeps
    half a square clear of the ones before it, and fewer come back where no such square is left."""
    speed = speed.double().clone()
    cleared = -1e12  # a square that touches a cleared pixel sums below any square that does not
    boxes: list[tuple[int, int]] = []
    for _ in range(count):
        top, left = probe_box(speed, size)
        if float(speed[top:top + size, left:left + size].min()) == cleared:
            break
        boxes.append((top, left))
        half = size // 2
        speed[max(0, top - half):top + size + half, max(0, left - half):left + size + half] = cleared
    return boxes


def exposure_vote(restore: Restorer, blurry: torch.Tensor, forward: torch.Tensor,
                  backward: torch.Tensor) -> int | None:
    """The index in ``CANDIDATES`` of the exposure that best explains ``blurry`` (1, 3, H, W) given its forward
    and backward velocities (1, 2, H, W, pixels per frame interval), or None where no square moves (``STILL``)."""
    velocity = (forward + backward) / 2
    height, width = blurry.shape[-2:]
    size_h, size_w = min(PROBE_SIZE, height), min(PROBE_SIZE, width)
    explained = [0.0] * len(CANDIDATES)
    itself = [0.0] * len(CANDIDATES)
    moving = False
    for top, left in probe_boxes(velocity[0].norm(dim=0), PROBE_SIZE, SQUARES):
        y0, x0 = max(0, top - MARGIN), max(0, left - MARGIN)
        y1, x1 = min(height, top + size_h + MARGIN), min(width, left + size_w + MARGIN)
        inner = (slice(None), slice(None), slice(top - y0, top - y0 + size_h), slice(left - x0, left - x0 + size_w))
        window = (slice(None), slice(None), slice(y0, y1), slice(x0, x1))
        crop_blurry, crop_forward, crop_backward = blurry[window], forward[window], backward[window]
        if float(velocity[window][inner].norm(dim=1).mean()) < STILL:
            continue
        moving = True
        for j, exposure in enumerate(CANDIDATES):
            blur = (crop_forward + crop_backward) / 2 * exposure
            restored = restore(crop_blurry, crop_forward, crop_backward, exposure)
            explained[j] += float((reblur(restored, blur) - crop_blurry)[inner].square().mean())
            itself[j] += float((reblur(crop_blurry, blur) - crop_blurry)[inner].square().mean())
    if not moving:
        return None
    ratios = [e / max(i, 1e-12) for e, i in zip(explained, itself, strict=True)]
    return ratios.index(min(ratios))


def pooled_exposure(votes: list[int | None]) -> float:
    """The exposure (fraction of the frame interval) of the lower median of ``votes`` (``exposure_vote``'s, of
    the frames around one frame); the smallest candidate where no frame voted."""
    cast = sorted(vote for vote in votes if vote is not None)
    return CANDIDATES[cast[(len(cast) - 1) // 2]] if cast else CANDIDATES[0]
