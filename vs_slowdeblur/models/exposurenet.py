"""ExposureNet: how long the shutter was open, read off a blurry frame and the motion estimated for it.

A frame exposed for a fraction e of the frame interval, moving at velocity v (pixels per frame interval), is
smeared along v over e·|v| pixels: a sharp edge across the motion becomes a ramp of that length. The network sees
the frame, the frame sampled along v at fractions of it (``motion_taps`` at exposure 1, so a tap's likeness to the
centre tells how far the smear reaches) and as far across v (the same distances where nothing is smeared: the
scene's own contrast at that scale, to compare with), the velocity and the forward/backward disagreement. It
predicts at 1/4 resolution an exposure per pixel and a weight (how much that pixel's evidence counts: high on
edges across the motion, low where nothing moves or the motion is unreliable). A frame's estimate is the weighted
mean.

Input frames are RGB in [0, 1], height and width multiples of ``INPUT_MULTIPLE`` pixels.
"""

from __future__ import annotations

import torch
from torch import nn

from .deblurnet import ResBlock, conv
from .motiondeblur import MOTION_UNIT, TAP_OFFSETS, motion_taps

INPUT_MULTIPLE = 4  # two stride-2 stages
INPUT_CHANNELS = 3 * (len(TAP_OFFSETS) + 1) + 2 * len(TAP_OFFSETS) + 2 + 1
MAX_EXPOSURE = 1.0  # fractions of the frame interval: the estimate lies in (0, MAX_EXPOSURE]
STILL = 0.5  # pixels per frame interval: slower pixels carry no weight (no smear to measure)


def pooled_speed(velocity: torch.Tensor) -> torch.Tensor:
    """(B, H/4, W/4) speed in pixels per frame interval, at the resolution of the network's output."""
    return nn.functional.avg_pool2d(velocity, INPUT_MULTIPLE).norm(dim=1)


def weighted_mean(exposure: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """(B,) each frame's exposure map averaged with its weights (NaN where no pixel carries weight)."""
    return (exposure * weight).sum((1, 2)) / weight.sum((1, 2))


def tap_contrast(differences: torch.Tensor) -> torch.Tensor:
    """(B, len(TAP_OFFSETS), H, W): each tap's mean absolute difference from the centre over the colours."""
    return differences.abs().unflatten(1, (len(TAP_OFFSETS), 3)).mean(2)


class ExposureNet(nn.Module):
    """Blurry frame + velocity + disagreement → per-pixel exposure and weight at 1/4 resolution."""

    def __init__(self, c1: int = 24, c2: int = 32, blocks: int = 3) -> None:
        super().__init__()
        self.body = nn.Sequential(
            conv(INPUT_CHANNELS, c1), nn.PReLU(c1),
            conv(c1, c2, stride=2), nn.PReLU(c2),
            conv(c2, c2, stride=2), nn.PReLU(c2),
            *(ResBlock(c2) for _ in range(blocks)),
            nn.Conv2d(c2, 2, 1),
        )

    def forward(self, blurry: torch.Tensor, velocity: torch.Tensor,
                disagreement: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """blurry (B, 3, H, W); velocity (B, 2, H, W) and disagreement (B, 1, H, W) in pixels per frame interval
        → exposure (B, H/4, W/4) in (0, MAX_EXPOSURE] and weight (B, H/4, W/4) ≥ 0."""
        centre = blurry.repeat(1, len(TAP_OFFSETS), 1, 1)
        along = motion_taps(blurry, velocity) - centre
        across = motion_taps(blurry, torch.stack([-velocity[:, 1], velocity[:, 0]], 1)) - centre
        inputs = torch.cat([blurry, along, tap_contrast(along), tap_contrast(across), velocity / MOTION_UNIT,
                            disagreement / MOTION_UNIT], 1)
        exposure_logit, weight_logit = self.body(inputs).unbind(1)
        weight = torch.sigmoid(weight_logit) * (pooled_speed(velocity) > STILL)
        return MAX_EXPOSURE * torch.sigmoid(exposure_logit), weight

    def estimate(self, blurry: torch.Tensor, velocity: torch.Tensor, disagreement: torch.Tensor) -> torch.Tensor:
        """(B,) the weighted mean exposure of each frame (NaN where no pixel carries weight)."""
        exposure, weight = (t.float() for t in self(blurry, velocity, disagreement))  # sums in fp32 under autocast
        return weighted_mean(exposure, weight)
