"""Groups of frames requested together (filters/_prefetch.py), and slowmo's stages grouped in step."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import vapoursynth as vs

import vs_slowdeblur
from vs_slowdeblur.engine.motion_deblur import MotionDeblurEngine
from vs_slowdeblur.filters._prefetch import group_dependencies, grouped

core = vs.core


def _recording(length: int) -> tuple[vs.VideoNode, set[int]]:
    """A clip of ``length`` tiny frames, each stating its number in prop ``Frame``, and the set of frame numbers
    that were requested from it."""
    requested: set[int] = set()
    lock = threading.Lock()
    base = core.std.BlankClip(width=8, height=8, format=vs.GRAY8, length=length)

    def record(n: int, f: vs.VideoFrame) -> vs.VideoFrame:
        with lock:
            requested.add(n)
        out = f.copy()
        out.props["Frame"] = n
        return out

    return base.std.ModifyFrame(base, record), requested


@pytest.mark.parametrize(("phase", "frame", "group"), [(0, 5, {3, 4, 5}), (1, 5, {4, 5, 6}), (1, 4, {4, 5, 6}),
                                                       (1, 9, {7, 8, 9}), (2, 1, {2, 3, 4, 1})])
def test_grouped_frame_waits_for_its_whole_group(phase: int, frame: int, group: set[int]) -> None:
    """Groups of 3 start at the frames ≡ phase (mod 3); a frame before the first group waits for the first."""
    clip, requested = _recording(10)
    out = grouped(clip, 3, phase)
    assert out.get_frame(frame).props["Frame"] == frame
    assert requested == group


def test_group_dependencies_cover_the_pairs_of_the_whole_group() -> None:
    """Frames 3 and 4 form a group at phase 1; needing pairs i−1 … i, the group needs pairs 2, 3 and 4."""
    markers, requested = _recording(10)
    base = core.std.BlankClip(width=8, height=8, format=vs.GRAY8, length=10)
    waiting = base.std.ModifyFrame([base, *group_dependencies(markers, 2, -1, 0, phase=1)], lambda n, f: f[0])
    waiting.get_frame(4)
    assert requested == {2, 3, 4}


@pytest.mark.usefixtures("restore_threads")
@pytest.mark.parametrize("output_frame", [4 * 3, 4 * 2 + 1, 4 * 4 + 3])
def test_slowmo_restores_a_group_at_a_time_one_frame_after_the_in_betweens(
        bikes_small: vs.VideoNode, monkeypatch: pytest.MonkeyPatch, output_frame: int) -> None:
    """With 2 threads the in-betweens' pairs go in groups {0, 1}, {2, 3}, …, and the restorations in groups one
    frame later, {1, 2}, {3, 4}, …: whatever an output frame needs, whole groups of those are restored."""
    restored: set[int] = set()
    restore = MotionDeblurEngine.restore

    def recording(self: MotionDeblurEngine, indices: list[int], *args: Any, **kwargs: Any) -> Any:
        restored.add(indices[1])
        return restore(self, indices, *args, **kwargs)

    monkeypatch.setattr(MotionDeblurEngine, "restore", recording)
    core.num_threads = 2
    clip = vs_slowdeblur.slowmo(bikes_small[:10].resize.Bicubic(96, 48), 4)
    clip.get_frame(output_frame)
    assert output_frame // 4 in restored
    partners = {n + 1 if n % 2 else n - 1 for n in restored if n > 0}  # the other frame of n's group
    assert partners <= restored | {10}, (sorted(restored), sorted(partners - restored))
