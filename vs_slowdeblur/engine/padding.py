"""Padding to a model's input multiple, and cropping back."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def padded_size(height: int, width: int, multiple: int) -> tuple[int, int]:
    """Smallest (H, W) ≥ the given size that are multiples of ``multiple`` pixels."""
    return -(-height // multiple) * multiple, -(-width // multiple) * multiple


def pad_to_multiple(tensor: torch.Tensor, multiple: int, mode: str = "constant") -> torch.Tensor:
    """Pad a (B, C, H, W) tensor on the right and bottom: with zeros (``constant``, as the RIFE reference
    does) or by repeating the edge pixels (``replicate``, which keeps a deblurring window free of fake edges)."""
    height, width = tensor.shape[-2:]
    target_h, target_w = padded_size(height, width, multiple)
    if (target_h, target_w) == (height, width):
        return tensor
    return F.pad(tensor, (0, target_w - width, 0, target_h - height), mode=mode)


def crop(tensor: torch.Tensor, height: int, width: int) -> torch.Tensor:
    return tensor[..., :height, :width]
