"""Image quality measures on float arrays (planes, H, W) with values in [0, 1]."""

from __future__ import annotations

import numpy as np

SSIM_WINDOW = 7  # pixels, uniform window (scikit-image's default)


def psnr(image: np.ndarray, reference: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB for peak 1.0 over all planes and pixels (inf when identical)."""
    mse = float(np.mean((image.astype(np.float64) - reference.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(1.0 / mse))


def _box_mean(x: np.ndarray, size: int) -> np.ndarray:
    """Mean over every size×size window fully inside x (valid positions only)."""
    summed = np.cumsum(np.cumsum(np.pad(x, ((1, 0), (1, 0))), axis=0), axis=1)
    window = summed[size:, size:] - summed[:-size, size:] - summed[size:, :-size] + summed[:-size, :-size]
    return window / (size * size)


def ssim(image: np.ndarray, reference: np.ndarray) -> float:
    """Structural similarity (Wang et al. 2004) with a 7x7 uniform window, data range 1, sample covariance,
    averaged over valid window positions and planes: the same definition as scikit-image's defaults."""
    c1, c2 = 0.01**2, 0.03**2
    n = SSIM_WINDOW * SSIM_WINDOW
    correction = n / (n - 1)
    scores = []
    for a, b in zip(image.astype(np.float64), reference.astype(np.float64), strict=True):
        mean_a, mean_b = _box_mean(a, SSIM_WINDOW), _box_mean(b, SSIM_WINDOW)
        var_a = (_box_mean(a * a, SSIM_WINDOW) - mean_a**2) * correction
        var_b = (_box_mean(b * b, SSIM_WINDOW) - mean_b**2) * correction
        cov = (_box_mean(a * b, SSIM_WINDOW) - mean_a * mean_b) * correction
        s = ((2 * mean_a * mean_b + c1) * (2 * cov + c2)) / ((mean_a**2 + mean_b**2 + c1) * (var_a + var_b + c2))
        scores.append(s.mean())
    return float(np.mean(scores))
