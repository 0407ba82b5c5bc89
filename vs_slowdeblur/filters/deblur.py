"""``deblur``: remove motion blur from every frame, told the motion of its neighbouring frames."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import torch
import vapoursynth as vs

from ..engine import scene
from ..engine.color import COLOUR_PROPS, ResidualRestorer, to_working
from ..engine.deblur import DeblurEngine, window_indices
from ..engine.exposure import AUTO, POOL_RADIUS, pooled_exposure
from ..engine.motion_deblur import WINDOW_PROP, MotionDeblurEngine
from ..engine.timeline import shifted
from ..errors import frame_error, operator_error
from ..models.registry import model_names
from ..options import INTERPOLATION_KEYS, Options
from ._checks import check_clip, check_integer, check_scene_change, refuse_unused
from ._graph import parallel_modify_frame
from ._prefetch import group_dependencies, group_size, motion_markers
from ._setup import make_engine, parameter_names, resolve

OPERATOR = "deblur"
EXPOSURE_PROP = "SlowdeblurExposure"  # motion-deblur: the exposure restored for (fraction of the frame interval)
# exposure="auto": props of the one-pixel vote clip, frame n's vote (an index in engine.exposure.CANDIDATES, −1 for
# none) and whether a scene cut follows frame n
VOTE_PROP, CUT_AFTER_PROP = "SlowdeblurExposureVote", "SlowdeblurCutAfter"
MAX_WINDOW = 3
MOTION_MODEL = "motion-deblur"


def deblur(
    clip: vs.VideoNode,
    *,
    window: int | None = None,
    exposure: float | str | None = None,
    model: str = MOTION_MODEL,
    motion_clip: vs.VideoNode | None = None,
    device: str | None = None,
    preset: str | os.PathLike[str] | None = None,
    scene_change: bool = True,
    **overrides: Any,
) -> vs.VideoNode:
    """Sharpen motion-blurred frames. With the default ``model="motion-deblur"``, frame n is restored from its
    pixels and the motion of its adjacent pairs (n−1, n) and (n, n+1), estimated by the RIFE network, over an
    exposure of ``exposure`` frame intervals (the fraction of the frame interval the shutter is open, 0 < e ≤ 1; 0.5
    is a 180° shutter; default 0.75 from the preset), or ``exposure="auto"``: each frame votes for the candidate
    1/8, 1/4, 1/2, 3/4 or 1 whose restoration, blurred again along the motion, best matches the input (five
    network runs on each of the three fastest-moving 128-pixel squares, about 1.4 times the CPU time of a told
    exposure), and a frame is restored for the lower median of the votes of the frames within 4 of it in its
    shot. "auto" limits the damage a too-large exposure does to near-sharp input (−0.21 dB against −6.47 told
    3/4), but it often picks less than the truth on strong blur and gains less there (+0.64 dB against +1.04;
    docs/BENCHMARKS.md). ``motion_clip``: estimate the motion on this clip instead (same length
    and size; a denoised copy, say, as MVTools' prefilter). ``model="window-deblur"`` (the older network) restores
    frame n from frames n−window … n+window instead (``window``: radius in frames). Neither reaches past the clip's
    ends or across a scene cut (the boundary frame is repeated; a frame alone in its shot comes back unchanged).
    Same length, rate, format and props as the input, plus ``SlowdeblurWindow`` (the source frame numbers used) and,
    for motion-deblur, ``SlowdeblurExposure`` (the exposure restored for; absent on a frame returned unchanged). The
    model works in float RGB; its change is added to the source pixels in the source format, so unchanged pixels
    keep their exact values. ``preset``/``overrides`` as in ``interpolate``; interpolation options (``timing``,
    ``model_scale``, ``tile``, ``tile_overlap``) and ``deblur`` are refused as keywords.

    Example (.vpy): ``clip = vs_slowdeblur.deblur(clip, exposure=0.5)``
    """
    clip = check_clip(OPERATOR, clip)
    if window is not None:
        window = check_integer(OPERATOR, "window", window, 0, MAX_WINDOW)
    check_scene_change(OPERATOR, scene_change, overrides)
    check_model_keywords(OPERATOR, model, window, exposure)
    if motion_clip is not None:
        check_motion_clip(clip, motion_clip, model)
    refuse_unused(OPERATOR, overrides, INTERPOLATION_KEYS, "it is an interpolation option, and deblur synthesises "
                                                           "no in-betweens and works on whole frames; leave it out")
    refuse_unused(OPERATOR, overrides, ["deblur"], "it is slowmo's switch, deblur always deblurs; leave it out")
    if overrides.get("deblur_model") is not None:  # None means "not given", as for every keyword option
        raise operator_error(OPERATOR, f"deblur_model={overrides['deblur_model']!r} names the model a second time; "
                                       f"deblur's parameter for it is model=, use that alone")
    if model not in model_names("deblur"):
        raise operator_error(OPERATOR, f"model must be one of {model_names('deblur')}, got {model!r}")
    options, torch_device = resolve(OPERATOR, preset, {"deblur_model": model, "device": device, "window": window,
                                                        "exposure": exposure, **overrides},
                                    refused=(*INTERPOLATION_KEYS, "deblur", "deblur_model"),
                                    parameters=parameter_names(deblur))
    engine = make_engine(OPERATOR, options.deblur_model, lambda: deblur_engine(options, torch_device))
    return build_deblur(clip, engine, options, scene_change, motion_clip=motion_clip)


def check_motion_clip(clip: vs.VideoNode, motion_clip: vs.VideoNode, model: str, operator: str = OPERATOR) -> None:
    if model != MOTION_MODEL:
        raise operator_error(operator, f"motion_clip has no effect: model {model!r} estimates no motion; leave it "
                                   f"out, or pass model={MOTION_MODEL!r}")
    check_clip(operator, motion_clip, "motion_clip")
    if (motion_clip.num_frames, motion_clip.width, motion_clip.height) != (clip.num_frames, clip.width, clip.height):
        raise operator_error(operator, f"motion_clip must match clip in length and size, got "
                                   f"{motion_clip.num_frames} frames of {motion_clip.width}x{motion_clip.height} "
                                   f"for {clip.num_frames} of {clip.width}x{clip.height}; trim or resize it")


def check_model_keywords(operator: str, model: str, window: int | None, exposure: float | str | None) -> None:
    """Refuse the keyword the chosen deblurring model would ignore: ``exposure`` for window-deblur, a
    ``window`` other than 1 for motion-deblur (which always takes its motion from the adjacent frames)."""
    if model == MOTION_MODEL and window not in (None, 1):
        raise operator_error(operator, f"window={window!r} has no effect: model {MOTION_MODEL!r} restores frame n "
                                       f"from the motion of frames n−1..n+1; leave window out, or pass "
                                       f"model='window-deblur'")
    if model != MOTION_MODEL:
        refuse_unused(operator, {"exposure": exposure}, ["exposure"],
                      f"model {model!r} is not told the exposure; leave it out, or pass model={MOTION_MODEL!r}")


DeblurEngines = DeblurEngine | MotionDeblurEngine


def deblur_engine(options: Options, device: torch.device) -> DeblurEngines:
    """The engine of ``options.deblur_model``."""
    if options.deblur_model == MOTION_MODEL:
        return MotionDeblurEngine(options, device)
    return DeblurEngine(options, device)


def build_deblur(clip: vs.VideoNode, engine: DeblurEngines, options: Options, scene_change: bool,
                 operator: str = OPERATOR, what: str = "frame",
                 motion_clip: vs.VideoNode | None = None) -> vs.VideoNode:
    """The VapourSynth graph: frame n's window of shifted clips (and of ``motion_clip``'s, when given) and cut
    detections → the restored frame. A failing frame is reported as ``operator``'s error about its ``what`` n."""
    working = to_working(clip)
    return back_to_source(clip, working, build_restoration(working, engine, options, scene_change, operator, what,
                                                           motion_clip))


