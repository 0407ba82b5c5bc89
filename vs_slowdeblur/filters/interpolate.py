"""``interpolate``: frame interpolation at any factor or frame rate, one network pass per source pair."""

from __future__ import annotations

import os
from collections.abc import Callable
from fractions import Fraction
from functools import partial
from typing import Any

import vapoursynth as vs

from ..engine import scene
from ..engine.color import FormatRestorer, copy_colour_props, to_working
from ..engine.interpolation import InterpolationEngine
from ..engine.timeline import Timeline, shifted
from ..errors import frame_error, operator_error
from ..models.registry import model_names
from ..options import DEBLUR_KEYS, Options
from ._checks import check_clip, check_scene_change, output_factor, refuse_unused
from ._graph import parallel_modify_frame
from ._prefetch import group_dependencies, group_size, motion_markers
from ._setup import make_engine, parameter_names, resolve

OPERATOR = "interpolate"
POSITION_PROP = "SlowdeblurPosition"  # source time of the output frame, in source frames
SYNTHESIZED_PROP = "SlowdeblurSynthesized"  # 1 where the frame was synthesised, 0 for source frames/repeats
REFUSED_KEYS = (*DEBLUR_KEYS, "deblur")  # options interpolate would ignore: refused as keywords
NEAR_PAIRS = (-1, 0, 1)  # source pairs i+d whose cut can move a scene-change flag onto a frame of pair i


def interpolate(
    clip: vs.VideoNode,
    factor: int | float | Fraction = 2,
    *,
    fps: Fraction | float | None = None,
    model: str = "rife-hdv3",
    scene_change: bool = True,
    device: str | None = None,
    preset: str | os.PathLike[str] | None = None,
    **overrides: Any,
) -> vs.VideoNode:
    """Raise the frame rate by ``factor`` (any rational > 1) or to ``fps``, synthesising in-between frames.

    Output frame m shows source time m / factor (in frames); with an integer factor k, ``out[k*i]`` is
    source frame i untouched and the k−1 frames after the last source frame repeat it. Any GRAY/YUV/RGB
    format and size; the output has the input's format. Never synthesises across a scene cut: the nearer
    source frame is repeated. ``preset`` (name or YAML path) and keyword ``overrides`` (e.g.
    ``timing="exact"``, ``cache_bytes=2**28``) set the options of :class:`vs_slowdeblur.options.Options`;
    a keyword option interpolate would ignore (``window``, ``deblur_model``, ``deblur``; ``scene_threshold`` with
    ``scene_change=False``) is refused, while a preset may hold them.

    Example (.vpy): ``clip = vs_slowdeblur.interpolate(clip, fps=Fraction(60000, 1001))``
    """
    clip = check_clip(OPERATOR, clip)
    ratio = output_factor(OPERATOR, clip, factor, fps)
    check_scene_change(OPERATOR, scene_change, overrides)
    refuse_unused(OPERATOR, overrides, REFUSED_KEYS,
                  "interpolate does not deblur; leave it out, or use slowmo to deblur and interpolate")
    if model not in model_names("interpolate"):
        raise operator_error(OPERATOR, f"model must be one of {model_names('interpolate')}, got {model!r}")
    options, torch_device = resolve(OPERATOR, preset, {"model": model, "device": device, **overrides},
                                    refused=REFUSED_KEYS, parameters=parameter_names(interpolate))
    engine = make_engine(OPERATOR, options.model, lambda: InterpolationEngine(options, torch_device))
    return build_interpolation(clip, Timeline(ratio, clip.num_frames), engine, options, scene_change)


