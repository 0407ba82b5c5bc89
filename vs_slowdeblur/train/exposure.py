"""Training data and scores of the exposure estimator (``python -m vs_slowdeblur.train deblur --model exposure``).

Its examples are the motion-deblur model's (``train.motion``): crops of real shots blurred with known
exposures, with RIFE's motion on their blurry keyframes, and exact synthetic blur with RIFE-like motion errors.
The target is the exposure the crop was blurred with (a fraction of the keyframe interval). A crop that barely
moves shows no smear to measure, so a draw is repeated (up to ``DRAWS`` times) until it moves. The loss is the
absolute error of log2(exposure) (a factor of two counts the same at 1/8 as at 1/2), of the crop's estimate and of
every moving pixel's, the latter weighted by speed up to ``FULL_EVIDENCE``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..models.exposurenet import INPUT_MULTIPLE, ExposureNet, pooled_speed, weighted_mean
from .motion import (
    WHOLE_FRAME_STRIDE,
    MotionData,
    MotionExample,
    flip_example,
    real_example,
    synthetic_example,
    whole_keyframe,
)

DRAWS = 8  # tries to draw a moving crop
MOVING = 1.5  # pixels per keyframe interval: a crop's mean speed above this counts as moving
FULL_EVIDENCE = 8.0  # pixels per keyframe interval: a pixel this fast counts fully in the per-pixel loss
Inputs = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # blurry, velocity, disagreement (batched)


def estimator_inputs(blurry: torch.Tensor, forward: torch.Tensor, backward: torch.Tensor) -> Inputs:
    """ExposureNet's inputs from (B, 3, H, W) frames and (B, 2, H, W) velocities (pixels per frame interval)."""
    return blurry, (forward + backward) / 2, (forward - backward).norm(dim=1, keepdim=True)


def moving_example(data: MotionData, rng: np.random.Generator, patch: int, synthetic_share: float,
                   low_duty_odds: float) -> MotionExample:
    """A synthetic or real example (odds ``synthetic_share``), drawn again while its crop does not move."""
    for _ in range(DRAWS):
        if rng.random() < synthetic_share:
            example = synthetic_example(data.photos, rng, patch, low_duty_odds=low_duty_odds)
        else:
            example = real_example(data.shots, rng, patch, moving_odds=1.0)
        if float(((example.forward + example.backward) / 2).norm(dim=0).mean()) > MOVING:
            break
    return flip_example(example, rng)


def exposure_batch(data: MotionData, batch: int, patch: int, synthetic_share: float, seed: int, step: int,
                   low_duty_odds: float) -> tuple[Inputs, torch.Tensor]:
    """Batch ``step``: example i from ``default_rng([seed, step, i])``; target: (B,) true exposures."""
    examples = [moving_example(data, np.random.default_rng([seed, step, i]), patch, synthetic_share, low_duty_odds)
                for i in range(batch)]
    inputs = estimator_inputs(torch.stack([e.blurry for e in examples]), torch.stack([e.forward for e in examples]),
                              torch.stack([e.backward for e in examples]))
    return inputs, torch.tensor([e.exposure for e in examples])


def log2_error(model: ExposureNet, inputs: Inputs, targets: torch.Tensor) -> torch.Tensor:
    """|log2(estimate) − log2(truth)|: of each crop's weighted mean (which trains the weights), plus, since one
    exposure holds for the whole frame, of every moving pixel's own estimate (which trains far faster)."""
    exposure, weight = model(*inputs)
    truth = targets.log2()[:, None, None]
    evidence = (weight > 0) * (pooled_speed(inputs[1]) / FULL_EVIDENCE).clamp(max=1)  # a longer smear tells more
    per_pixel = ((exposure.clamp_min(1e-3).log2() - truth).abs() * evidence).sum() / evidence.sum().clamp_min(1)
    estimate = weighted_mean(exposure, weight)
    known = torch.isfinite(estimate)
    pooled = (estimate[known].clamp_min(1e-3).log2() - truth[known, 0, 0]).abs().mean()
    return pooled + per_pixel


def frame_inputs(data: MotionData, group: str, index: int) -> Inputs:
    """Whole keyframe ``index`` of held-out shot ``group``, cropped to a multiple of ``INPUT_MULTIPLE`` pixels."""
    example = whole_keyframe(data.held_out[group], index, INPUT_MULTIPLE)
    return estimator_inputs(example.blurry[None], example.forward[None], example.backward[None])


@torch.inference_mode()
def validate_exposure(model: nn.Module, data: MotionData) -> dict:
    """Per held-out shot (every ``WHOLE_FRAME_STRIDE``-th whole keyframe): the mean |log2 error| and the median
    estimate."""
    model.eval()
    errors, medians = {}, {}
    for group, shot in data.held_out.items():
        estimates = np.array([float(model.estimate(*frame_inputs(data, group, i)))
                              for i in range(0, len(shot.blurry), WHOLE_FRAME_STRIDE)])
        errors[group] = float(np.nanmean(np.abs(np.log2(estimates / shot.exposure))))
        medians[group] = float(np.nanmedian(estimates))
    model.train()
    return {"validation_log2_error": errors, "validation_median_exposure": medians}
