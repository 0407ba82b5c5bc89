"""Never synthesise across a scene cut: frames around a cut repeat the nearer source frame."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import vapoursynth as vs
from conftest import planes

import vs_slowdeblur
from vs_slowdeblur.filters.interpolate import SYNTHESIZED_PROP

core = vs.core


@pytest.fixture(scope="module")
def two_shots(bikes_rgb: vs.VideoNode, carphone: vs.VideoNode) -> vs.VideoNode:
    """Three frames of bikes, then three of carphone (an unrelated real shot), same size and format."""
    other = carphone[40:43].resize.Bicubic(bikes_rgb.width, bikes_rgb.height, format=vs.RGBS,
                                           matrix_in=vs.MATRIX_ST170_M)
    return bikes_rgb[:3] + other.std.AssumeFPS(bikes_rgb)


@pytest.mark.parametrize("factor", [2, 4, Fraction(5, 2)])
def test_no_blend_across_the_cut(two_shots: vs.VideoNode, factor: Fraction) -> None:
    out = vs_slowdeblur.interpolate(two_shots, factor)
    sources = [planes(two_shots.get_frame(i)) for i in range(two_shots.num_frames)]
    for m in range(out.num_frames):
        position = out.get_frame(m).props["SlowdeblurPosition"]
        if 2 < position < 3:  # between the last bikes frame (2) and the first carphone frame (3)
            frame = out.get_frame(m)
            nearer = 2 if position < 2.5 else 3
            assert frame.props[SYNTHESIZED_PROP] == 0
            assert np.array_equal(planes(frame), sources[nearer]), (m, position)
    synthesized = [out.get_frame(m).props[SYNTHESIZED_PROP] for m in range(out.num_frames)]
    assert sum(synthesized) > 0  # inside each shot, in-betweens are still synthesised


@pytest.mark.parametrize("flagged", ["", "both", "prev"], ids=["detector", "props", "prev-prop-only"])
@pytest.mark.parametrize("factor", [2, 4, Fraction(5, 2), Fraction(3, 2), Fraction(6, 5)])
def test_scene_change_flags_mark_where_the_output_changes_shot(two_shots: vs.VideoNode, factor: Fraction,
                                                               flagged: str) -> None:
    """_SceneChangeNext on the last output frame of the first shot, _SceneChangePrev on the first of the second
    (which may be a repeat of source frame 3 before frame 3's own time), and on no other frame. Input flags as
    a scene detector writes them (on every frame, 1 only at the cut): on both sides of the cut, or only
    _SceneChangePrev on its second frame (frame 2 then says _SceneChangeNext=0: either flag marks a cut)."""
    clip = two_shots
    if flagged:
        clip = clip.std.SetFrameProps(_SceneChangeNext=0, _SceneChangePrev=0)
        last_of_first_shot = clip[2].std.SetFrameProps(_SceneChangeNext=1) if flagged == "both" else clip[2]
        clip = clip[:2] + last_of_first_shot + clip[3].std.SetFrameProps(_SceneChangePrev=1) + clip[4:]
    out = vs_slowdeblur.interpolate(clip, factor)
    first_of_new_shot = next(m for m in range(out.num_frames)
                             if out.get_frame(m).props["SlowdeblurPosition"] >= 2.5)
    assert np.array_equal(planes(out.get_frame(first_of_new_shot)), planes(two_shots.get_frame(3)))
    flags = [(m, key) for m in range(out.num_frames) for key in ("_SceneChangeNext", "_SceneChangePrev")
             if out.get_frame(m).props.get(key, 0) == 1]
    assert flags == [(first_of_new_shot - 1, "_SceneChangeNext"), (first_of_new_shot, "_SceneChangePrev")]


def test_scene_change_props_win_over_the_detector(bikes_rgb: vs.VideoNode) -> None:
    marked = bikes_rgb[:2].std.SetFrameProps(_SceneChangeNext=1)
    out = vs_slowdeblur.interpolate(marked, 2)
    assert out.get_frame(1).props[SYNTHESIZED_PROP] == 0
    unmarked = vs_slowdeblur.interpolate(bikes_rgb[:2], 2)
    assert unmarked.get_frame(1).props[SYNTHESIZED_PROP] == 1


def test_scene_change_false_interpolates_across_cut(two_shots: vs.VideoNode) -> None:
    out = vs_slowdeblur.interpolate(two_shots, 2, scene_change=False)
    assert out.get_frame(5).props[SYNTHESIZED_PROP] == 1
