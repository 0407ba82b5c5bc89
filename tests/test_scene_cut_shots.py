"""Scene cuts between real shots: no output frame ever mixes two shots.

``test_scene_cut.py`` checks the frames between the two shots of one spliced clip. These tests check every
output frame against every possible cross-cut blend, on a real cut inside bikes.mp4 (two shots of the same
camera and colours, in the clip's own YUV format) as well as on a splice of two unrelated clips, at integer,
fractional and ``fps=`` rates and with exact timing; and cuts on the clip's first and last pair and around a
one-frame shot.
"""

from __future__ import annotations

import threading
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import vapoursynth as vs
from conftest import planes, psnr

import vs_slowdeblur
from vs_slowdeblur.engine.color import to_working
from vs_slowdeblur.engine.interpolation import InterpolationEngine
from vs_slowdeblur.filters.interpolate import POSITION_PROP, SYNTHESIZED_PROP

core = vs.core
BIKES_CUT = 137  # bikes.mp4 cuts between frames 136 and 137
SIZE = (192, 82)
CROSS_BLEND_WEIGHTS = (0.25, 0.5, 0.75)
MARGIN_DB = 3.0  # measured: every output frame is 5–25 dB closer to a real frame than to any cross-cut blend


@pytest.fixture(scope="module")
def bikes_cut(bikes: vs.VideoNode) -> vs.VideoNode:
    """A real cut: the last three frames of one bikes shot and the first three of the next, YUV420P8."""
    return bikes[BIKES_CUT - 3: BIKES_CUT + 3].resize.Bicubic(*SIZE)


def _rgb(clip: vs.VideoNode, matrix: int) -> vs.VideoNode:
    return clip.resize.Bicubic(*SIZE, format=vs.RGBS, matrix_in=matrix).std.AssumeFPS(fpsnum=25)


@pytest.fixture(scope="module")
def bikes_carphone(bikes: vs.VideoNode, carphone: vs.VideoNode) -> vs.VideoNode:
    """Three bikes frames, then three carphone frames (an unrelated shot) at the same size, RGBS."""
    return _rgb(bikes[140:143], vs.MATRIX_BT709) + _rgb(carphone[40:43], vs.MATRIX_ST170_M)


@pytest.fixture
def rendered_pairs(monkeypatch: pytest.MonkeyPatch) -> set[int]:
    """Source pairs the network is run on (every ``InterpolationEngine.render`` call's pair index)."""
    pairs: set[int] = set()
    lock = threading.Lock()
    render = InterpolationEngine.render

    def recording(self: InterpolationEngine, pair: int, *args: Any, **kwargs: Any) -> None:
        with lock:
            pairs.add(pair)
        render(self, pair, *args, **kwargs)

    monkeypatch.setattr(InterpolationEngine, "render", recording)
    return pairs


def _same_frame(a: vs.VideoFrame, b: vs.VideoFrame) -> bool:
    return all(np.array_equal(np.asarray(a[p]), np.asarray(b[p])) for p in range(a.format.num_planes))


RATES = [
    pytest.param({"factor": 2}, id="x2"),
    pytest.param({"factor": 4}, id="x4"),
    pytest.param({"factor": Fraction(5, 2)}, id="x5/2"),
    pytest.param({"fps": 60}, id="25-to-60fps"),
    pytest.param({"factor": 4, "timing": "exact"}, id="x4-exact"),
]


@pytest.mark.parametrize("shots", ["bikes_cut", "bikes_carphone"])
@pytest.mark.parametrize("rate", RATES)
def test_no_output_frame_is_a_blend_across_the_cut(request: pytest.FixtureRequest, shots: str, rate: dict,
                                                   rendered_pairs: set[int]) -> None:
    clip = request.getfixturevalue(shots)
    cut_pair = 2  # source frames 0–2 are one shot, 3–5 the other
    out = vs_slowdeblur.interpolate(clip, **rate)
    assert out.format.id == clip.format.id

    working_sources = [planes(to_working(clip).get_frame(i)) for i in range(clip.num_frames)]
    first_shot, second_shot = working_sources[:3], working_sources[3:]
    cross_blends = [(1 - w) * a + w * b for a in first_shot for b in second_shot for w in CROSS_BLEND_WEIGHTS]
    working_out = to_working(out)
    at_the_cut = 0
    for m in range(out.num_frames):
        frame = out.get_frame(m)
        position = frame.props[POSITION_PROP]
        values = planes(working_out.get_frame(m))
        nearest_real = max(psnr(values, source) for source in working_sources)
        nearest_blend = max(psnr(values, blend) for blend in cross_blends)
        assert nearest_real > nearest_blend + MARGIN_DB, (m, position, nearest_real, nearest_blend)
        if cut_pair < position < cut_pair + 1:  # at the cut: a real source frame, bit-exact in the own format
            nearer = cut_pair if position - cut_pair < 0.5 else cut_pair + 1
            assert frame.props[SYNTHESIZED_PROP] == 0, (m, position)
            assert _same_frame(frame, clip.get_frame(nearer)), (m, position, nearer)
            at_the_cut += 1
    assert at_the_cut > 0
    assert cut_pair not in rendered_pairs  # the network never even sees the pair across the cut
    assert rendered_pairs >= {0, 1, 3, 4}  # while inside each shot, in-betweens are synthesised


