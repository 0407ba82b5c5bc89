"""``slowmo``: blurry low-rate video → sharp high-rate video (deblur, then interpolate the sharp frames)."""

from __future__ import annotations

import os
from fractions import Fraction
from functools import partial
from typing import Any

import vapoursynth as vs

from ..engine.color import to_working
from ..engine.interpolation import InterpolationEngine
from ..engine.motion_deblur import MotionDeblurEngine
from ..engine.timeline import Timeline
from ..errors import frame_error
from ..options import DEBLUR_KEYS
from ._checks import check_bool, check_clip, check_integer, check_scene_change, output_factor, refuse_unused
from ._inside_exposure import fuse_by_exposure
from ._prefetch import group_size, grouped
from ._setup import make_engine, parameter_names, resolve
from .deblur import MAX_WINDOW, back_to_source, build_restoration, check_model_keywords, deblur_engine
from .interpolate import build_interpolation

OPERATOR = "slowmo"
RESTORATION_GROUP_PHASE = 1  # restored pair i needs restorations i and i+1: the groups of i+1 (_prefetch.py)


def slowmo(
    clip: vs.VideoNode,
    factor: int | float | Fraction = 2,
    *,
    fps: Fraction | float | None = None,
    preset: str | os.PathLike[str] | None = "balanced",
    deblur: bool | None = None,
    window: int | None = None,
    exposure: float | str | None = None,
    scene_change: bool = True,
    device: str | None = None,
    **overrides: Any,
) -> vs.VideoNode:
    """Sharp slow motion: every source frame is deblurred (``deblur``'s motion-deblur model, told the motion of
    its adjacent pairs over ``exposure`` frame intervals; or window-deblur with a ``window`` radius), then
    in-betweens at any ``factor`` or ``fps`` are synthesised from the deblurred
    keyframes, with motion estimated on them. With motion-deblur, an in-between within exposure/2 of a keyframe
    (inside its exposure) is the mean of that interpolated frame and the keyframe's restoration moved along its
    motion to the in-between's time, as ``extract`` moves it; one in the shutter-closed gap between two
    exposures is the mean of the frames interpolated between the deblurred and between the blurry keyframes
    (``filters/_inside_exposure.py``). The clip is converted to float RGB once: the
    in-betweens are made from the restored float frames. Output follows ``interpolate``'s contract (``out[k*i]`` shows
    source time i, same format, props ``SlowdeblurPosition``/``SlowdeblurSynthesized``). ``deblur=False`` is
    exactly ``interpolate``; ``deblur=None`` lets the preset decide (on in ``balanced``). ``preset`` is a name or
    a YAML path; keyword ``overrides`` win over it. With deblurring off, ``window`` and ``deblur_model``
    keywords are refused (they would be ignored).

    Example (.vpy): ``clip = vs_slowdeblur.slowmo(clip, fps=Fraction(120000, 1001), preset="handheld")``
    """
    clip = check_clip(OPERATOR, clip)
    ratio = output_factor(OPERATOR, clip, factor, fps)
    check_scene_change(OPERATOR, scene_change, overrides)
    if deblur is not None:
        check_bool(OPERATOR, "deblur", deblur)
    if window is not None:
        window = check_integer(OPERATOR, "window", window, 0, MAX_WINDOW)
    options, torch_device = resolve(OPERATOR, preset, {"deblur": deblur, "window": window, "exposure": exposure,
                                                       "device": device, **overrides},
                                    parameters=parameter_names(slowmo))
    if not options.deblur:
        off = "deblur=False" if deblur is False else f"preset {preset!r}"
        refuse_unused(OPERATOR, {"window": window, "exposure": exposure, **overrides}, DEBLUR_KEYS,
                      f"{off} turns deblurring off; leave it out, or pass deblur=True")
    else:
        check_model_keywords(OPERATOR, options.deblur_model, window, exposure)
    interpolation = make_engine(OPERATOR, options.model, lambda: InterpolationEngine(options, torch_device))
    timeline = Timeline(ratio, clip.num_frames)
    refine = working = None
    if options.deblur:
        restoration = make_engine(OPERATOR, options.deblur_model, lambda: deblur_engine(options, torch_device))
        blurry = to_working(clip)
        # The restorations a group at a time, their groups one frame after the in-betweens' (filters/_prefetch.py)
        working = grouped(build_restoration(blurry, restoration, options, scene_change, OPERATOR, "source frame",
                                            group_phase=RESTORATION_GROUP_PHASE),
                          group_size(interpolation, clip.width, clip.height), RESTORATION_GROUP_PHASE)
        if isinstance(restoration, MotionDeblurEngine):
            refine = partial(fuse_by_exposure, restored=working, motion=blurry, timeline=timeline,
                             engine=restoration, failure=partial(frame_error, OPERATOR))
        clip = back_to_source(clip, blurry, working)
    # One working space: the in-betweens are made from the restored float frames, not from their conversion
    # back to the clip's format, which only the source positions show.
    return build_interpolation(clip, timeline, interpolation, options, scene_change, OPERATOR, refine=refine,
                               working=working)
