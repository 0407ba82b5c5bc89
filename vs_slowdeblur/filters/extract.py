"""``extract``: every blurry frame becomes ``count`` sharp frames spread over its exposure."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import vapoursynth as vs

from ..engine.color import to_working
from ..engine.exposure import AUTO
from ..engine.extraction import exposure_offsets
from ..engine.motion_deblur import WINDOW_PROP, MotionDeblurEngine
from ..engine.timeline import shifted
from ..errors import frame_error
from ..options import INTERPOLATION_KEYS
from ._checks import check_clip, check_integer, check_scene_change, refuse_unused
from ._graph import parallel_modify_frame
from ._setup import make_engine, parameter_names, resolve
from .deblur import EXPOSURE_PROP, MOTION_MODEL, back_to_source, build_restoration, check_motion_clip
from .interpolate import POSITION_PROP, SYNTHESIZED_PROP

OPERATOR = "extract"
DEFAULT_COUNT = 3  # frames per source frame
MAX_COUNT = 240
NOT_EXTRACT_KEYS = ("deblur", "deblur_model", "window")  # extract always restores with motion-deblur


def extract(
    clip: vs.VideoNode,
    count: int = DEFAULT_COUNT,
    *,
    exposure: float | str | None = None,
    motion_clip: vs.VideoNode | None = None,
    scene_change: bool = True,
    device: str | None = None,
    preset: str | os.PathLike[str] | None = None,
    **overrides: Any,
) -> vs.VideoNode:
    """Turn each motion-blurred frame into ``count`` sharp frames (1–240) spread evenly over its exposure: frame
    n is restored as ``deblur`` restores it (motion-deblur, told the motion of its adjacent pairs over
    ``exposure`` frame intervals, or ``"auto"``), and output frame count·n + k shows that content moved along
    the motion to the middle of the k-th of ``count`` equal parts of the exposure (Jin et al. 2018 fix count
    at 7). The output has count times the frame rate (frame durations divided by count), the input's format and
    size, and the props of ``interpolate``'s output: ``SlowdeblurPosition`` (source time of the frame, in
    source frames: n + offset), ``SlowdeblurSynthesized`` (1 where the content was moved, so not the middle of
    an odd count), ``_SceneChangePrev`` only on the first and ``_SceneChangeNext`` only on the last frame of each
    source frame (the source's own, or 1 where the restoration stopped at a cut it detected; ``_AbsoluteTime``
    on the first only), and ``SlowdeblurExposure``. A frame alone in its shot comes back unchanged ``count``
    times. ``motion_clip``, ``preset``, ``scene_change`` and
    ``overrides`` as in ``deblur``; ``window``, ``deblur_model`` and ``deblur`` are refused as keywords.

    Example (.vpy): ``clip = vs_slowdeblur.extract(clip, 7, exposure=0.5)``
    """
    clip = check_clip(OPERATOR, clip)
    count = check_integer(OPERATOR, "count", count, 1, MAX_COUNT)
    check_scene_change(OPERATOR, scene_change, overrides)
    if motion_clip is not None:
        check_motion_clip(clip, motion_clip, MOTION_MODEL, OPERATOR)
    refuse_unused(OPERATOR, overrides, INTERPOLATION_KEYS, "it is an interpolation option, and extract "
                                                           "synthesises no in-betweens; leave it out")
    refuse_unused(OPERATOR, overrides, NOT_EXTRACT_KEYS, f"extract always restores with {MOTION_MODEL}; leave it out")
    options, torch_device = resolve(OPERATOR, preset, {"exposure": exposure, "device": device, **overrides},
                                    refused=(*INTERPOLATION_KEYS, *NOT_EXTRACT_KEYS),
                                    parameters=parameter_names(extract))
    options = dataclasses.replace(options, deblur_model=MOTION_MODEL)  # a preset's deblur model is for deblur
    engine = make_engine(OPERATOR, MOTION_MODEL, lambda: MotionDeblurEngine(options, torch_device))
    working = to_working(clip)
    motion = working if motion_clip is None else to_working(motion_clip)
    restored = build_restoration(working, engine, options, scene_change, OPERATOR, "source frame",
                                 None if motion_clip is None else motion)
    taps = [repeated(shifted(motion, k), count) for k in (-1, 0, 1)]
    default_exposure = 0.0 if engine.exposure == AUTO else float(engine.exposure)  # for frames not restored

    def render(m: int, f: list[vs.VideoFrame]) -> vs.VideoFrame:
        n, k = divmod(m, count)
        out = f[0].copy()
        props = out.props
        exposure_used = props.get(EXPOSURE_PROP)
        offset = exposure_offsets(count, default_exposure if exposure_used is None else exposure_used)[k]
        try:
            was_moved = exposure_used is not None and offset != 0 and engine.write_moved(f[0], n, f[1:4], offset, out)
        except Exception as exc:
            raise frame_error(OPERATOR, m, exc) from exc
        props[POSITION_PROP] = n + offset
        props[SYNTHESIZED_PROP] = int(was_moved)
        _set_shot_flags(props, n, k, count, list(props[WINDOW_PROP]), clip.num_frames)
        return out

    frames = repeated(restored, count)
    return back_to_source(repeated(clip, count), repeated(working, count),
                          parallel_modify_frame(frames, [frames, *taps], render))


def _set_shot_flags(props: vs.FrameProps, n: int, k: int, count: int, window: list[int], length: int) -> None:
    """Scene-change flags of frame k of source frame n's ``count``: ``_SceneChangePrev`` (and ``_AbsoluteTime``)
    only on the first, ``_SceneChangeNext`` only on the last, set where the restoration's ``window`` stopped at a
    cut (a repeated neighbour inside the clip), else the source frame's own."""
    cut_before, cut_after = n > 0 and window[0] == n, n < length - 1 and window[2] == n
    for key, keep, cut in (("_SceneChangePrev", k == 0, cut_before), ("_SceneChangeNext", k == count - 1, cut_after)):
        if keep and cut:
            props[key] = 1
        elif not keep and key in props:
            del props[key]
    if k != 0 and "_AbsoluteTime" in props:
        del props["_AbsoluteTime"]


def repeated(clip: vs.VideoNode, count: int) -> vs.VideoNode:
    """Each frame ``count`` times in a row, at ``count`` times the rate (durations divided by ``count``)."""
    return clip if count == 1 else vs.core.std.Interleave([clip] * count)