@pytest.fixture(scope="module")
def many_cuts(bikes: vs.VideoNode, carphone: vs.VideoNode) -> vs.VideoNode:
    """carphone | bikes bikes | carphone | bikes bikes | carphone: cuts on the first and last pairs and
    around a one-frame shot in the middle. Only pairs 1 and 4 lie inside a shot."""
    def car(n: int) -> vs.VideoNode:
        return _rgb(carphone[n], vs.MATRIX_ST170_M)
    return car(10) + _rgb(bikes[140:142], vs.MATRIX_BT709) + car(60) + _rgb(bikes[142:144], vs.MATRIX_BT709) + car(90)


@pytest.mark.parametrize("factor", [2, 4, Fraction(5, 2)], ids=["x2", "x4", "x5/2"])
def test_cuts_at_the_ends_and_around_a_one_frame_shot(many_cuts: vs.VideoNode, factor: Any,
                                                      rendered_pairs: set[int]) -> None:
    shot_pairs = {1, 4}
    out = vs_slowdeblur.interpolate(many_cuts, factor)
    sources = [many_cuts.get_frame(i) for i in range(many_cuts.num_frames)]
    for m in range(out.num_frames):
        frame = out.get_frame(m)
        position = Fraction(frame.props[POSITION_PROP]).limit_denominator(100)
        pair, t = int(position), position - int(position)
        if t == 0 or pair == many_cuts.num_frames - 1:
            continue  # source frames and the repeats after the last one: covered by the timing contract
        if pair in shot_pairs:
            assert frame.props[SYNTHESIZED_PROP] == 1, (m, position)
        else:  # a cut: the nearer source frame (the later one from t = ½ on), untouched
            nearer = pair if t < Fraction(1, 2) else pair + 1
            assert frame.props[SYNTHESIZED_PROP] == 0, (m, position)
            assert _same_frame(frame, sources[nearer]), (m, position, nearer)
    assert rendered_pairs == shot_pairs  # the lone middle frame never meets the network


@pytest.mark.parametrize("shots", ["bikes_cut", "bikes_carphone"])
@pytest.mark.parametrize(("model", "window"), [("window-deblur", 2), ("motion-deblur", 1)])
def test_deblur_windows_stay_inside_one_shot(request: pytest.FixtureRequest, shots: str, model: str,
                                             window: int) -> None:
    clip = request.getfixturevalue(shots)
    out = vs_slowdeblur.deblur(clip, window=window, model=model)
    for n in range(clip.num_frames):
        used = list(out.get_frame(n).props["SlowdeblurWindow"])
        shot = range(0, 3) if n < 3 else range(3, 6)
        assert len(used) == 2 * window + 1 and all(i in shot for i in used), (n, used)
        assert used[window] == n, (n, used)


def test_slowmo_repeats_the_nearer_deblurred_frame_at_the_cut(bikes_cut: vs.VideoNode,
                                                             rendered_pairs: set[int]) -> None:
    out = vs_slowdeblur.slowmo(bikes_cut, 4, window=1)
    for m in (9, 10, 11):  # t = ¼, ½, ¾ between source frames 2 and 3, the two sides of the cut
        frame = out.get_frame(m)
        nearer = 2 if m == 9 else 3
        assert frame.props[SYNTHESIZED_PROP] == 0, m
        assert _same_frame(frame, out.get_frame(4 * nearer)), (m, nearer)
    deblurred = vs_slowdeblur.deblur(bikes_cut, window=1)
    for source in (2, 3):  # the repeated keyframes are the deblurred frames, not the blurry source frames
        assert _same_frame(out.get_frame(4 * source), deblurred.get_frame(source)), source
        assert not _same_frame(out.get_frame(4 * source), bikes_cut.get_frame(source)), source
    assert 2 not in rendered_pairs
