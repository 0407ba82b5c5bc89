"""WindowDeblurNet: the project's motion-deblurring network for a temporal window of blurry frames.

Read it like a figure, top to bottom:
1. ``FrameEncoder`` (shared by every frame) gives features at 1, 1/2 and 1/4 resolution.
2. ``NeighbourAligner`` estimates, at 1/4 resolution, a flow from the centre frame to each neighbour and warps
   the neighbour's 1/4 and 1/2 features onto the centre (learned offsets, trained end to end).
3. ``WindowAttention`` fuses the centre and the aligned neighbours per pixel: a softmax over frames of the
   centre's query against each frame's key (ALANET's cross-attention across adjacent frames, per pixel), so a
   badly aligned or occluded neighbour gets little weight. The window size is free: the fusion is over a set.
4. ``ResidualDecoder`` upsamples with the centre's full-resolution features and predicts a residual that is added
   to the blurry centre frame (a sharp frame costs the network nothing).

Input frames are RGB in [0, 1], height and width multiples of ``INPUT_MULTIPLE`` pixels.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..kernels.warp import backward_warp

INPUT_MULTIPLE = 4  # two stride-2 stages


def conv(in_channels: int, out_channels: int, stride: int = 1, dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, stride, padding=dilation, dilation=dilation)


class ResBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(conv(channels, channels), nn.PReLU(channels), conv(channels, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class FrameEncoder(nn.Module):
    """One frame → features at full (c1), half (c2) and quarter (c3) resolution."""

    def __init__(self, c1: int, c2: int, c3: int) -> None:
        super().__init__()
        self.full_stage = nn.Sequential(conv(3, c1), nn.PReLU(c1), conv(c1, c1), nn.PReLU(c1))
        self.half_stage = nn.Sequential(conv(c1, c2, stride=2), nn.PReLU(c2), ResBlock(c2))
        self.quarter_stage = nn.Sequential(conv(c2, c3, stride=2), nn.PReLU(c3), ResBlock(c3))

    def forward(self, frame: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        full = self.full_stage(frame)
        half = self.half_stage(full)
        return full, half, self.quarter_stage(half)


class NeighbourAligner(nn.Module):
    """Flow (quarter-resolution pixels) from the centre to a neighbour, from their quarter features.
    Dilated convolutions reach about ±30 quarter pixels (±120 full-resolution pixels)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            conv(2 * channels, channels), nn.PReLU(channels),
            conv(channels, channels, dilation=2), nn.PReLU(channels),
            conv(channels, channels, dilation=4), nn.PReLU(channels),
            conv(channels, channels, dilation=8), nn.PReLU(channels),
            conv(channels, 2),
        )

    def forward(self, centre: torch.Tensor, neighbour: torch.Tensor) -> torch.Tensor:
        return self.body(torch.cat([centre, neighbour], dim=1))


class WindowAttention(nn.Module):
    """Per-pixel softmax over frames of <query(centre), key(frame)> / sqrt(d); output = centre ⊕ Σ weight·frame."""

    def __init__(self, channels: int, key_channels: int = 16) -> None:
        super().__init__()
        self.query = nn.Conv2d(channels, key_channels, 1)
        self.key = nn.Conv2d(channels, key_channels, 1)
        self.merge = nn.Sequential(nn.Conv2d(2 * channels, channels, 1), nn.PReLU(channels))
        self.scale = 1 / math.sqrt(key_channels)

    def forward(self, centre: torch.Tensor, frames: list[torch.Tensor]) -> torch.Tensor:
        query = self.query(centre)
        logits = torch.stack([(query * self.key(frame)).sum(1) for frame in frames], dim=1) * self.scale
        weights = logits.softmax(dim=1).unsqueeze(2)  # (B, N, 1, H, W)
        fused = (weights * torch.stack(frames, dim=1)).sum(1)
        return self.merge(torch.cat([centre, fused], dim=1))


class ResidualDecoder(nn.Module):
    def __init__(self, c1: int, c2: int, c3: int, quarter_blocks: int) -> None:
        super().__init__()
        self.quarter_stage = nn.Sequential(*(ResBlock(c3) for _ in range(quarter_blocks)))
        self.up_half = nn.Sequential(conv(c3, 4 * c2), nn.PixelShuffle(2), nn.PReLU(c2))
        self.half_stage = ResBlock(c2)
        self.up_full = nn.Sequential(conv(c2, 4 * c1), nn.PixelShuffle(2), nn.PReLU(c1))
        self.full_stage = nn.Sequential(ResBlock(c1), conv(c1, 3))
        nn.init.zeros_(self.full_stage[-1].weight)  # start as the identity: output = blurry centre frame
        nn.init.zeros_(self.full_stage[-1].bias)

    def forward(self, full: torch.Tensor, half: torch.Tensor, quarter: torch.Tensor) -> torch.Tensor:
        x = self.half_stage(self.up_half(self.quarter_stage(quarter)) + half)
        return self.full_stage(self.up_full(x) + full)


class WindowDeblurNet(nn.Module):
    """Blurry window (centre + neighbours) → sharp centre frame.

    The encoder is exposed (``encode``) so that the engine can cache one frame's features and reuse them for
    every window the frame belongs to.
    """

    def __init__(self, c1: int = 24, c2: int = 48, c3: int = 64, quarter_blocks: int = 3) -> None:
        super().__init__()
        self.encoder = FrameEncoder(c1, c2, c3)
        self.aligner = NeighbourAligner(c3)
        self.fuse_quarter = WindowAttention(c3)
        self.fuse_half = WindowAttention(c2)
        self.decoder = ResidualDecoder(c1, c2, c3, quarter_blocks)

    def encode(self, frame: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Features at full, half and quarter resolution; a neighbour contributes only the last two."""
        return self.encoder(frame)

    def encode_full(self, frame: torch.Tensor) -> torch.Tensor:
        """The full-resolution features alone (the first of ``encode``'s), which only the centre frame needs."""
        return self.encoder.full_stage(frame)

    def restore(self, centre_frame: torch.Tensor, centre: tuple[torch.Tensor, ...],
                neighbours: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """The sharp centre frame from its blurry pixels, its (full, half, quarter) features and each
        neighbour's (half, quarter) features."""
        full, half, quarter = centre
        aligned_quarter, aligned_half = [quarter], [half]
        for n_half, n_quarter in neighbours:
            flow = self.aligner(quarter, n_quarter)
            aligned_quarter.append(backward_warp(n_quarter, flow))
            flow_half = 2 * nn.functional.interpolate(flow, scale_factor=2, mode="bilinear", align_corners=False)
            aligned_half.append(backward_warp(n_half, flow_half))
        fused_quarter = self.fuse_quarter(quarter, aligned_quarter)
        fused_half = self.fuse_half(half, aligned_half)
        return centre_frame + self.decoder(full, fused_half, fused_quarter)

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        """window: (B, N, 3, H, W) with the centre at index N // 2 → (B, 3, H, W)."""
        frames = window.unbind(1)
        middle = len(frames) // 2
        encoded = [self.encode(frame) for frame in frames]
        neighbours = [features[1:] for features in encoded[:middle] + encoded[middle + 1:]]
        return self.restore(frames[middle], encoded[middle], neighbours)
