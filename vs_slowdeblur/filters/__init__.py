"""The VapourSynth-facing operators: validate, convert formats, build graphs, set props."""

from __future__ import annotations

from .interpolate import interpolate
from .metrics import metrics
from .synth_blur import synth_blur

__all__ = ["interpolate", "metrics", "synth_blur"]
