"""vs_slowdeblur: sharp slow motion for VapourSynth — frame interpolation at any rate and motion deblurring.

Example (.vpy)::

    import vs_slowdeblur
    clip = vs_slowdeblur.interpolate(clip, factor=4)
"""

from __future__ import annotations

from .filters import deblur, extract, interpolate, metrics, slowmo, synth_blur
from .options import Options, preset_names

__all__ = ["Options", "deblur", "extract", "interpolate", "metrics", "preset_names", "slowmo", "synth_blur"]
__version__ = "0.1.0"
