"""Pair motion as work VapourSynth schedules, so that every worker thread has a network pass to run.

At factor 4 the three in-betweens of a pair all wait on that pair's one network pass; with vspipe keeping as many
frames in flight as it has threads, the other threads would wait too. Here each pair's motion is computed by
the frame of a one-pixel *marker* clip (frame i: pair (i, i+1) estimated into the engine's cache), and a frame
that needs pair motion also depends on the markers of every pair its *group* of neighbouring frames needs. The
pairs of a group are requested together, so VapourSynth runs them on as many threads as the group has pairs.

``slowmo`` chains three such stages (the blurry pairs' motion, the restorations, the restored pairs' motion), and
``grouped`` makes the restorations a group at a time too. The restorations' groups (and their motion's) start one
frame after the restored pairs' groups, so that each group of a stage needs only finished groups of the stage
before it, and every stage has a whole group's work for the threads at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import vapoursynth as vs

from ..engine.interpolation import InterpolationEngine
from ..engine.timeline import shifted
from ._graph import parallel_modify_frame

CutAfter = Callable[[int, vs.FrameProps, vs.FrameProps], bool]  # (pair, frame i's diff props, frame i+1's props)
PAIR_CHANNELS = 11  # a cached pair holds two RGB frames, a 4-channel flow and a 1-channel mask (float32)


def group_size(engine: InterpolationEngine, width: int, height: int) -> int:
    """Pairs estimated together: one per VapourSynth worker thread, as many as half the engine's cache holds
    (more would evict a pair before its frames use it)."""
    pair_bytes = PAIR_CHANNELS * 4 * width * height
    return max(1, min(vs.core.num_threads, engine.cache.max_bytes // (2 * pair_bytes)))


def motion_markers(motion_frames: vs.VideoNode, engine: InterpolationEngine, differences: vs.VideoNode,
                   following: vs.VideoNode, cut_after: CutAfter) -> vs.VideoNode:
    """One-pixel clip whose frame i is ready once pair (i, i+1) of ``motion_frames`` (working format) is in
    ``engine``'s cache. Nothing is estimated for the last frame or across a cut (``cut_after`` on frame i's
    ``differences`` props and ``following`` frame i+1's props). A failing estimate is left to the frame that needs
    it: that frame estimates again and reports the error as its own."""
    last = motion_frames.num_frames - 1
    marker = motion_frames.std.BlankClip(format=vs.GRAY8, width=1, height=1, keep=True)
    following_motion = shifted(motion_frames, 1)

    def estimate(n: int, f: list[vs.VideoFrame]) -> vs.VideoFrame:
        if n < last and not cut_after(n, f[3].props, f[4].props):
            with contextlib.suppress(Exception):  # the frame that needs this pair raises it with its own number
                engine.prefetch(n, f[1], f[2])
        return f[0]

    return parallel_modify_frame(marker, [marker, motion_frames, following_motion, differences, following],
                                 estimate)


def group_dependencies(markers: vs.VideoNode, group: int, first_pair: int = 0, last_pair: int = 0, phase: int = 0
                       ) -> list[vs.VideoNode]:
    """Clips to add to a filter's dependencies: frame i of frames g … g+group−1 (g = i − (i − phase) mod group),
    which needs pairs i+first_pair … i+last_pair, depends on the markers of all pairs the whole group needs."""
    length = markers.num_frames
    clips = []
    for offset in range(first_pair, group + last_pair):
        pairs = shifted(markers, phase + offset)
        starts = pairs if group == 1 else pairs.std.SelectEvery(group, [0] * group, modify_duration=False)
        clips.append(shifted(starts, -phase)[:length])
    return clips


def grouped(clip: vs.VideoNode, group: int, phase: int = 0) -> vs.VideoNode:
    """``clip`` whose frame i is returned once all frames g … g+group−1 of it are ready (g = i − (i − phase) mod
    group; a frame before the first group waits for the first): requesting one frame of a group requests the
    whole group, which VapourSynth runs on as many threads."""
    if group == 1:
        return clip
    return clip.std.ModifyFrame([clip, *group_dependencies(clip, group, phase=phase)], lambda n, f: f[0])