def back_to_source(clip: vs.VideoNode, working: vs.VideoNode, restored: vs.VideoNode) -> vs.VideoNode:
    """``restored`` (working format, frame for frame with ``working`` = ``to_working(clip)``) in ``clip``'s format,
    as a correction of its pixels, with the colour props of ``clip``'s frames; ``restored`` itself where ``clip``
    is in the working format already."""
    if restored.format.id == clip.format.id:
        return restored
    restorer = ResidualRestorer(clip, working, restored)
    corrected = clip.std.FrameEval(lambda n, f: restorer.restore(f.props), prop_src=[clip], clip_src=[restored])
    return corrected.std.CopyFrameProps(clip, props=list(COLOUR_PROPS))  # also drops what clip lacks


def build_restoration(working: vs.VideoNode, engine: DeblurEngines, options: Options, scene_change: bool,
                      operator: str = OPERATOR, what: str = "frame",
                      motion_clip: vs.VideoNode | None = None, group_phase: int = 0) -> vs.VideoNode:
    """The restored frames of ``working`` (a clip in the working format), in the working format, with
    ``SlowdeblurWindow`` and (motion-deblur) ``SlowdeblurExposure`` props. ``group_phase``: the groups of frames
    whose pair motion is estimated together start at the frames ≡ group_phase (mod the group size)."""
    radius = engine.radius
    taps = [shifted(working, k) for k in range(-radius, radius + 1)]
    if motion_clip is not None:
        taps += [shifted(to_working(motion_clip), k) for k in range(-radius, radius + 1)]
    differences = scene.pair_difference(working)
    taps += [shifted(differences, k) for k in range(-radius, radius)]  # pair (n+k, n+k+1)
    prefetch = []  # motion-deblur's frame n needs pairs n−1 and n: estimated a group at a time (_prefetch)
    if isinstance(engine, MotionDeblurEngine):
        def cut_after(pair: int, left: vs.FrameProps, right: vs.FrameProps) -> bool:
            return scene_change and scene.is_cut(left, right, options.scene_threshold)

        motion_frames = working if motion_clip is None else to_working(motion_clip)
        markers = motion_markers(motion_frames, engine.motion, differences, shifted(working, 1), cut_after)
        prefetch = group_dependencies(markers, group_size(engine.motion, working.width, working.height), -1, 0,
                                      group_phase)
    window = partial(_frame_window, radius=radius, num_frames=working.num_frames, motion_taps=motion_clip is not None,
                     scene_change=scene_change, threshold=options.scene_threshold)
    failure = partial(frame_error, operator, what=what)
    votes = []
    if isinstance(engine, MotionDeblurEngine) and engine.exposure == AUTO:
        voters = working.std.BlankClip(format=vs.GRAY8, width=1, height=1, keep=True)
        voted = parallel_modify_frame(voters, [voters, *taps, *prefetch],
                                      partial(_vote, engine=engine, window=window, num_frames=working.num_frames,
                                              failure=failure))
        votes = [shifted(voted, k) for k in range(-POOL_RADIUS, POOL_RADIUS + 1)]
    restore = partial(_restore_frame, engine=engine, window=window, num_frames=working.num_frames,
                      votes=slice(len(taps), len(taps) + len(votes)), failure=failure)
    return parallel_modify_frame(taps[radius], taps + votes + prefetch, restore)


