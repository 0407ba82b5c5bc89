"""``synth_blur``: a blurry low-rate clip from a sharp one (the BIN / Adobe240 / REDS recipe).

A blurry frame is the mean of the sharp frames over the exposure (Jin et al. 2018). Output frame i covers
source times keep_every·i ± duty·keep_every/2 (in source frames). Between source frames, ``subframes``
sub-frames per source interval are synthesised by ``interpolate``. The exposure integral is evaluated exactly
for a piecewise-constant signal: the sub-frame at offset j (in sub-frame units) has weight
|[j − ½, j + ½] ∩ [−r, r]| with r = duty·keep_every·subframes/2, and the weights are normalised.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction
from functools import partial
from typing import Any

import numpy as np
import vapoursynth as vs

from ..engine.color import FormatRestorer, to_working
from ..engine.interpolation import InterpolationEngine
from ..engine.timeline import Timeline, shifted
from ..errors import frame_error, operator_error
from ..options import Options, keyword_keys, resolve_options
from ._checks import check_clip, check_integer, check_number, check_scene_change, refuse_unused
from ._graph import parallel_modify_frame
from ._setup import device_of, make_engine
from .interpolate import REFUSED_KEYS, build_interpolation

OPERATOR = "synth_blur"


def exposure_weights(duty: float, keep_every: int, subframes: int) -> dict[int, float]:
    """Sub-frame offset → weight (summing to 1) of a box exposure of duty·keep_every source frames."""
    radius = duty * keep_every * subframes / 2
    reach = math.ceil(radius - 0.5)
    weights = {j: min(j + 0.5, radius) - max(j - 0.5, -radius) for j in range(-reach, reach + 1)}
    weights = {j: w for j, w in weights.items() if w > 1e-9}
    total = sum(weights.values())
    return {j: w / total for j, w in weights.items()}


def _every(clip: vs.VideoNode, cycle: int) -> vs.VideoNode:
    """Frames 0, cycle, 2·cycle, … (durations scaled by cycle)."""
    return clip if cycle == 1 else clip.std.SelectEvery(cycle, 0)


def _weighted_mean(n: int, f: list[vs.VideoFrame], weights: list[float]) -> vs.VideoFrame:
    out = f[0].copy()
    try:
        for plane in range(out.format.num_planes):
            total = sum(w * np.asarray(frame[plane], dtype=np.float32) for w, frame in zip(weights, f, strict=True))
            np.copyto(np.asarray(out[plane]), total)
    except Exception as exc:
        raise frame_error(OPERATOR, n, exc) from exc
    return out


def _check_subframe_options(subframes: int, preset: str | os.PathLike[str] | None,
                            overrides: dict[str, Any]) -> Options:
    """Validate what goes to the sub-frames' interpolation up front, so that errors blame ``synth_blur``, and
    refuse what would be ignored: everything when ``subframes=1`` (no interpolation runs), deblurring options
    otherwise. Returns the interpolation's options."""
    if "fps" in overrides:
        raise operator_error(OPERATOR, f"fps is not an option of synth_blur, got fps={overrides['fps']!r}; the "
                                       f"output rate is the clip's rate / keep_every")
    check_scene_change(OPERATOR, overrides.get("scene_change", True), overrides)
    try:
        options = resolve_options(preset, {key: value for key, value in overrides.items() if key != "scene_change"},
                                  keyword_keys(REFUSED_KEYS))
    except ValueError as exc:
        raise operator_error(OPERATOR, str(exc)) from None
    if subframes == 1:
        given = {"preset": preset, **overrides}
        refuse_unused(OPERATOR, given, given, "with subframes=1 no sub-frames are interpolated, and it is an "
                                              "option of that interpolation; leave it out or raise subframes")
    refuse_unused(OPERATOR, overrides, REFUSED_KEYS, "synth_blur's sub-frames are interpolated, not deblurred; "
                                                     "leave it out")
    return options


def _subframe_clip(working: vs.VideoNode, subframes: int, options: Options, scene_change: bool) -> vs.VideoNode:
    """``subframes`` frames per source interval (``options`` from ``_check_subframe_options``); errors, also
    a failing sub-frame's while rendering, are synth_blur's."""
    if subframes == 1:
        return working
    device = device_of(OPERATOR, options)
    engine = make_engine(OPERATOR, options.model, lambda: InterpolationEngine(options, device))
    return build_interpolation(working, Timeline(Fraction(subframes), working.num_frames), engine, options,
                               scene_change, OPERATOR, what="interpolated sub-frame")


def synth_blur(
    clip: vs.VideoNode,
    keep_every: int = 4,
    *,
    duty: float = 0.75,
    subframes: int = 4,
    preset: str | os.PathLike[str] | None = None,
    **overrides: Any,
) -> vs.VideoNode:
    """Simulate motion blur: a clip at fps/keep_every whose frame i averages the exposure around source frame
    keep_every·i (duty = exposure / frame interval of the output, 0–1). ``keep_every=1`` blurs within one
    frame interval at the same rate. Frame i carries the props of source frame keep_every·i (durations scaled
    by keep_every). ``preset``/``overrides`` go to the ``interpolate`` that makes sub-frames; with
    ``subframes=1`` none runs, and they are refused. When duty·keep_every·subframes ≤ 1 the exposure lies
    within one sub-frame, and the output is source frames keep_every·i, untouched.
    Scene cuts are not special-cased: take training windows from within one shot.

    Example (.vpy): ``blurry = vs_slowdeblur.synth_blur(sharp, keep_every=4, duty=0.75)``
    """
    clip = check_clip(OPERATOR, clip)
    keep_every = check_integer(OPERATOR, "keep_every", keep_every, 1, 64)
    subframes = check_integer(OPERATOR, "subframes", subframes, 1, 32)
    duty = check_number(OPERATOR, "duty", duty, 0.0, 1.0, low_open=True)
    if clip.fps == 0:
        raise operator_error(OPERATOR, "clip is VFR (fps 0); synth_blur needs a constant frame rate (AssumeFPS)")
    options = _check_subframe_options(subframes, preset, overrides)

    weights = exposure_weights(duty, keep_every, subframes)
    source = _every(clip, keep_every)  # frame i: the source frame at the exposure's centre
    if list(weights) == [0]:  # the exposure lies within one sub-frame: that is the source frame itself
        return source
    working = to_working(clip)
    dense = _subframe_clip(working, subframes, options, overrides.get("scene_change", True))
    cycle = keep_every * subframes
    length = math.ceil(clip.num_frames / keep_every)
    taps = [_every(shifted(dense, j), cycle)[:length] for j in weights]
    blurred = parallel_modify_frame(taps[0], taps, partial(_weighted_mean, weights=list(weights.values())))
    if blurred.format.id != clip.format.id:
        restorer = FormatRestorer(blurred, clip.format)
        blurred = source.std.FrameEval(lambda n, f: restorer.restore(f.props), prop_src=[source],
                                       clip_src=[blurred])
    return blurred.std.CopyFrameProps(source)  # its props (times, durations, flags), not a sub-frame's
