"""The index / length / rate / props contract of ``interpolate`` on real frames."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import vapoursynth as vs
from conftest import planes, psnr

import vs_slowdeblur
from vs_slowdeblur.filters.interpolate import POSITION_PROP, SYNTHESIZED_PROP

core = vs.core


@pytest.mark.parametrize("k", [2, 3, 4])
def test_integer_factor_keeps_source_frames_bit_exact(bikes_rgb: vs.VideoNode, k: int) -> None:
    clip = bikes_rgb[:4]
    out = vs_slowdeblur.interpolate(clip, k)
    assert out.num_frames == k * clip.num_frames
    assert out.fps == clip.fps * k
    assert out.format.id == clip.format.id and (out.width, out.height) == (clip.width, clip.height)
    for i in range(clip.num_frames):
        assert np.array_equal(planes(out.get_frame(k * i)), planes(clip.get_frame(i)))
        assert out.get_frame(k * i).props[SYNTHESIZED_PROP] == 0
    # The k-1 frames after the last source frame repeat it (MVTools' convention).
    last = planes(clip.get_frame(clip.num_frames - 1))
    for m in range(k * (clip.num_frames - 1) + 1, k * clip.num_frames):
        assert np.array_equal(planes(out.get_frame(m)), last)


def test_in_between_frames_lie_between_their_sources(bikes_rgb: vs.VideoNode) -> None:
    """Each in-between is closer to the real middle frame than either neighbour is (a moving shot)."""
    truth, frame0, frame1 = (planes(bikes_rgb.get_frame(i)) for i in (1, 0, 2))
    dropped = bikes_rgb[0] + bikes_rgb[2]
    out = vs_slowdeblur.interpolate(dropped, 2)
    middle = out.get_frame(1)
    assert middle.props[SYNTHESIZED_PROP] == 1
    assert middle.props[POSITION_PROP] == 0.5
    synthesized = planes(middle)
    score = psnr(synthesized, truth)
    assert score > psnr(frame0, truth) + 2 and score > psnr(frame1, truth) + 2
    assert score > psnr((frame0 + frame1) / 2, truth) + 1  # better than a blend


def test_quarter_positions_move_monotonically(bikes_rgb: vs.VideoNode) -> None:
    """At 4x, frames at t=1/4, 1/2, 3/4 drift from frame 0 towards frame 4."""
    pair = bikes_rgb[0] + bikes_rgb[4]
    out = vs_slowdeblur.interpolate(pair, 4)
    frame0, frame1 = planes(pair.get_frame(0)), planes(pair.get_frame(1))
    distances_to_0 = [np.mean(np.abs(planes(out.get_frame(m)) - frame0)) for m in (1, 2, 3)]
    distances_to_1 = [np.mean(np.abs(planes(out.get_frame(m)) - frame1)) for m in (1, 2, 3)]
    assert distances_to_0 == sorted(distances_to_0)
    assert distances_to_1 == sorted(distances_to_1, reverse=True)


def test_fractional_rate_24p_to_60p(bikes_rgb: vs.VideoNode) -> None:
    clip = bikes_rgb[:4].std.AssumeFPS(fpsnum=24000, fpsden=1001)
    out = vs_slowdeblur.interpolate(clip, fps=Fraction(60000, 1001))
    assert out.fps == Fraction(60000, 1001)
    assert out.num_frames == 10  # duration kept: 4 frames at 24p → 10 at 60p
    positions = [out.get_frame(m).props[POSITION_PROP] for m in range(out.num_frames)]
    assert positions == pytest.approx([m * 0.4 for m in range(10)])
    assert np.array_equal(planes(out.get_frame(5)), planes(clip.get_frame(2)))  # time 2.0 is a source frame
    props = out.get_frame(3).props
    assert (props["_DurationNum"], props["_DurationDen"]) == (1001, 60000)


def test_float_factor_equals_fraction(bikes_rgb: vs.VideoNode) -> None:
    clip = bikes_rgb[:3]
    a = vs_slowdeblur.interpolate(clip, 2.5)
    b = vs_slowdeblur.interpolate(clip, Fraction(5, 2))
    assert a.num_frames == b.num_frames == 8 and a.fps == b.fps
    assert np.array_equal(planes(a.get_frame(1)), planes(b.get_frame(1)))


@pytest.mark.parametrize(("source_fps", "fps", "expected"),
                         [(Fraction(24000, 1001), 59.94, Fraction(60000, 1001)), (Fraction(25), 29.97,
                          Fraction(30000, 1001)), (Fraction(24), 47.952, Fraction(48000, 1001)),
                          (Fraction(25), 50.0, Fraction(50)), (Fraction(25), 29.9, Fraction(299, 10))])
def test_float_fps_means_the_ntsc_rate_it_rounds(bikes_rgb: vs.VideoNode, source_fps: Fraction, fps: float,
                                                 expected: Fraction) -> None:
    """fps=59.94 asks for 60000/1001 (NTSC), not 2997/50; other floats are taken as written."""
    clip = bikes_rgb[:2].std.AssumeFPS(fpsnum=source_fps.numerator, fpsden=source_fps.denominator)
    assert vs_slowdeblur.interpolate(clip, fps=fps).fps == expected


@pytest.mark.parametrize(("source_fps", "fps"), [(Fraction(60000, 1001), 144), (Fraction(60000, 1001), 165),
                                                  (Fraction(24000, 1001), 143.8), (Fraction(120000, 1001), 240)])
def test_target_rates_are_exact(bikes_rgb: vs.VideoNode, source_fps: Fraction, fps: int | float) -> None:
    """59.94 → 144 fps gives 144 fps, not a nearby fraction (132180000/917917); a float is taken as typed."""
    clip = bikes_rgb[:2].std.AssumeFPS(fpsnum=source_fps.numerator, fpsden=source_fps.denominator)
    out = vs_slowdeblur.interpolate(clip, fps=fps)
    assert out.fps == Fraction(str(fps)), out.fps
    assert out.num_frames == math.ceil(2 * Fraction(str(fps)) / source_fps)


def test_target_rate_is_exact_from_an_odd_source_rate(bikes_rgb: vs.VideoNode) -> None:
    """From 260739/33125 fps (a rate read off a real file), fps=60000/1001 gives exactly 60000/1001, not the
    nearby 176821978023/2949980000, and every output frame m shows source time m·fps_in/fps_out exactly."""
    source_fps = Fraction(260739, 33125)
    clip = bikes_rgb[:3].std.AssumeFPS(fpsnum=source_fps.numerator, fpsden=source_fps.denominator)
    out = vs_slowdeblur.interpolate(clip, fps=Fraction(60000, 1001))
    assert out.fps == Fraction(60000, 1001)
    assert out.num_frames == math.ceil(3 * Fraction(60000, 1001) / source_fps)
    for m in (1, 7, out.num_frames - 1):
        assert out.get_frame(m).props[POSITION_PROP] == pytest.approx(float(m * source_fps / Fraction(60000, 1001)))


def test_numpy_numbers_are_factors_and_rates(bikes_rgb: vs.VideoNode) -> None:
    """A factor or rate computed with NumPy (any integer or float type) works like the Python number; a
    float32 is read as the decimal it shows (59.94, not 59.939998626708984)."""
    clip = bikes_rgb[:3]
    for value, frames in ((np.int64(2), 6), (np.float64(2.5), 8), (np.float32(2.5), 8), (np.float16(2.0), 6)):
        out = vs_slowdeblur.interpolate(clip, value)
        assert out.num_frames == frames and out.fps == clip.fps * Fraction(float(value))
    assert vs_slowdeblur.interpolate(clip, fps=np.float32(37.5)).fps == Fraction(75, 2)
    assert vs_slowdeblur.synth_blur(clip, 1, duty=np.float32(0.5), subframes=1).num_frames == 3


def test_frame_props_are_retimed(bikes_rgb: vs.VideoNode) -> None:
    clip = bikes_rgb[:3].std.SetFrameProps(_AbsoluteTime=1.5, _SceneChangePrev=0, _SceneChangeNext=0)
    out = vs_slowdeblur.interpolate(clip, 3)
    for m in range(out.num_frames):
        props = out.get_frame(m).props
        is_source = m % 3 == 0
        assert ("_AbsoluteTime" in props) == is_source, m
        assert ("_SceneChangePrev" in props) == is_source, m
        assert ("_SceneChangeNext" in props) == (m % 3 == 2), m
        assert (props["_DurationNum"], props["_DurationDen"]) == (1, 75)


def test_vfr_clip_with_integer_factor_gets_per_frame_durations(bikes_rgb: vs.VideoNode) -> None:
    a = bikes_rgb[0].std.AssumeFPS(fpsnum=10)
    b = bikes_rgb[1].std.AssumeFPS(fpsnum=40)
    vfr = a + b
    assert vfr.fps == 0
    out = vs_slowdeblur.interpolate(vfr, 2)
    durations = [Fraction(out.get_frame(m).props["_DurationNum"], out.get_frame(m).props["_DurationDen"])
                 for m in range(4)]
    assert durations == [Fraction(1, 20), Fraction(1, 20), Fraction(1, 80), Fraction(1, 80)]


def test_vfr_clip_with_fps_is_a_clear_error(bikes_rgb: vs.VideoNode) -> None:
    vfr = bikes_rgb[0].std.AssumeFPS(fpsnum=10) + bikes_rgb[1]
    with pytest.raises(vs.Error, match=r"\(interpolate\) fps= needs a constant-frame-rate clip"):
        vs_slowdeblur.interpolate(vfr, fps=50)


def test_one_frame_clip_repeats_it(bikes_rgb: vs.VideoNode) -> None:
    out = vs_slowdeblur.interpolate(bikes_rgb[0], 3)
    assert out.num_frames == 3
    for m in range(3):
        assert np.array_equal(planes(out.get_frame(m)), planes(bikes_rgb.get_frame(0)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"factor": 1}, r"factor must be > 1, got 1"),
        ({"factor": 0.5}, r"factor must be > 1, got 0.5"),
        ({"factor": float("nan")}, r"factor must be finite"),
        ({"factor": "2"}, r"factor must be a number"),
        ({"fps": 10}, r"fps must be above the clip's 25 fps"),
        ({"factor": 1000}, r"factor=1000 asks for 1000x the frame rate; at most 256x"),
        ({"scene_change": "yes"}, r"scene_change must be True or False"),
        ({"model": "nope"}, r"model must be one of \['rife-hdv3'\], got 'nope'"),
        ({"device": "tpu"}, r"device must be 'cpu', 'cuda'"),
        ({"timing": "fastest"}, r"timing must be one of \['one-pass', 'exact'\], got 'fastest'"),
        ({"wobble": 3}, r"unknown key 'wobble'; valid keys are"),
        ({"preset": "turbo"}, r"preset must be one of .* or a path to a YAML file, got 'turbo'"),
    ],
)
def test_bad_arguments_are_clear_errors(bikes_rgb: vs.VideoNode, kwargs: dict, message: str) -> None:
    with pytest.raises(vs.Error, match=r"^\(interpolate\) " + message):
        vs_slowdeblur.interpolate(bikes_rgb, **kwargs)


def test_variable_format_clip_is_refused(bikes_rgb: vs.VideoNode) -> None:
    mixed = core.std.Splice([bikes_rgb[0], bikes_rgb[1].resize.Bicubic(format=vs.YUV444P8, matrix=1)],
                            mismatch=True)
    assert mixed.format is None or mixed.format.id == vs.NONE
    with pytest.raises(vs.Error, match=r"\(interpolate\) clip has a variable format"):
        vs_slowdeblur.interpolate(mixed)


def test_not_a_clip_is_refused() -> None:
    with pytest.raises(vs.Error, match=r"\(interpolate\) clip must be a vs.VideoNode, got int"):
        vs_slowdeblur.interpolate(3)
