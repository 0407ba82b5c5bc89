"""The VapourSynth-facing operators: validate, convert formats, build graphs, set props."""

from __future__ import annotations

from .interpolate import interpolate

__all__ = ["interpolate"]
