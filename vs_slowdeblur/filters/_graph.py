"""Graph-building helpers shared by the operators."""

from __future__ import annotations

from collections.abc import Callable

import vapoursynth as vs


def parallel_modify_frame(
    base: vs.VideoNode, clips: list[vs.VideoNode], selector: Callable[[int, list[vs.VideoFrame]], vs.VideoFrame]
) -> vs.VideoNode:
    """``ModifyFrame(clips, selector)`` whose callbacks run in parallel.

    A bare ``ModifyFrame`` callback is serialised; wrapped in ``FrameEval`` (one node per requested frame),
    callbacks for different frames run on different worker threads. ``selector`` always gets a list, also for
    one clip (where ``ModifyFrame`` itself passes the bare frame).
    """

    def as_list(n: int, f: vs.VideoFrame | list[vs.VideoFrame]) -> vs.VideoFrame:
        return selector(n, f if isinstance(f, list) else [f])

    return base.std.FrameEval(lambda n: base.std.ModifyFrame(clips, as_list), clip_src=clips)
