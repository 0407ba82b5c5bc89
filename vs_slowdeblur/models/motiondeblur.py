"""MotionDeblurNet: a deblurring network that is told the motion.

Read it like a figure, top to bottom:
1. ``motion_taps``: the blurry frame sampled along each pixel's trajectory over the exposure, at
   ``TAP_OFFSETS`` times the blur vector (the content's displacement across the exposure, pixels). A box blur
   along a line is inverted by taps along that line, so the network gets them directly instead of having to
   grow a receptive field of 30 pixels in every direction. Taps reach the full blur vector on both sides,
   past the exposure's ends (±½), because motion estimated on blurry frames falls short of the true motion.
2. A small U-Net (full, 1/2 and 1/4 resolution) sees the taps, the blurry frame, the blur vector and the
   disagreement between the forward and backward motion estimates (large where motion is unreliable:
   occlusions, non-linear motion) and predicts a residual added to the blurry frame. The residual starts at
   zero, so an untrained or unsure network returns its input.

Input frames are RGB in [0, 1], height and width multiples of ``INPUT_MULTIPLE`` pixels.
"""

from __future__ import annotations

import torch
from torch import nn

from ..kernels.warp import backward_warp
from .deblurnet import ResBlock, conv

INPUT_MULTIPLE = 4  # two stride-2 stages
TAP_OFFSETS = (-1.0, -0.75, -0.5, -0.25, 0.25, 0.5, 0.75, 1.0)  # fractions of the blur vector
MOTION_UNIT = 16.0  # pixels: motion channels are divided by this to keep them near [-1, 1]
INPUT_CHANNELS = 3 * (len(TAP_OFFSETS) + 1) + 2 + 1


def motion_taps(blurry: torch.Tensor, blur: torch.Tensor) -> torch.Tensor:
    """(B, 3·len(TAP_OFFSETS), H, W): ``blurry`` sampled at p + o·blur(p) for each offset o."""
    return torch.cat([backward_warp(blurry, blur * offset) for offset in TAP_OFFSETS], dim=1)


class MotionDeblurNet(nn.Module):
    """Blurry frame + blur vector field + motion disagreement → sharp frame."""

    def __init__(self, c1: int = 16, c2: int = 32, c3: int = 64, quarter_blocks: int = 4) -> None:
        super().__init__()
        self.full_in = nn.Sequential(conv(INPUT_CHANNELS, c1), nn.PReLU(c1), conv(c1, c1), nn.PReLU(c1))
        self.half_in = nn.Sequential(conv(c1, c2, stride=2), nn.PReLU(c2), ResBlock(c2))
        self.quarter = nn.Sequential(conv(c2, c3, stride=2), nn.PReLU(c3),
                                     *(ResBlock(c3) for _ in range(quarter_blocks)))
        self.up_half = nn.Sequential(conv(c3, 4 * c2), nn.PixelShuffle(2), nn.PReLU(c2))
        self.half_out = ResBlock(c2)
        self.up_full = nn.Sequential(conv(c2, 4 * c1), nn.PixelShuffle(2), nn.PReLU(c1))
        self.full_out = nn.Sequential(ResBlock(c1), conv(c1, 3))
        nn.init.zeros_(self.full_out[-1].weight)  # start as the identity: output = blurry frame
        nn.init.zeros_(self.full_out[-1].bias)

    def forward(self, blurry: torch.Tensor, blur: torch.Tensor, disagreement: torch.Tensor) -> torch.Tensor:
        """blurry (B, 3, H, W); blur (B, 2, H, W): displacement across the exposure in pixels (x, y);
        disagreement (B, 1, H, W): |forward − backward| motion over the exposure in pixels → (B, 3, H, W)."""
        inputs = torch.cat([blurry, motion_taps(blurry, blur), blur / MOTION_UNIT, disagreement / MOTION_UNIT], 1)
        full = self.full_in(inputs)
        half = self.half_in(full)
        x = self.half_out(self.up_half(self.quarter(half)) + half)
        return blurry + self.full_out(self.up_full(x) + full)
