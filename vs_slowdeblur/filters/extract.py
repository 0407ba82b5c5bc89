"""``extract``: every blurry frame becomes ``count`` sharp frames spread over its exposure."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import Any

import torch
import vapoursynth as vs

from ..engine.color import to_working
from ..engine.extraction import exposure_offsets, move_to
from ..engine.frames import frame_to_tensor, tensor_to_frame
from ..engine.motion_deblur import MotionDeblurEngine
from ..engine.timeline import shifted
from ..errors import frame_error
from ..options import INTERPOLATION_KEYS
from ._checks import check_clip, check_integer, check_scene_change, refuse_unused
from ._graph import parallel_modify_frame
from ._setup import make_engine, parameter_names, resolve
from .deblur import EXPOSURE_PROP, MOTION_MODEL, WINDOW_PROP, back_to_source, build_restoration, check_motion_clip
from .interpolate import POSITION_PROP, SYNTHESIZED_PROP

OPERATOR = "extract"
MAX_COUNT = 240  # frames per source frame
NOT_EXTRACT_KEYS = ("deblur", "deblur_model", "window")  # extract always restores with motion-deblur


def extract(
    clip: vs.VideoNode,
    count: int = 3,
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
    an odd count), scene-change flags on the first and last frame of each source frame (``_AbsoluteTime`` on
    the first only), and ``SlowdeblurExposure``. A frame
    alone in its shot comes back unchanged ``count`` times. ``motion_clip``, ``preset``, ``scene_change`` and
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
    restored = build_restoration(working, engine, options, scene_change, OPERATOR, "source frame", motion_clip)
    motion = working if motion_clip is None else to_working(motion_clip)
    taps = [repeated(shifted(motion, k), count) for k in (-1, 0, 1)]
    default_exposure = options.exposure if isinstance(options.exposure, float) else 0.0

    def render(m: int, f: list[vs.VideoFrame]) -> vs.VideoFrame:
        n, k = divmod(m, count)
        out = f[0].copy()
        props = out.props
        exposure_used = props.get(EXPOSURE_PROP)
        offset = exposure_offsets(count, default_exposure if exposure_used is None else exposure_used)[k]
        was_moved = False
        try:
            if exposure_used is not None and offset != 0:
                with engine.context():
                    moved = moved_restoration(engine, f[0], n, f[1:4], offset)
                    if moved is not None:
                        tensor_to_frame(moved, out)
                        was_moved = True
        except Exception as exc:
            raise frame_error(OPERATOR, m, exc) from exc
        props[POSITION_PROP] = n + offset
        props[SYNTHESIZED_PROP] = int(was_moved)
        for key, keep in (("_SceneChangePrev", k == 0), ("_SceneChangeNext", k == count - 1),
                          ("_AbsoluteTime", k == 0)):
            if not keep and key in props:
                del props[key]
        return out

    moved = parallel_modify_frame(repeated(restored, count), [repeated(restored, count), *taps], render)
    if moved.format.id == clip.format.id:
        return moved
    return back_to_source(repeated(clip, count), repeated(working, count), moved)


def moved_restoration(engine: MotionDeblurEngine, restored: vs.VideoFrame, n: int,
                      motion_taps: Sequence[vs.VideoFrame], offset: float) -> torch.Tensor | None:
    """Restored frame n (working format, with ``deblur``'s window prop) as a (1, C, H, W) tensor moved ``offset``
    frame intervals along its motion, taken from ``motion_taps`` (frames n−1, n, n+1 of the clip the motion is
    estimated on); None when the frame has no neighbour. Call inside ``engine.context()``."""
    indices = list(restored.props[WINDOW_PROP])
    velocities = engine.velocities(indices, [motion_taps[i - n + 1] for i in indices])
    if velocities is None:
        return None
    return move_to(frame_to_tensor(restored, engine.device), *velocities, offset)


def repeated(clip: vs.VideoNode, count: int) -> vs.VideoNode:
    """Each frame ``count`` times in a row, at ``count`` times the rate (durations divided by ``count``)."""
    return clip if count == 1 else vs.core.std.Interleave([clip] * count)
