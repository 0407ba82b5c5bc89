"""Compare deblurring weights on real strong blur of the validation (or training) shots:
``python -m vs_slowdeblur.train compare WEIGHTS... [--split validation|train] [--windows N]``.

A weights file is a state dict (the shipped ``window-deblur.pt``) or a training checkpoint (``checkpoint.pt``).
Comparing the two splits shows overfitting: a gain that rises on the training shots while it falls on the
validation shot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..models.deblurnet import WindowDeblurNet
from . import splits
from .deblur import window_psnrs
from .real import dense_segments, real_window

STRONG_BLUR = (4, 0.75)  # keep_every, duty: the benchmark's strong blur
SEED = 777  # windows drawn apart from training (per-step seeds) and from the logged validation set


@dataclass(frozen=True)
class Comparison:
    name: str
    step: int | None
    mean_gain_db: float
    standard_error_db: float
    win_rate: float  # fraction of windows the model improves


def load_weights(path: Path) -> tuple[dict, int | None]:
    state = torch.load(path, weights_only=True, map_location="cpu")
    if "model" in state:  # a training checkpoint
        return state["model"], state["step"]
    return state, None


def compare(paths: list[Path], split: str = "validation", windows: int = 60) -> list[Comparison]:
    """PSNR gain (dB) of each weights file over the blurry input on the same random 128-pixel windows."""
    segments = dense_segments({"validation": splits.VALIDATION, "train": splits.TRAIN}[split])
    rng = np.random.default_rng(SEED)
    keep_every, duty = STRONG_BLUR
    examples = [real_window(segments, rng, 128, 1, keep_every=keep_every, duty=duty) for _ in range(windows)]
    results = []
    for path in paths:
        state, step = load_weights(path)
        model = WindowDeblurNet()
        model.load_state_dict(state)
        model.eval()
        blurry, restored = window_psnrs(model, examples)
        gain = restored - blurry
        results.append(Comparison(str(path), step, float(gain.mean()), float(gain.std() / np.sqrt(len(gain))),
                                  float(np.mean(gain > 0))))
    return results
