"""``interpolate``: frame interpolation at any factor or frame rate, one network pass per source pair."""

from __future__ import annotations

from fractions import Fraction
from functools import partial
from typing import Any

import vapoursynth as vs

from ..engine import scene
from ..engine.color import FormatRestorer, to_working
from ..engine.interpolation import InterpolationEngine
from ..engine.timeline import Timeline
from ..errors import frame_error, operator_error
from ..models.registry import model_names
from ..options import Options
from ._checks import check_bool, check_clip, output_factor
from ._graph import parallel_modify_frame
from ._setup import make_engine, resolve

OPERATOR = "interpolate"
POSITION_PROP = "SlowdeblurPosition"  # source time of the output frame, in source frames
SYNTHESIZED_PROP = "SlowdeblurSynthesized"  # 1 where the frame was synthesised, 0 for source frames/repeats


def interpolate(
    clip: vs.VideoNode,
    factor: int | float | Fraction = 2,
    *,
    fps: Fraction | float | None = None,
    model: str = "rife-hdv3",
    scene_change: bool = True,
    device: str | None = None,
    preset: str | None = None,
    **overrides: Any,
) -> vs.VideoNode:
    """Raise the frame rate by ``factor`` (any rational > 1) or to ``fps``, synthesising in-between frames.

    Output frame m shows source time m / factor (in frames); with an integer factor k, ``out[k*i]`` is
    source frame i untouched and the k−1 frames after the last source frame repeat it. Any GRAY/YUV/RGB
    format and size; the output has the input's format. Never synthesises across a scene cut: the nearer
    source frame is repeated. ``preset`` (name or YAML path) and keyword ``overrides`` (e.g.
    ``timing="exact"``, ``cache_bytes=2**28``) set the options of :class:`vs_slowdeblur.options.Options`.

    Example (.vpy): ``clip = vs_slowdeblur.interpolate(clip, fps=Fraction(60000, 1001))``
    """
    clip = check_clip(OPERATOR, clip)
    ratio = output_factor(OPERATOR, clip, factor, fps)
    check_bool(OPERATOR, "scene_change", scene_change)
    if model not in model_names("interpolate"):
        raise operator_error(OPERATOR, f"model must be one of {model_names('interpolate')}, got {model!r}")
    options, torch_device = resolve(OPERATOR, preset, {"model": model, "device": device, **overrides})
    engine = make_engine(OPERATOR, options.model, lambda: InterpolationEngine(options, torch_device))
    return build_interpolation(clip, Timeline(ratio, clip.num_frames), engine, options, scene_change)


def build_interpolation(clip: vs.VideoNode, timeline: Timeline, engine: InterpolationEngine, options: Options,
                        scene_change: bool) -> vs.VideoNode:
    """The VapourSynth graph: source frames pass through, in-betweens come from ``engine``."""
    working = to_working(clip)
    next_working = scene.next_frames(working)
    left, right = timeline.remap(working), timeline.remap(next_working)
    synthesized = _synthesized_clip(left, right, timeline, engine)
    restorer = FormatRestorer(synthesized, clip.format)

    source = timeline.remap(clip)
    next_source = timeline.remap(scene.next_frames(clip))
    differences = scene.pair_difference(working)
    left_info = timeline.remap(differences)  # frame i's props plus its difference to frame i+1
    last_source = clip.num_frames - 1
    threshold = options.scene_threshold

    def choose(n: int, f: list[vs.VideoFrame]) -> vs.VideoNode:
        index, t = timeline.source_position(n)
        if t == 0 or index >= last_source:
            return source
        if scene_change and scene.is_cut(f[1].props, f[2].props, threshold):
            return source if t < Fraction(1, 2) else next_source
        return restorer.restore(f[0].props)

    chosen = source.std.FrameEval(choose, prop_src=[source, left_info, next_source],
                                  clip_src=[source, next_source, synthesized])
    if clip.fps != 0:  # VFR clips keep fps 0; their frames carry retimed durations
        fps = clip.fps * timeline.factor
        chosen = chosen.std.AssumeFPS(fpsnum=fps.numerator, fpsden=fps.denominator)
    return chosen.std.ModifyFrame([chosen, source], partial(_retimed_props, timeline=timeline))


def _synthesized_clip(left: vs.VideoNode, right: vs.VideoNode, timeline: Timeline,
                      engine: InterpolationEngine) -> vs.VideoNode:
    """Working-format clip whose frame m is the in-between at output position m (computed on request)."""

    def render(n: int, f: list[vs.VideoFrame]) -> vs.VideoFrame:
        index, t = timeline.source_position(n)
        out = f[0].copy()
        try:
            engine.render(index, t, f[0], f[1], out)
            out.props[SYNTHESIZED_PROP] = 1
        except Exception as exc:
            raise frame_error(OPERATOR, n, exc) from exc
        return out

    return parallel_modify_frame(left, [left, right], render)


def _retimed_props(n: int, f: list[vs.VideoFrame], timeline: Timeline) -> vs.VideoFrame:
    """Durations, ``_AbsoluteTime`` and scene-change props for output frame n (source props in ``f[1]``)."""
    out = f[0].copy()
    source_props = f[1].props
    props = out.props
    index, t = timeline.source_position(n)
    if "_DurationNum" in source_props and "_DurationDen" in source_props:
        duration = Fraction(source_props["_DurationNum"], source_props["_DurationDen"]) / timeline.factor
        props["_DurationNum"], props["_DurationDen"] = duration.numerator, duration.denominator
    for key in ("_AbsoluteTime", "_SceneChangePrev"):
        if t == 0 and key in source_props:
            props[key] = source_props[key]
        elif key in props:
            del props[key]
    if timeline.is_last_of_source(n) and "_SceneChangeNext" in source_props:
        props["_SceneChangeNext"] = source_props["_SceneChangeNext"]
    elif "_SceneChangeNext" in props:
        del props["_SceneChangeNext"]
    props[POSITION_PROP] = float(index + t)
    props[SYNTHESIZED_PROP] = int(f[0].props.get(SYNTHESIZED_PROP, 0))
    return out
