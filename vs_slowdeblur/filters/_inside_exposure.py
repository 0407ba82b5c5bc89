"""slowmo's in-betweens, refined by where they fall against the keyframes' exposures: inside one, the
interpolated frame fused with that keyframe's restored content moved to the in-between's time (``extract``'s
move, ``engine.extraction``); in the gap between two, blended with the blurry keyframes' interpolation. A graph
helper of ``slowmo``.

A blurry keyframe holds every time of its exposure (Jin et al. 2018), so an output time t within exposure/2 of a
keyframe is also that keyframe's restoration moved along its motion. The two estimates err differently (the
interpolation across the whole frame interval misaligns, the move inherits the restoration's blur and the motion's
error): their mean, chosen on the validation and training shots, also beats either on the strong-blur benchmark
frames (docs/BENCHMARKS.md, "Joint").
In the shutter-closed gap between two exposures no frame holds the time. There the frame interpolated between
the restored keyframes is blended with the one interpolated between the blurry keyframes (``GAP_BLURRY_SHARE``,
from the pair motion deblur has already estimated): across the gap the sharp interpolation misaligns, which
the blurry one hides under PSNR. Chosen on the validation and training shots: mild 2x +0.20 dB over
interpolating the blurry keyframes against −0.01 unblended, strong 4x's gap frames +0.41 against +0.43
(docs/BENCHMARKS.md, "Joint").
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import vapoursynth as vs

from ..engine.motion_deblur import MotionDeblurEngine
from ..engine.timeline import Timeline, shifted
from ._graph import parallel_modify_frame
from .deblur import EXPOSURE_PROP

MOVED_SHARE = 0.5  # weight of the moved restoration in the fusion (the interpolated frame has the rest)
GAP_BLURRY_SHARE = 0.5  # weight of the blurry keyframes' interpolation in the shutter-closed gap


def exposure_side(t: Fraction, left_exposure: float | None, right_exposure: float | None) -> tuple[int, float] | None:
    """Which keyframe's exposure holds time t (0 < t < 1) of a pair: (0, t) for the left one, (1, t − 1) for the
    right one, with the time as an offset from that keyframe in frame intervals; the nearer where both do, None
    in the gap or where a keyframe states no exposure (it was not restored)."""
    inside_left = left_exposure is not None and t <= left_exposure / 2
    inside_right = right_exposure is not None and 1 - t <= right_exposure / 2
    if inside_left and (not inside_right or t <= Fraction(1, 2)):
        return 0, float(t)
    if inside_right:
        return 1, float(t - 1)
    return None


def fuse_by_exposure(synthesized: vs.VideoNode, restored: vs.VideoNode, motion: vs.VideoNode,
                          timeline: Timeline, engine: MotionDeblurEngine,
                          failure: Callable[[int, Exception], vs.Error]) -> vs.VideoNode:
    """``synthesized`` (working format, output numbering) with every in-between inside a keyframe's exposure
    fused with that keyframe's moved restoration, and every one in the gap between two restored keyframes'
    exposures blended with the interpolation of the blurry keyframes. ``restored``: the restored keyframes
    (working format, with ``deblur``'s props); ``motion``: the clip their motion was estimated on (working
    format), whose pairs' motion ``engine`` has cached."""
    keyframes = [timeline.remap(shifted(restored, side)) for side in (0, 1)]
    taps = [timeline.remap(shifted(motion, k)) for k in (-1, 0, 1, 2)]  # keyframe i+side's taps: side … side+2

    def fuse(m: int, f: list[vs.VideoFrame]) -> vs.VideoFrame:
        index, t = timeline.source_position(m)
        exposures = [frame.props.get(EXPOSURE_PROP) for frame in f[1:3]]
        side_and_offset = exposure_side(t, *exposures)
        if side_and_offset is None and None in exposures:
            return f[0]
        out = f[0].copy()
        try:
            if side_and_offset is None:  # the gap between two restored keyframes' exposures
                engine.write_gap_blend(index, t, f[4:6], f[0], out, GAP_BLURRY_SHARE)
                return out
            side, offset = side_and_offset
            fused = engine.write_moved(f[1 + side], index + side, f[3 + side:6 + side], offset, out,
                                       blend_with=f[0], share=MOVED_SHARE)
        except Exception as exc:
            raise failure(m, exc) from exc
        return out if fused else f[0]

    return parallel_modify_frame(synthesized, [synthesized, *keyframes, *taps], fuse)
