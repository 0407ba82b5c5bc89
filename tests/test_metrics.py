"""``metrics`` scores real frames the way scikit-image does."""

from __future__ import annotations

import numpy as np
import pytest
import vapoursynth as vs
from conftest import planes
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

import vs_slowdeblur
from vs_slowdeblur.filters.metrics import PSNR_PROP, SSIM_PROP


def test_scores_match_scikit_image(bikes_rgb: vs.VideoNode) -> None:
    scored = vs_slowdeblur.metrics(bikes_rgb[1:4], bikes_rgb[:3])  # each frame against its predecessor
    for n in range(3):
        props = scored.get_frame(n).props
        image = planes(bikes_rgb.get_frame(n + 1)).transpose(1, 2, 0)
        reference = planes(bikes_rgb.get_frame(n)).transpose(1, 2, 0)
        assert props[PSNR_PROP] == pytest.approx(peak_signal_noise_ratio(reference, image, data_range=1), abs=1e-6)
        expected = structural_similarity(reference, image, channel_axis=2, data_range=1)
        assert props[SSIM_PROP] == pytest.approx(expected, abs=1e-6)
        assert 10 < props[PSNR_PROP] < 40 and 0 < props[SSIM_PROP] < 1


def test_identical_frames_score_perfectly(bikes_small: vs.VideoNode) -> None:
    props = vs_slowdeblur.metrics(bikes_small, bikes_small).get_frame(2).props
    assert props[PSNR_PROP] == float("inf") and props[SSIM_PROP] == pytest.approx(1.0)
    assert np.array_equal(np.asarray(vs_slowdeblur.metrics(bikes_small, bikes_small).get_frame(2)[0]),
                          np.asarray(bikes_small.get_frame(2)[0]))


def test_size_mismatch_is_clear(bikes_small: vs.VideoNode) -> None:
    with pytest.raises(vs.Error, match=r"^\(metrics\) reference is 96x42 but clip is 192x82"):
        vs_slowdeblur.metrics(bikes_small, bikes_small.resize.Bicubic(96, 42))
