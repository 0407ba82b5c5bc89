"""``synth_blur`` follows its formula: a blurry frame is the mean of the sharp frames over the exposure."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import vapoursynth as vs
from conftest import clip_from_arrays, planes

import vs_slowdeblur
from vs_slowdeblur.filters.synth_blur import exposure_weights

core = vs.core
SPEED = 2  # pixels per source frame


def moving_edge(frames: int, width: int = 96, height: int = 24) -> vs.VideoNode:
    """Bright left half, dark right half; the edge starts at x=20 and moves SPEED pixels per frame."""
    xs = np.arange(width)
    arrays = [np.broadcast_to((xs < 20 + SPEED * n).astype(np.float32), (1, height, width)).copy()
              for n in range(frames)]
    return clip_from_arrays(arrays, vs.GRAYS)


def test_weights_are_a_box_exposure() -> None:
    assert exposure_weights(0.75, 4, 1) == pytest.approx({-1: 1 / 3, 0: 1 / 3, 1: 1 / 3})
    weights = exposure_weights(0.75, 4, 4)  # ±1.5 source frames = ±6 sub-frames, half-weight ends
    assert sorted(weights) == list(range(-6, 7))
    assert weights[6] == pytest.approx(weights[0] / 2) and sum(weights.values()) == pytest.approx(1)


def test_moving_edge_gives_the_exact_ramp_without_subframes() -> None:
    blurry = vs_slowdeblur.synth_blur(moving_edge(12), keep_every=4, duty=0.75, subframes=1)
    assert blurry.num_frames == 3 and blurry.fps == Fraction(25, 4)
    row = planes(blurry.get_frame(1))[0, 0]  # centre: source frame 4, mean of frames 3, 4, 5
    expected = np.ones(96)
    expected[26:28], expected[28:30], expected[30:] = 2 / 3, 1 / 3, 0
    assert np.allclose(row, expected, atol=1e-6)


def test_moving_edge_ramp_with_interpolated_subframes() -> None:
    """Sub-frames from interpolate: the edge sweeps 28 ± 3 px, so the profile is a linear ramp there."""
    blurry = vs_slowdeblur.synth_blur(moving_edge(12), keep_every=4, duty=0.75, subframes=4)
    row = planes(blurry.get_frame(1))[0, 12]
    assert np.all(np.diff(row) <= 1e-3)  # monotonic: bright to dark
    assert row[:24].min() > 0.97 and row[33:].max() < 0.03
    ramp = row[25:32]
    assert np.allclose(ramp, np.interp(np.arange(25, 32) + 0.5, [25, 31], [1, 0]), atol=0.12)


def test_keep_every_one_blurs_at_the_same_rate(bikes_small: vs.VideoNode) -> None:
    blurry = vs_slowdeblur.synth_blur(bikes_small[:4], keep_every=1, duty=7 / 8, subframes=4)
    assert blurry.num_frames == 4 and blurry.fps == bikes_small.fps
    assert blurry.format.id == bikes_small.format.id
    sharp, soft = (np.asarray(c.get_frame(1)[0], dtype=np.float64) for c in (bikes_small, blurry))
    # Mild blur (under a frame interval of motion): fewer fine details, same picture.
    assert np.abs(np.diff(soft, axis=1)).mean() < 0.99 * np.abs(np.diff(sharp, axis=1)).mean()
    assert 0 < np.abs(soft - sharp).mean() < 3 and abs(soft.mean() - sharp.mean()) < 1


@pytest.mark.parametrize("kwargs", [{"keep_every": 1, "subframes": 1}, {"keep_every": 4, "duty": 0.25, "subframes": 1},
                                    {"keep_every": 2, "duty": 0.1}, {"keep_every": 1, "duty": 0.2}])
def test_an_exposure_of_one_subframe_is_the_source_frame(bikes_small: vs.VideoNode, kwargs: dict) -> None:
    """duty·keep_every·subframes ≤ 1: a single sub-frame (the source frame itself) makes up the exposure, and
    no interpolation is set up for sub-frames that get no weight. In YUV too, the frames come back untouched."""
    from vs_slowdeblur.engine.pair_cache import live_caches

    clip = bikes_small[:5]
    before = set(map(id, live_caches()))
    blurry = vs_slowdeblur.synth_blur(clip, **kwargs)
    assert [c for c in live_caches() if id(c) not in before] == []
    keep_every = kwargs["keep_every"]
    for i in range(blurry.num_frames):
        out, source = blurry.get_frame(i), clip.get_frame(keep_every * i)
        assert all(np.array_equal(np.asarray(out[p]), np.asarray(source[p])) for p in range(3)), i


@pytest.mark.parametrize("subframes", [1, 4])
def test_frame_i_carries_the_props_of_its_centre_source_frame(bikes_small: vs.VideoNode, subframes: int) -> None:
    clip = bikes_small[:9]

    def number(n: int, f: vs.VideoFrame) -> vs.VideoFrame:
        out = f.copy()
        out.props["SourceNumber"] = n
        out.props["_AbsoluteTime"] = n / 25
        return out

    blurry = vs_slowdeblur.synth_blur(clip.std.ModifyFrame(clip, number), keep_every=4, subframes=subframes)
    for i in range(blurry.num_frames):
        props = blurry.get_frame(i).props
        assert props["SourceNumber"] == 4 * i and props["_AbsoluteTime"] == pytest.approx(4 * i / 25)
        assert Fraction(props["_DurationNum"], props["_DurationDen"]) == 4 / clip.fps
        assert not [key for key in props if key.startswith("Slowdeblur")]  # no sub-frame's interpolation props


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"keep_every": 0}, r"keep_every must be an integer in \[1, 64\], got 0"),
     ({"duty": 0}, r"duty must be a number in \(0.0, 1.0\], got 0"),
     ({"duty": 1.5}, r"duty must be a number in \(0.0, 1.0\], got 1.5"),
     ({"subframes": 2.5}, r"subframes must be an integer in \[1, 32\], got 2.5")],
)
def test_bad_arguments(bikes_small: vs.VideoNode, kwargs: dict, message: str) -> None:
    with pytest.raises(vs.Error, match=r"^\(synth_blur\) " + message):
        vs_slowdeblur.synth_blur(bikes_small, **kwargs)
