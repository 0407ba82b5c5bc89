"""Frame synthesis at any time t from one flow estimate per source pair (Super SloMo style re-timing)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..kernels import backward_warp
from .ifnet import IFNet


@dataclass(frozen=True)
class PairMotion:
    """Everything needed to synthesise any in-between frame of one (padded) source pair.

    flow: (1, 4, H, W) pixels, (F_0.5→0, F_0.5→1); mask_logits: (1, 1, H, W), sigmoid = weight of frame 0.
    """

    frame0: torch.Tensor
    frame1: torch.Tensor
    flow: torch.Tensor
    mask_logits: torch.Tensor

    @property
    def nbytes(self) -> int:
        tensors = (self.frame0, self.frame1, self.flow, self.mask_logits)
        return sum(t.numel() * t.element_size() for t in tensors)


class RifeInterpolator:
    """Runs IFNet once per pair and re-times its middle-time flow to any t in (0, 1)."""

    def __init__(self, network: IFNet, scales: tuple[float, float, float] = (4, 2, 1)) -> None:
        self.network = network
        self.scales = scales

    def estimate(self, frame0: torch.Tensor, frame1: torch.Tensor) -> PairMotion:
        """One network pass on a pair of (1, 3, H, W) RGB tensors (H, W multiples of the model's multiple)."""
        flow, mask_logits = self.network(frame0, frame1, self.scales)
        return PairMotion(frame0, frame1, flow, mask_logits)

    @staticmethod
    def synthesize(motion: PairMotion, t: float) -> torch.Tensor:
        """The frame at time t (0 < t < 1) between the pair, shape (1, 3, H, W).

        Linear motion: the flow from time t to frame 0 is 2t·F_0.5→0 and to frame 1 is 2(1−t)·F_0.5→1. The
        warps are fused with visibility weights (1−t)·V0 and t·V1 (V0 = sigmoid(mask), V1 = 1 − V0), which at
        t = 0.5 is exactly RIFE's own blend.
        """
        warped0 = backward_warp(motion.frame0, motion.flow[:, 0:2], 2 * t)
        warped1 = backward_warp(motion.frame1, motion.flow[:, 2:4], 2 * (1 - t))
        visibility0 = torch.sigmoid(motion.mask_logits)
        weight0 = (1 - t) * visibility0
        share0 = weight0 / (weight0 + t * (1 - visibility0))  # one channel: the blend costs one lerp
        return torch.lerp(warped1, warped0, share0)
