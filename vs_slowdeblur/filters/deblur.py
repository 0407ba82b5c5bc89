"""``deblur``: remove motion blur from every frame using a temporal window of neighbouring frames."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import Any

import vapoursynth as vs

from ..engine import scene
from ..engine.color import COLOUR_PROPS, ResidualRestorer, to_working
from ..engine.deblur import DeblurEngine, window_indices
from ..engine.timeline import shifted
from ..errors import frame_error, operator_error
from ..models.registry import model_names
from ..options import INTERPOLATION_KEYS, Options
from ._checks import check_clip, check_integer, check_scene_change, refuse_unused
from ._graph import parallel_modify_frame
from ._setup import make_engine, resolve

OPERATOR = "deblur"
WINDOW_PROP = "SlowdeblurWindow"  # source frame numbers the restored frame was computed from
MAX_WINDOW = 3


def deblur(
    clip: vs.VideoNode,
    *,
    window: int | None = None,
    model: str = "window-deblur",
    device: str | None = None,
    preset: str | os.PathLike[str] | None = None,
    scene_change: bool = True,
    **overrides: Any,
) -> vs.VideoNode:
    """Sharpen motion-blurred frames. Frame n is restored from frames n−window … n+window (``window`` is the
    radius in frames; default 1 from the preset); the window never crosses a scene cut or the clip's ends
    (the boundary frame is repeated). Same length, rate, format and props as the input, plus
    ``SlowdeblurWindow`` (the source frame numbers used). The model works in float RGB; its change is added to
    the source pixels in the source format, so unchanged pixels keep their exact values.
    ``preset``/``overrides`` as in ``interpolate``; interpolation options (``timing``, ``model_scale``,
    ``tile``, ``tile_overlap``) and ``deblur`` are refused as keywords.

    Example (.vpy): ``clip = vs_slowdeblur.deblur(clip, window=2)``
    """
    clip = check_clip(OPERATOR, clip)
    if window is not None:
        window = check_integer(OPERATOR, "window", window, 0, MAX_WINDOW)
    check_scene_change(OPERATOR, scene_change, overrides)
    refuse_unused(OPERATOR, overrides, INTERPOLATION_KEYS, "it is an interpolation option, and deblur synthesises "
                                                           "no in-betweens and works on whole frames; leave it out")
    refuse_unused(OPERATOR, overrides, ["deblur"], "it is slowmo's switch, deblur always deblurs; leave it out")
    if overrides.get("deblur_model") is not None:  # None means "not given", as for every keyword option
        raise operator_error(OPERATOR, f"deblur_model={overrides['deblur_model']!r} names the model a second time; "
                                       f"deblur's parameter for it is model=, use that alone")
    if model not in model_names("deblur"):
        raise operator_error(OPERATOR, f"model must be one of {model_names('deblur')}, got {model!r}")
    options, torch_device = resolve(OPERATOR, preset, {"deblur_model": model, "device": device, "window": window,
                                                        **overrides},
                                    refused=(*INTERPOLATION_KEYS, "deblur", "deblur_model"))
    engine = make_engine(OPERATOR, options.deblur_model, lambda: DeblurEngine(options, torch_device))
    return build_deblur(clip, engine, options, scene_change)


def build_deblur(clip: vs.VideoNode, engine: DeblurEngine, options: Options, scene_change: bool,
                 operator: str = OPERATOR, what: str = "frame") -> vs.VideoNode:
    """The VapourSynth graph: frame n's window of shifted clips and cut detections → the restored frame. A
    failing frame is reported as ``operator``'s error about its ``what`` n."""
    working = to_working(clip)
    radius = options.window
    taps = [shifted(working, k) for k in range(-radius, radius + 1)]
    differences = scene.pair_difference(working)
    cut_taps = [shifted(differences, k) for k in range(-radius, radius)]  # pair (n+k, n+k+1)
    restore = partial(_restore_frame, engine=engine, radius=radius, num_frames=clip.num_frames,
                      scene_change=scene_change, threshold=options.scene_threshold,
                      failure=partial(frame_error, operator, what=what))
    restored = parallel_modify_frame(taps[radius], taps + cut_taps, restore)
    if restored.format.id == clip.format.id:
        return restored
    restorer = ResidualRestorer(clip, working, restored)
    corrected = clip.std.FrameEval(lambda n, f: restorer.restore(f.props), prop_src=[clip], clip_src=[restored])
    return corrected.std.CopyFrameProps(clip, props=list(COLOUR_PROPS))  # also drops what clip lacks


def _restore_frame(n: int, f: list[vs.VideoFrame], engine: DeblurEngine, radius: int, num_frames: int,
                   scene_change: bool, threshold: float,
                   failure: Callable[[int, Exception], vs.Error]) -> vs.VideoFrame:
    f = f if isinstance(f, list) else [f]  # ModifyFrame passes a lone frame when window=0 (one clip)
    taps, cut_taps = f[:2 * radius + 1], f[2 * radius + 1:]

    def cut_after(i: int) -> bool:
        k = i - n  # pair (i, i+1) is cut tap k + radius; frame i+1 is tap k + 1 + radius
        return scene_change and scene.is_cut(cut_taps[k + radius].props, taps[k + 1 + radius].props, threshold)

    indices = window_indices(n, radius, num_frames, cut_after)
    out = taps[radius].copy()
    try:
        engine.restore(indices, [taps[i - n + radius] for i in indices], out)
    except Exception as exc:
        raise failure(n, exc) from exc
    out.props[WINDOW_PROP] = indices
    return out