def build_interpolation(clip: vs.VideoNode, timeline: Timeline, engine: InterpolationEngine, options: Options,
                        scene_change: bool, operator: str = OPERATOR, what: str = "frame",
                        refine: Callable[[vs.VideoNode], vs.VideoNode] | None = None,
                        working: vs.VideoNode | None = None) -> vs.VideoNode:
    """The VapourSynth graph: source frames pass through, in-betweens come from ``engine``. A failing
    in-between is reported as ``operator``'s error about its ``what`` n (its output frame number). ``refine``:
    applied to the in-betweens (working format, output numbering) before they go back to the clip's format.
    ``working``: ``clip`` in the working format where the caller has it already (default: converted here)."""
    working = to_working(clip) if working is None else working
    next_working = scene.next_frames(working)
    differences = scene.pair_difference(working)  # frame i's props plus its difference to frame i+1
    last_source = clip.num_frames - 1
    threshold = options.scene_threshold

    def cut_after(pair: int, left: vs.FrameProps, right: vs.FrameProps) -> bool:
        """Whether the output treats source frames pair and pair+1 as two shots."""
        return scene_change and 0 <= pair < last_source and scene.is_cut(left, right, threshold)

    markers = motion_markers(working, engine, differences, shifted(clip, 1), cut_after)
    prefetch = [timeline.remap(c) for c in group_dependencies(markers, group_size(engine, clip.width, clip.height))]
    left, right = timeline.remap(working), timeline.remap(next_working)
    synthesized = _synthesized_clip(left, right, prefetch, timeline, engine,
                                    partial(frame_error, operator, what=what))
    if refine is not None:
        synthesized = refine(synthesized)
    restorer = FormatRestorer(synthesized, clip.format)

    source = timeline.remap(clip)
    # Output frame m in pair i: frames j and j+1 of the pairs j = i−1, i, i+1 (props that decide their cuts)
    lefts = [timeline.remap(shifted(differences, d)) for d in NEAR_PAIRS]
    rights = [timeline.remap(shifted(clip, d + 1)) for d in NEAR_PAIRS]
    left_info, next_source = lefts[NEAR_PAIRS.index(0)], rights[NEAR_PAIRS.index(0)]

    def choose(n: int, f: list[vs.VideoFrame]) -> vs.VideoNode:
        index, t = timeline.source_position(n)
        if t == 0 or index >= last_source:
            return source
        if cut_after(index, f[1].props, f[2].props):
            return source if t < Fraction(1, 2) else next_source
        return restorer.restore(f[0].props)

    chosen = source.std.FrameEval(choose, prop_src=[source, left_info, next_source],
                                  clip_src=[source, next_source, synthesized])
    if clip.fps != 0:  # VFR clips keep fps 0; their frames carry retimed durations
        fps = clip.fps * timeline.factor
        chosen = chosen.std.AssumeFPS(fpsnum=fps.numerator, fpsden=fps.denominator)

    def retime(n: int, f: list[vs.VideoFrame]) -> vs.VideoFrame:
        index = timeline.source_position(n)[0]
        pairs = len(NEAR_PAIRS)
        cuts = {index + d for d, left, right in zip(NEAR_PAIRS, f[2:2 + pairs], f[2 + pairs:], strict=True)
                if cut_after(index + d, left.props, right.props)}
        return _retimed_props(n, f[0], f[1], timeline, cuts)

    return chosen.std.ModifyFrame([chosen, source, *lefts, *rights], retime)


def _synthesized_clip(left: vs.VideoNode, right: vs.VideoNode, prefetch: list[vs.VideoNode], timeline: Timeline,
                      engine: InterpolationEngine, failure: Callable[[int, Exception], vs.Error]) -> vs.VideoNode:
    """Working-format clip whose frame m is the in-between at output position m (computed on request), once
    the motion markers in ``prefetch`` (its pair's group, see ``_prefetch``) are ready."""

    def render(n: int, f: list[vs.VideoFrame]) -> vs.VideoFrame:
        index, t = timeline.source_position(n)
        out = f[0].copy()
        try:
            engine.render(index, t, f[0], f[1], out)
            out.props[SYNTHESIZED_PROP] = 1
        except Exception as exc:
            raise failure(n, exc) from exc
        return out

    return parallel_modify_frame(left, [left, right, *prefetch], render)


def _retimed_props(n: int, frame: vs.VideoFrame, source: vs.VideoFrame, timeline: Timeline,
                   cuts: set[int]) -> vs.VideoFrame:
    """Durations, ``_AbsoluteTime``, scene-change and colour props for output frame n (``source``: its source
    frame, the earlier one of its pair).

    ``cuts``: the pairs (i, i+1) near n that are treated as cuts, where the output changes shot at
    ``timeline.cut_boundary(i)``: ``_SceneChangeNext`` goes on the frame before it, ``_SceneChangePrev`` on it.
    Elsewhere source frames keep ``_SceneChangePrev`` and ``_SceneChangeNext`` moves to the last output frame
    before the next source frame.
    """
    out = frame.copy()
    source_props = source.props
    props = out.props
    index, t = timeline.source_position(n)
    if "_DurationNum" in source_props and "_DurationDen" in source_props:
        duration = Fraction(source_props["_DurationNum"], source_props["_DurationDen"]) / timeline.factor
        props["_DurationNum"], props["_DurationDen"] = duration.numerator, duration.denominator
    if t == 0 and "_AbsoluteTime" in source_props:
        props["_AbsoluteTime"] = source_props["_AbsoluteTime"]
    elif "_AbsoluteTime" in props:
        del props["_AbsoluteTime"]
    boundaries = {timeline.cut_boundary(pair) for pair in cuts}
    _set_flag(props, "_SceneChangePrev", n in boundaries, t == 0 and index - 1 in cuts,
              source_props.get("_SceneChangePrev") if t == 0 else None)
    last = timeline.is_last_of_source(n)
    _set_flag(props, "_SceneChangeNext", n + 1 in boundaries, last and index in cuts,
              source_props.get("_SceneChangeNext") if last else None)
    props[POSITION_PROP] = float(index + t)
    props[SYNTHESIZED_PROP] = int(frame.props.get(SYNTHESIZED_PROP, 0))
    if props[SYNTHESIZED_PROP]:  # converted back from float RGB: state the earlier source frame's description
        copy_colour_props(props, source_props)
    return out


def _set_flag(props: vs.FrameProps, key: str, on: bool, off: bool, inherited: int | None) -> None:
    """Set ``key`` to 1 (``on``), 0 (``off``), the source frame's value (``inherited``), or remove it."""
    if on or off:
        props[key] = int(on)
    elif inherited is not None:
        props[key] = inherited
    elif key in props:
        del props[key]
