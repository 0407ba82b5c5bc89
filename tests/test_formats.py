"""Any input format and size: the output has the input's format and the in-betweens are real interpolations."""

from __future__ import annotations

import numpy as np
import pytest
import vapoursynth as vs
from conftest import planes, psnr

import vs_slowdeblur
from vs_slowdeblur.engine.color import ResidualRestorer, to_working

core = vs.core


def _rgb_middle_psnr(out: vs.VideoNode, truth_rgb: np.ndarray) -> float:
    middle = to_working(out).get_frame(1)
    values = planes(middle)
    if values.shape[0] == 1:
        truth_rgb = truth_rgb.mean(axis=0, keepdims=True)
    return psnr(values, truth_rgb)


@pytest.mark.parametrize(
    "fmt",
    [vs.GRAY8, vs.GRAY16, vs.GRAYS, vs.YUV420P8, vs.YUV420P10, vs.YUV422P8, vs.YUV444P16, vs.YUV444PH,
     vs.YUV444PS, vs.RGB24, vs.RGB48, vs.RGBH, vs.RGBS],
)
def test_any_format_round_trips(bikes_small: vs.VideoNode, fmt: vs.PresetVideoFormat) -> None:
    family = core.get_video_format(fmt).color_family
    if family == vs.RGB:
        clip = bikes_small.resize.Bicubic(format=fmt, matrix_in=vs.MATRIX_BT709)
    else:
        clip = bikes_small.resize.Bicubic(format=fmt)
    dropped = clip[0] + clip[2]
    out = vs_slowdeblur.interpolate(dropped, 2)
    assert out.format.id == clip.format.id
    assert (out.width, out.height, out.num_frames) == (clip.width, clip.height, 4)
    source_frame, output_frame = dropped.get_frame(0), out.get_frame(0)
    for p in range(clip.format.num_planes):
        assert np.array_equal(np.asarray(output_frame[p]), np.asarray(source_frame[p]))
    truth = planes(to_working(clip).get_frame(1))
    if truth.shape[0] == 1:
        truth = np.repeat(truth, 3, axis=0)
    blend = (planes(to_working(dropped).get_frame(0)) + planes(to_working(dropped).get_frame(1))) / 2
    if blend.shape[0] == 1:
        blend = np.repeat(blend, 3, axis=0)
    # The synthesized middle frame beats a blend of its neighbours in every format.
    assert _rgb_middle_psnr(out, truth) > psnr(blend, truth) + 1


def test_yuv_props_are_kept_and_colours_restored(bikes_small: vs.VideoNode) -> None:
    clip = bikes_small.std.SetFrameProps(_Matrix=vs.MATRIX_BT470_BG, _Range=vs.RANGE_LIMITED)
    out = vs_slowdeblur.interpolate(clip[0] + clip[2], 2)
    props = out.get_frame(1).props
    assert props["_Matrix"] == vs.MATRIX_BT470_BG and props["_Range"] == vs.RANGE_LIMITED


COLOUR_PROPS = ("_Matrix", "_Transfer", "_Primaries", "_Range", "_ChromaLocation")


def _colour_props(frame: vs.VideoFrame) -> dict[str, int]:
    return {key: int(frame.props[key]) for key in COLOUR_PROPS if key in frame.props}


