"""IFNet, the flow network of RIFE HDv3 (Huang et al., ECCV 2022), written from its architecture.

Three flow blocks refine a bidirectional flow to the middle time t=0.5 and a fusion mask, coarse to fine
(input scales 1/4, 1/2, 1). Each block sees both frames warped by the running flow, the running mask and the
flow itself; it is evaluated on both frame orders and the two estimates are averaged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..kernels import backward_warp

BLOCK_WIDTH = 90  # feature channels inside each flow block
IMAGE_CHANNELS = 3


class ConvPReLU(nn.Module):
    """3x3 (by default) convolution followed by a per-channel PReLU."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, stride, 1)
        self.act = nn.PReLU(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x))


def _upsampling_head(width: int, out_channels: int) -> nn.Sequential:
    """Two stride-2 transposed convolutions: back from 1/4 to the block's input resolution."""
    return nn.Sequential(
        nn.ConvTranspose2d(width, width // 2, 4, 2, 1),
        nn.PReLU(width // 2),
        nn.ConvTranspose2d(width // 2, out_channels, 4, 2, 1),
    )


def _resize(x: torch.Tensor, factor: float) -> torch.Tensor:
    if factor == 1:
        return x
    return F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False,
                         recompute_scale_factor=False)


class FlowBlock(nn.Module):
    """One refinement step: predicts a flow update (4 channels) and a mask update at 1/scale resolution."""

    def __init__(self, in_channels: int, width: int = BLOCK_WIDTH) -> None:
        super().__init__()
        self.downsample = nn.Sequential(ConvPReLU(in_channels, width // 2, 2), ConvPReLU(width // 2, width, 2))
        self.stages = nn.ModuleList(
            nn.Sequential(ConvPReLU(width, width), ConvPReLU(width, width)) for _ in range(4)
        )
        self.flow_head = _upsampling_head(width, 4)
        self.mask_head = _upsampling_head(width, 1)

    def forward(self, images: torch.Tensor, flow: torch.Tensor, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.downsample(torch.cat((_resize(images, 1 / scale), _resize(flow, 1 / scale) / scale), 1))
        for stage in self.stages:
            features = stage(features) + features
        flow_update = _resize(self.flow_head(features), scale) * scale
        mask_update = _resize(self.mask_head(features), scale)
        return flow_update, mask_update


def _swap_directions(flow: torch.Tensor) -> torch.Tensor:
    """(F_t→0, F_t→1) → (F_t→1, F_t→0): the flow as seen with the two frames exchanged."""
    return torch.cat((flow[:, 2:4], flow[:, 0:2]), 1)


class IFNet(nn.Module):
    """Bidirectional flow to t=0.5 and fusion-mask logits for a frame pair.

    Inputs: img0, img1 of shape (B, 3, H, W), RGB in [0, 1], H and W multiples of 8·max(scales) pixels.
    Outputs: flow (B, 4, H, W) in pixels = (F_0.5→0, F_0.5→1); mask logits (B, 1, H, W), where
    sigmoid(mask) is the weight of the frame-0 warp in the middle frame.
    """

    def __init__(self) -> None:
        super().__init__()
        in_channels = 2 * IMAGE_CHANNELS + 1 + 4  # both warped frames, mask, flow
        self.blocks = nn.ModuleList(FlowBlock(in_channels) for _ in range(3))

    def forward(
        self, img0: torch.Tensor, img1: torch.Tensor, scales: Sequence[float] = (4, 2, 1)
    ) -> tuple[torch.Tensor, torch.Tensor]:
        layout = memory_format_of(self)  # on the CPU the shared model is channels-last: so are its inputs
        img0, img1 = img0.contiguous(memory_format=layout), img1.contiguous(memory_format=layout)
        batch, _, height, width = img0.shape
        flow = img0.new_zeros(batch, 4, height, width)
        mask = img0.new_zeros(batch, 1, height, width)
        warped0, warped1 = img0, img1
        for block, scale in zip(self.blocks, scales, strict=True):
            # Both frame orders in one batch; the reversed estimate is mapped back and averaged.
            images = torch.cat((torch.cat((warped0, warped1, mask), 1), torch.cat((warped1, warped0, -mask), 1)))
            flows = torch.cat((flow, _swap_directions(flow)))
            flow_updates, mask_updates = block(images, flows, scale)
            flow = flow + (flow_updates[:batch] + _swap_directions(flow_updates[batch:])) / 2
            mask = mask + (mask_updates[:batch] - mask_updates[batch:]) / 2
            warped0 = backward_warp(img0, flow[:, 0:2])
            warped1 = backward_warp(img1, flow[:, 2:4])
        return flow.contiguous(), mask.contiguous()


def memory_format_of(module: nn.Module) -> torch.memory_format:
    """The memory format of ``module``'s first 4-d weight: channels-last or contiguous."""
    weight = next(p for p in module.parameters() if p.dim() == 4)
    return torch.contiguous_format if weight.is_contiguous() else torch.channels_last


_KEY_RULES = [
    (re.compile(r"^block(\d)\.conv0\.(\d)\.0\."), r"blocks.\1.downsample.\2.conv."),
    (re.compile(r"^block(\d)\.conv0\.(\d)\.1\."), r"blocks.\1.downsample.\2.act."),
    (re.compile(r"^block(\d)\.convblock(\d)\.(\d)\.0\."), r"blocks.\1.stages.\2.\3.conv."),
    (re.compile(r"^block(\d)\.convblock(\d)\.(\d)\.1\."), r"blocks.\1.stages.\2.\3.act."),
    (re.compile(r"^block(\d)\.conv1\."), r"blocks.\1.flow_head."),
    (re.compile(r"^block(\d)\.conv2\."), r"blocks.\1.mask_head."),
]


def state_dict_from_official(official: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename the keys of the published RIFE HDv3 ``flownet.pkl`` to this module's names.

    The teacher block (``block_tea``), used only in training, is dropped.
    """
    renamed: dict[str, torch.Tensor] = {}
    for key, value in official.items():
        key = key.removeprefix("module.")
        if key.startswith("block_tea."):
            continue
        for pattern, replacement in _KEY_RULES:
            new_key, count = pattern.subn(replacement, key)
            if count:
                renamed[new_key] = value
                break
        else:
            raise KeyError(f"unexpected key in RIFE HDv3 weights: {key!r}")
    return renamed
