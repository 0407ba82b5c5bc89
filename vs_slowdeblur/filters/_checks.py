"""Argument validation shared by the operators. Every error names the operator, the parameter, the bad value
and the fix; all checks run before any graph is built."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

import vapoursynth as vs

from ..engine.timeline import Timeline
from ..errors import operator_error
from ..options import is_finite_real

MAX_DIMENSION = 16384  # pixels; larger frames are refused before any memory is allocated
# A factor is reduced to a fraction with at most this denominator (every ratio between integer and n/1001 rates up
# to 120000/1001 is exact: 59.94 → 144 fps is 3003/1250; only odd decimals are approximated). A target fps is
# never approximated: the output runs at exactly that rate, however long the ratio's cycle.
MAX_FACTOR_DENOMINATOR = 120000
MAX_FACTOR = 256
MAX_FRAMES = 2**31 - 1  # VapourSynth's limit on a clip's length


def check_clip(operator: str, clip: Any, name: str = "clip") -> vs.VideoNode:
    """A constant-format, constant-size video clip with 8–16-bit integer or 16/32-bit float samples.

    ``name`` is the parameter the clip was passed as (``clip``, ``reference``), for the error messages.
    """
    if not isinstance(clip, vs.VideoNode):
        raise operator_error(operator, f"{name} must be a vs.VideoNode, got {type(clip).__name__}")
    fmt = clip.format
    if fmt is None or fmt.id == vs.NONE:
        raise operator_error(operator, f"{name} has a variable format; convert it to one format first "
                                       "(e.g. clip.resize.Bicubic(format=vs.YUV420P8))")
    if clip.width == 0 or clip.height == 0:
        raise operator_error(operator, f"{name} has a variable frame size ({clip.width}x{clip.height}); "
                                       "resize it to one size first")
    if max(clip.width, clip.height) > MAX_DIMENSION:
        raise operator_error(operator, f"{name} is {clip.width}x{clip.height}; frames larger than "
                                       f"{MAX_DIMENSION} pixels on a side are not supported, downscale first")
    if fmt.color_family not in (vs.GRAY, vs.YUV, vs.RGB):
        raise operator_error(operator, f"{name} format {fmt.name} is not GRAY, YUV or RGB")
    integer_ok = fmt.sample_type == vs.INTEGER and 8 <= fmt.bits_per_sample <= 16
    float_ok = fmt.sample_type == vs.FLOAT and fmt.bits_per_sample in (16, 32)
    if not (integer_ok or float_ok):
        raise operator_error(operator, f"{name} format {fmt.name} ({fmt.bits_per_sample}-bit) is not supported; "
                                       f"use 8–16-bit integer or 16/32-bit float samples")
    return clip


def check_bool(operator: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise operator_error(operator, f"{name} must be True or False, got {value!r}")
    return value


def refuse_unused(operator: str, explicit: Mapping[str, Any], unused: Iterable[str], why: str) -> None:
    """Refuse an option in ``unused`` that was passed as a keyword (not None): ``operator`` would ignore it.
    ``why`` says why it has no effect and what to do. Keys from a preset never come here."""
    for name in unused:
        if explicit.get(name) is not None:
            raise operator_error(operator, f"{name}={explicit[name]!r} has no effect: {why}")


def check_scene_change(operator: str, scene_change: Any, explicit: Mapping[str, Any]) -> bool:
    """``scene_change`` as a bool; with it off, a ``scene_threshold`` keyword is refused (no detector runs)."""
    check_bool(operator, "scene_change", scene_change)
    if not scene_change:
        refuse_unused(operator, explicit, ["scene_threshold"],
                      "scene_change=False turns cut detection off; leave one of them out")
    return scene_change


def check_integer(operator: str, name: str, value: Any, low: int, high: int) -> int:
    """An integer (Python's or NumPy's) in [low, high], as Python's int."""
    if not is_finite_real(value, integer=True) or not low <= value <= high:
        raise operator_error(operator, f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return int(value)


def check_number(operator: str, name: str, value: Any, low: float, high: float, *, low_open: bool = False) -> float:
    """A finite number in [low, high] (or (low, high] with ``low_open``)."""
    bracket = "(" if low_open else "["
    valid = is_finite_real(value) and (low < value if low_open else low <= value) and value <= high
    if not valid:
        raise operator_error(operator, f"{name} must be a number in {bracket}{low}, {high}], got {value!r}")
    return float(value)


def _as_fraction(operator: str, name: str, value: Any) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise operator_error(operator, f"{name} must be a number or a Fraction, got {value!r}")
    if isinstance(value, numbers.Integral):  # also NumPy's integers
        return Fraction(int(value))
    if isinstance(value, numbers.Rational):
        return Fraction(value)
    if not math.isfinite(value):
        raise operator_error(operator, f"{name} must be finite, got {value!r}")
    # The shortest decimal that reads back as the value, i.e. as typed (143.8 → 719/5, NumPy's
    # float32(59.94) → 2997/50), not its binary value.
    return Fraction(str(value))


def _ntsc_rate(fps: Fraction) -> Fraction | None:
    """n·1000/1001 when ``fps`` is within 0.001 of it (29.97 → 30000/1001, as 29.97 is meant), else None."""
    rate = Fraction(round(fps * Fraction(1001, 1000)) * 1000, 1001)
    return rate if rate.denominator == 1001 and abs(fps - rate) < Fraction(1, 1000) else None


def output_factor(operator: str, clip: vs.VideoNode, factor: Any, fps: Any) -> Fraction:
    """Output frames per source frame, from ``factor`` or a target ``fps`` (which wins when given)."""
    if fps is not None:
        target = _as_fraction(operator, "fps", fps)
        if isinstance(fps, float):  # a decimal rate as typed; an exact Fraction is taken as given
            target = _ntsc_rate(target) or target
        if clip.fps == 0:
            raise operator_error(operator, f"fps= needs a constant-frame-rate clip, but this clip is VFR "
                                           f"(fps 0), got fps={fps}; use an integer factor, or AssumeFPS first")
        ratio = target / Fraction(clip.fps.numerator, clip.fps.denominator)
        if ratio <= 1:
            raise operator_error(operator, f"fps must be above the clip's {clip.fps} fps, got {fps}; "
                                           f"interpolation only raises the frame rate")
        return _bounded(operator, clip, "fps", fps, ratio, exact=True)
    ratio = _as_fraction(operator, "factor", factor)
    if ratio <= 1:
        raise operator_error(operator, f"factor must be > 1, got {factor}; use e.g. factor=2 for double rate")
    if clip.fps == 0 and ratio.denominator != 1:
        raise operator_error(operator, f"a VFR clip (fps 0) needs an integer factor, got {factor}")
    return _bounded(operator, clip, "factor", factor, ratio)


def _bounded(operator: str, clip: vs.VideoNode, name: str, value: Any, ratio: Fraction,
             exact: bool = False) -> Fraction:
    if ratio > MAX_FACTOR:
        raise operator_error(operator, f"{name}={value} asks for {float(ratio):.4g}x the frame rate; "
                                       f"at most {MAX_FACTOR}x is supported")
    limited = ratio if exact else ratio.limit_denominator(MAX_FACTOR_DENOMINATOR)
    if limited <= 1:
        raise operator_error(operator, f"{name}={value} is too close to the clip's own rate to interpolate")
    frames = Timeline(limited, clip.num_frames).output_length
    if frames > MAX_FRAMES:
        raise operator_error(operator, f"{name}={value} would give {frames} frames from {clip.num_frames}, more "
                                       f"than VapourSynth's {MAX_FRAMES}; split the clip with std.Trim")
    return limited
