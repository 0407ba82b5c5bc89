"""Scene-cut detection between consecutive source frames.

``_SceneChangeNext`` on frame i or ``_SceneChangePrev`` on frame i+1 decide when present. Otherwise the
project's own detector: the mean absolute difference of the green (or gray) plane between frames i and i+1,
both downscaled to 1/8 size (so noise and small motion average out), above ``threshold`` (0–1 scale) is a cut.
"""

from __future__ import annotations

import vapoursynth as vs

from .color import to_working
from .timeline import shifted

DEFAULT_THRESHOLD = 0.12  # mean absolute difference, in units of the full signal range
DIFF_PROP = "SlowdeblurCutDiff"  # PlaneStats writes <prefix>Diff


def next_frames(clip: vs.VideoNode) -> vs.VideoNode:
    """Frame i of the result is frame i+1 of ``clip``; the last frame is repeated."""
    return shifted(clip, 1)


def pair_difference(working: vs.VideoNode) -> vs.VideoNode:
    """A small clip whose frame i carries frame i's props plus ``SlowdeblurCutDiff`` to frame i+1."""
    small = working.resize.Bilinear(max(working.width // 8, 8), max(working.height // 8, 8))
    plane = min(1, working.format.num_planes - 1)
    return small.std.PlaneStats(next_frames(small), plane=plane, prop=DIFF_PROP.removesuffix("Diff"))


def is_cut(left: vs.FrameProps, right: vs.FrameProps, threshold: float) -> bool:
    """Whether source frames i (``left`` props, with the detector's diff) and i+1 (``right``) straddle a cut.
    Scene-change props decide when either is present, and either one set marks a cut; else the detector."""
    if "_SceneChangeNext" in left or "_SceneChangePrev" in right:
        return bool(left.get("_SceneChangeNext", 0)) or bool(right.get("_SceneChangePrev", 0))
    return float(left[DIFF_PROP]) > threshold


def detected_cuts(clip: vs.VideoNode, threshold: float = DEFAULT_THRESHOLD) -> list[bool]:
    """Element i: the project's detector (props aside) sees a scene cut between frames i and i+1 of ``clip``."""
    differences = pair_difference(to_working(clip))
    return [float(frame.props[DIFF_PROP]) > threshold for frame in differences.frames()][:-1]