@pytest.mark.parametrize("matrix", [vs.MATRIX_UNSPECIFIED, vs.MATRIX_BT709])
@pytest.mark.parametrize("operator", ["interpolate", "deblur", "slowmo"])
def test_output_frames_state_the_source_frames_colour_props(carphone: vs.VideoNode, operator: str,
                                                            matrix: int) -> None:
    """The way back to YUV resolves an unspecified matrix (BT.601 for carphone's 144 lines) and range, but the
    output states only what its source frame states: carphone says nothing about range, and its frame 1 here
    has another transfer, so an in-between shows which source frame it took its description from (the
    earlier one of its pair)."""
    frames = carphone[:3].std.SetFrameProps(_Matrix=matrix)
    clip = frames[0] + frames[1].std.SetFrameProps(_Transfer=vs.TRANSFER_BT709) + frames[2]
    if operator == "deblur":
        out, source_of = vs_slowdeblur.deblur(clip), list(range(3))
    else:
        out, source_of = getattr(vs_slowdeblur, operator)(clip, 2), [m // 2 for m in range(6)]
    stated = [_colour_props(frame) for frame in clip.frames()]
    assert "_Range" not in stated[0] and stated[0]["_Matrix"] == matrix
    assert [_colour_props(frame) for frame in out.frames()] == [stated[i] for i in source_of]


@pytest.mark.parametrize("chroma_location", range(6))
def test_in_betweens_keep_the_chroma_siting_of_the_source(bikes_small: vs.VideoNode, chroma_location: int) -> None:
    """The in-between of two identical 4:2:0 frames is that frame: its chroma must come back where
    ``_ChromaLocation`` puts it. Converting back with resize's default (left) siting moved it by up to half a
    chroma pixel: a 4–7 times larger chroma error than left-sited frames get (0.08 and 0.17 codes)."""
    frame = bikes_small[3]
    pair = (frame + frame).std.SetFrameProps(_ChromaLocation=chroma_location)
    out, source = vs_slowdeblur.interpolate(pair, 2).get_frame(1), pair.get_frame(0)
    for plane, largest in ((1, 0.12), (2, 0.22)):
        error = np.abs(np.asarray(out[plane], dtype=float) - np.asarray(source[plane], dtype=float))[2:-2, 2:-2]
        assert error.mean() < largest, (plane, error.mean())


@pytest.mark.parametrize(("width", "height"), [(101, 67), (33, 35), (250, 17)])
def test_odd_sizes_are_padded_and_cropped(bikes_rgb: vs.VideoNode, width: int, height: int) -> None:
    clip = bikes_rgb.resize.Bicubic(width, height)
    out = vs_slowdeblur.interpolate(clip[0] + clip[2], 2)
    frame = out.get_frame(1)
    assert (frame.width, frame.height) == (width, height)
    values = planes(frame)
    assert np.isfinite(values).all()
    truth = planes(clip.get_frame(1))
    assert psnr(values, truth) > 20


@pytest.mark.parametrize(("fmt", "colour_range"), [
    (vs.YUV420P8, vs.RANGE_LIMITED), (vs.YUV420P8, vs.RANGE_FULL), (vs.YUV420P10, vs.RANGE_LIMITED),
    (vs.YUV422P8, vs.RANGE_LIMITED), (vs.GRAY8, None), (vs.RGB24, None), (vs.YUV444PS, vs.RANGE_LIMITED),
])
def test_residual_restorer_returns_an_unchanged_frame_exactly(bikes_small: vs.VideoNode, fmt: vs.PresetVideoFormat,
                                                              colour_range: int | None) -> None:
    """deblur's way back to the source format: a frame the model leaves alone must come back as it went in
    (a plain RGB → YUV 4:2:0 round trip would blur its chroma and requantise it)."""
    source = bikes_small[:2].resize.Bicubic(format=fmt, matrix_in=vs.MATRIX_BT709, matrix=vs.MATRIX_BT709
                                            if core.get_video_format(fmt).color_family == vs.YUV else None)
    if colour_range is not None:
        source = source.std.SetFrameProps(_Range=colour_range)
    working = to_working(source)
    restored = ResidualRestorer(source, working, working).restore(source.get_frame(0).props)
    before, after = source.get_frame(1), restored.get_frame(1)
    assert after.format.id == source.format.id
    assert _largest_difference(after, before) <= 1e-6
    plain = working.resize.Bicubic(format=fmt, matrix=vs.MATRIX_BT709 if colour_range is not None else None,
                                   range=colour_range)
    if core.get_video_format(fmt).subsampling_w:  # the old way changes the frame: the test can tell them apart
        assert _largest_difference(plain.get_frame(1), before) >= 1


def _largest_difference(a: vs.VideoFrame, b: vs.VideoFrame) -> float:
    return max(float(np.abs(np.asarray(a[p], dtype=float) - np.asarray(b[p], dtype=float)).max())
               for p in range(a.format.num_planes))


def test_residual_restorer_applies_the_correction(bikes_small: vs.VideoNode) -> None:
    """+0.1 on R, G and B is +0.1 of luma (21.9 codes in 8-bit limited range) and no change of chroma."""
    source = bikes_small[:2].std.SetFrameProps(_Matrix=vs.MATRIX_BT709, _Range=vs.RANGE_LIMITED)
    working = to_working(source)
    brighter = working.std.Expr("x 0.1 +")
    out = ResidualRestorer(source, working, brighter).restore(source.get_frame(0).props).get_frame(1)
    before = source.get_frame(1)
    luma_shift = np.asarray(out[0], dtype=float) - np.asarray(before[0], dtype=float)
    inside = (np.asarray(before[0]) > 16) & (np.asarray(before[0]) < 213)  # not clipped at the top
    assert abs(luma_shift[inside].mean() - 21.9) < 0.5
    for plane in (1, 2):
        assert np.abs(np.asarray(out[plane], dtype=float) - np.asarray(before[plane], dtype=float)).max() <= 1
