"""slowmo: interpolate's contract on deblurred keyframes; deblur=False is interpolate; presets decide."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import vapoursynth as vs
from conftest import planes

import vs_slowdeblur
from vs_slowdeblur.filters.interpolate import POSITION_PROP, SYNTHESIZED_PROP


@pytest.mark.parametrize("factor", [2, Fraction(5, 2)])
def test_contract_like_interpolate(bikes_rgb: vs.VideoNode, factor: Fraction) -> None:
    out = vs_slowdeblur.slowmo(bikes_rgb, factor)
    reference = vs_slowdeblur.interpolate(bikes_rgb, factor)
    assert (out.num_frames, out.fps, out.format.id) == (reference.num_frames, reference.fps, reference.format.id)
    for n in (0, 1, 5):
        mine, theirs = out.get_frame(n).props, reference.get_frame(n).props
        assert mine[POSITION_PROP] == theirs[POSITION_PROP]
        assert mine[SYNTHESIZED_PROP] == theirs[SYNTHESIZED_PROP]


def test_source_positions_carry_deblurred_frames(bikes_rgb: vs.VideoNode) -> None:
    out = vs_slowdeblur.slowmo(bikes_rgb, 2)
    deblurred = vs_slowdeblur.deblur(bikes_rgb)
    np.testing.assert_array_equal(planes(out.get_frame(6)), planes(deblurred.get_frame(3)))


def test_deblur_false_equals_interpolate(bikes_rgb: vs.VideoNode) -> None:
    out = vs_slowdeblur.slowmo(bikes_rgb, 3, deblur=False)
    reference = vs_slowdeblur.interpolate(bikes_rgb, 3)
    for n in (1, 4, 8):
        np.testing.assert_array_equal(planes(out.get_frame(n)), planes(reference.get_frame(n)))


def test_animation_preset_turns_deblur_off_and_keywords_win(bikes_rgb: vs.VideoNode) -> None:
    reference = planes(vs_slowdeblur.interpolate(bikes_rgb, 2).get_frame(2))
    np.testing.assert_array_equal(planes(vs_slowdeblur.slowmo(bikes_rgb, preset="animation").get_frame(2)),
                                  reference)
    deblurred = planes(vs_slowdeblur.slowmo(bikes_rgb, preset="animation", deblur=True).get_frame(2))
    assert not np.array_equal(deblurred, reference)


def test_one_frame_clip_returns_that_frame_deblurred(bikes_rgb: vs.VideoNode) -> None:
    one = bikes_rgb[:1]
    out = vs_slowdeblur.slowmo(one, 4)
    assert out.num_frames == 4
    expected = planes(vs_slowdeblur.deblur(one).get_frame(0))
    for n in range(4):
        np.testing.assert_array_equal(planes(out.get_frame(n)), expected)
