"""The VapourSynth-facing operators: validate, convert formats, build graphs, set props."""

from __future__ import annotations

from .deblur import deblur
from .extract import extract
from .interpolate import interpolate
from .metrics import metrics
from .slowmo import slowmo
from .synth_blur import synth_blur

__all__ = ["deblur", "extract", "interpolate", "metrics", "slowmo", "synth_blur"]