class FrameWindow(NamedTuple):
    indices: list[int]  # source frame numbers n−radius … n+radius, a boundary frame repeated
    frames: list[vs.VideoFrame]  # those frames
    motion: list[vs.VideoFrame] | None  # and those of the motion clip, when given
    cut_after: Callable[[int], bool]  # a scene cut between frames i and i+1 (for i within the window)


def _frame_window(n: int, f: list[vs.VideoFrame], radius: int, num_frames: int, motion_taps: bool,
                  scene_change: bool, threshold: float) -> FrameWindow:
    """Frame n's window from ``build_restoration``'s taps ``f`` (frames, motion frames, cut detections)."""
    width = 2 * radius + 1
    cuts_from = (1 + motion_taps) * width
    taps, motion = f[:width], f[width:2 * width] if motion_taps else None
    cut_taps = f[cuts_from:cuts_from + 2 * radius]

    def cut_after(i: int) -> bool:
        k = i - n  # pair (i, i+1) is cut tap k + radius; frame i+1 is tap k + 1 + radius
        return scene_change and scene.is_cut(cut_taps[k + radius].props, taps[k + 1 + radius].props, threshold)

    indices = window_indices(n, radius, num_frames, cut_after)
    return FrameWindow(indices, [taps[i - n + radius] for i in indices],
                       None if motion is None else [motion[i - n + radius] for i in indices], cut_after)


def _vote(n: int, f: list[vs.VideoFrame], engine: MotionDeblurEngine, window: Callable[..., FrameWindow],
          num_frames: int, failure: Callable[[int, Exception], vs.Error]) -> vs.VideoFrame:
    """A one-pixel frame carrying frame n's exposure vote and whether a cut follows it."""
    frame = window(n, f[1:])
    try:
        vote = engine.vote(frame.indices, frame.frames, frame.motion)
    except Exception as exc:
        raise failure(n, exc) from exc
    out = f[0].copy()
    out.props[VOTE_PROP] = -1 if vote is None else vote
    out.props[CUT_AFTER_PROP] = n + 1 < num_frames and frame.cut_after(n)
    return out


def shot_votes(n: int, votes: list[vs.FrameProps], num_frames: int) -> list[int | None]:
    """The votes of the frames n−POOL_RADIUS … n+POOL_RADIUS (``votes``, one props per frame, the clip's end
    frames repeated) that lie in frame n's shot."""
    centre = POOL_RADIUS
    found = [votes[centre][VOTE_PROP]]
    for direction in (-1, 1):
        for step in range(1, POOL_RADIUS + 1):
            i = n + direction * step
            near_side = votes[centre + direction * step - (direction > 0)]  # of the boundary it crosses
            if not 0 <= i < num_frames or near_side[CUT_AFTER_PROP]:
                break
            found.append(votes[centre + direction * step][VOTE_PROP])
    return [None if vote < 0 else vote for vote in found]


def _restore_frame(n: int, f: list[vs.VideoFrame], engine: DeblurEngines, window: Callable[..., FrameWindow],
                   num_frames: int, votes: slice, failure: Callable[[int, Exception], vs.Error]) -> vs.VideoFrame:
    frame = window(n, f)
    out = frame.frames[len(frame.frames) // 2].copy()
    try:
        if isinstance(engine, MotionDeblurEngine):
            told = None  # the engine's own exposure
            if votes.stop > votes.start:
                told = pooled_exposure(shot_votes(n, [vote.props for vote in f[votes]], num_frames))
            exposure = engine.restore(frame.indices, frame.frames, out, frame.motion, told)
        else:
            exposure = engine.restore(frame.indices, frame.frames, out)
    except Exception as exc:
        raise failure(n, exc) from exc
    out.props[WINDOW_PROP] = frame.indices
    if exposure is not None:
        out.props[EXPOSURE_PROP] = exposure
    return out
