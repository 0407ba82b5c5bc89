"""Backward warping: sample an image at positions displaced by a flow field."""

from __future__ import annotations

import torch
import torch.nn.functional as F

_grids: dict[tuple[str, torch.dtype, int, int], torch.Tensor] = {}


def _pixel_grid(height: int, width: int, like: torch.Tensor) -> torch.Tensor:
    """Normalised sampling grid (1, 2, H, W) in [-1, 1] for align_corners=True; cached per size."""
    key = (str(like.device), like.dtype, height, width)
    grid = _grids.get(key)
    if grid is None:
        xs = torch.linspace(-1.0, 1.0, width, device=like.device, dtype=like.dtype)
        ys = torch.linspace(-1.0, 1.0, height, device=like.device, dtype=like.dtype)
        grid = torch.stack(torch.meshgrid(ys, xs, indexing="ij")[::-1]).unsqueeze(0)
        _grids[key] = grid
    return grid


def backward_warp(image: torch.Tensor, flow: torch.Tensor, flow_scale: float = 1.0) -> torch.Tensor:
    """Return ``image`` sampled at ``p + flow_scale · flow(p)`` for every pixel ``p``.

    image: (B, C, H, W); flow: (B, 2, H, W) in pixels, channel 0 = x, 1 = y. Bilinear, border-clamped.
    """
    _, _, height, width = flow.shape
    scale = flow.new_tensor([2.0 * flow_scale / max(width - 1, 1), 2.0 * flow_scale / max(height - 1, 1)])
    grid = (_pixel_grid(height, width, flow) + flow * scale.view(1, 2, 1, 1)).permute(0, 2, 3, 1)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=True)
