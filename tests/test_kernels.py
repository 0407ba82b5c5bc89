"""The torch YUV → RGB kernel reproduces VapourSynth's resize on real frames (and is the same on CUDA)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import vapoursynth as vs
from conftest import BIKES_SHOT, planes

from vs_slowdeblur.engine.color import to_working
from vs_slowdeblur.kernels.color import MATRIX_BT601, MATRIX_BT709, yuv_to_rgb

# float32 rounding of the same arithmetic in a different order: measured ≤ 2e-7 on bikes.
SAME_CONVERSION = 1e-5


def _source_frame(clip: vs.VideoNode) -> vs.VideoFrame:
    return clip[BIKES_SHOT.start].get_frame(0)


def _yuv_tensors(frame: vs.VideoFrame) -> list[torch.Tensor]:
    return [torch.from_numpy(np.asarray(frame[p]).astype(np.int32)) for p in range(3)]


def _ours(frame: vs.VideoFrame, **kwargs: int | bool) -> np.ndarray:
    return yuv_to_rgb(*_yuv_tensors(frame), bits=frame.format.bits_per_sample, **kwargs)[0].numpy()


@pytest.mark.parametrize(("matrix", "full_range"), [(MATRIX_BT709, False), (MATRIX_BT601, False),
                                                    (MATRIX_BT709, True)], ids=["709-limited", "601-limited",
                                                                                "709-full"])
@pytest.mark.parametrize("chroma_location", [0, 1, 2], ids=["left", "center", "top-left"])
def test_matches_resize_bilinear_on_a_real_frame(bikes: vs.VideoNode, matrix: int, full_range: bool,
                                                 chroma_location: int) -> None:
    # The frame's own props win over resize's *_in arguments, so they are set on the clip.
    clip = bikes.std.SetFrameProps(_Matrix=matrix, _Range=vs.RANGE_FULL if full_range else vs.RANGE_LIMITED,
                                   _ChromaLocation=chroma_location)
    source = _source_frame(clip)
    reference = planes(_source_frame(clip.resize.Bilinear(format=vs.RGBS)))
    ours = _ours(source, matrix=matrix, full_range=full_range, chroma_location=chroma_location)
    assert np.abs(ours - reference).max() < SAME_CONVERSION


@pytest.mark.parametrize("fmt", [vs.YUV420P10, vs.YUV422P8, vs.YUV444P16], ids=["420p10", "422p8", "444p16"])
def test_other_depths_and_subsamplings(bikes: vs.VideoNode, fmt: vs.PresetVideoFormat) -> None:
    clip = bikes.resize.Point(format=fmt).std.SetFrameProps(_Matrix=MATRIX_BT709, _Range=vs.RANGE_LIMITED)
    source = _source_frame(clip)
    reference = planes(_source_frame(clip.resize.Bilinear(format=vs.RGBS)))
    assert np.abs(_ours(source, matrix=MATRIX_BT709) - reference).max() < SAME_CONVERSION


def test_close_to_the_bicubic_working_format(bikes: vs.VideoNode) -> None:
    """The package's own conversion (engine.color.to_working: BT.601 below 577 lines, limited range) upsamples
    chroma bicubically; bilinear differs only at sharp colour edges: measured max 0.036, mean 0.0003 on bikes,
    against 0.0046 for one 8-bit step."""
    source = _source_frame(bikes)
    working = planes(_source_frame(to_working(bikes)))
    difference = np.abs(_ours(source, matrix=MATRIX_BT601) - working)
    assert difference.mean() < 0.001 and difference.max() < 0.1


def test_unknown_matrix_is_refused(bikes: vs.VideoNode) -> None:
    with pytest.raises(ValueError, match="matrix must be one of"):
        yuv_to_rgb(*_yuv_tensors(_source_frame(bikes)), matrix=9)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_equals_cpu(bikes: vs.VideoNode) -> None:
    planes_cpu = _yuv_tensors(_source_frame(bikes))
    cpu = yuv_to_rgb(*planes_cpu)
    cuda = yuv_to_rgb(*(p.cuda() for p in planes_cpu))
    torch.testing.assert_close(cuda.cpu(), cpu, rtol=0, atol=SAME_CONVERSION)
