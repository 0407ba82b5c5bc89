"""``metrics``: PSNR and SSIM of a clip against a reference clip, as frame props."""

from __future__ import annotations

import numpy as np
import vapoursynth as vs

from ..engine.color import to_working
from ..errors import frame_error, operator_error
from ..quality import SSIM_WINDOW, psnr, ssim
from ._checks import check_clip
from ._graph import parallel_modify_frame

OPERATOR = "metrics"
PSNR_PROP = "SlowdeblurPSNR"  # dB, RGB (or gray) float in [0, 1], whole frame
SSIM_PROP = "SlowdeblurSSIM"


def _planes(frame: vs.VideoFrame) -> np.ndarray:
    return np.stack([np.asarray(frame[p]) for p in range(frame.format.num_planes)])


def _score(n: int, f: list[vs.VideoFrame]) -> vs.VideoFrame:
    out = f[0].copy()
    try:
        image, reference = _planes(f[1]), _planes(f[2])
        out.props[PSNR_PROP] = psnr(image, reference)
        out.props[SSIM_PROP] = ssim(image, reference)
    except Exception as exc:
        raise frame_error(OPERATOR, n, exc) from exc
    return out


def metrics(clip: vs.VideoNode, reference: vs.VideoNode) -> vs.VideoNode:
    """``clip`` unchanged, each frame carrying ``SlowdeblurPSNR`` (dB) and ``SlowdeblurSSIM`` against the
    same-numbered frame of ``reference``, both measured in float RGB (gray for gray clips) in [0, 1].

    Example (.vpy): ``scored = vs_slowdeblur.metrics(vs_slowdeblur.deblur(blurry), sharp)``
    """
    clip = check_clip(OPERATOR, clip)
    reference = check_clip(OPERATOR, reference, "reference")
    if (clip.width, clip.height) != (reference.width, reference.height):
        raise operator_error(OPERATOR, f"reference is {reference.width}x{reference.height} but clip is "
                                       f"{clip.width}x{clip.height}; resize one to match")
    if (clip.format.color_family == vs.GRAY) != (reference.format.color_family == vs.GRAY):
        raise operator_error(OPERATOR, f"clip and reference must both be gray or both be colour, got clip "
                                       f"{clip.format.name} and reference {reference.format.name}")
    if min(clip.width, clip.height) < SSIM_WINDOW:
        raise operator_error(OPERATOR, f"frames must be at least {SSIM_WINDOW}x{SSIM_WINDOW} pixels for SSIM, "
                                       f"got clip {clip.width}x{clip.height}")
    if reference.num_frames < clip.num_frames:
        raise operator_error(OPERATOR, f"reference has {reference.num_frames} frames, fewer than the clip's "
                                       f"{clip.num_frames}; trim the clip")
    return parallel_modify_frame(clip, [clip, to_working(clip), to_working(reference)[: clip.num_frames]], _score)
