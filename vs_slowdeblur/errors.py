"""Error helpers: every message names the public operator, the parameter, the bad value and the fix."""

from __future__ import annotations

import vapoursynth as vs


class FetchError(RuntimeError):
    """A model weight file or sample clip could not be downloaded, extracted or verified."""


def operator_error(operator: str, message: str) -> vs.Error:
    """A ``vs.Error`` whose text starts with the public operator's name, e.g. ``(interpolate) factor …``."""
    return vs.Error(f"({operator}) {message}")


def frame_error(operator: str, n: int, exc: Exception, what: str = "frame") -> vs.Error:
    """The operator's error for an exception raised while computing output frame ``n`` in a callback
    (``what``: how the message names it, e.g. "source frame" for a keyframe slowmo deblurs first)."""
    return operator_error(operator, f"{what} {n}: {type(exc).__name__}: {exc}")
