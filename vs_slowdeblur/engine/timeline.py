"""Mapping between output frame numbers and source time for a rate change by a rational factor."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import vapoursynth as vs

MAX_CYCLE_OUTPUTS = 4096  # longest SelectEvery offsets list remap builds (about 10 ms to set up)


@dataclass(frozen=True)
class Timeline:
    """Output frame m shows source time m / factor (in source frames): pair (i, i+1) at fraction t."""

    factor: Fraction  # output frames per source frame, > 1
    source_length: int  # frames

    @property
    def output_length(self) -> int:
        """Frames; keeps the clip's duration (k·n for an integer factor k)."""
        return math.ceil(self.source_length * self.factor)

    def source_position(self, m: int) -> tuple[int, Fraction]:
        """(i, t): output frame m lies at fraction t ∈ [0, 1) of the way from source frame i to i+1."""
        time = m / self.factor
        index = math.floor(time)
        return index, time - index

    def is_last_of_source(self, m: int) -> bool:
        """Whether output frame m+1 belongs to a later source frame (where a scene cut would fall)."""
        return self.source_position(m + 1)[0] > self.source_position(m)[0]

    def cut_boundary(self, pair: int) -> int:
        """At a cut between source frames pair and pair+1, the first output frame that shows pair+1: in-betweens
        repeat the nearer source frame, so the first one at t ≥ ½ (or source frame pair+1 itself)."""
        return math.ceil(self.factor * (2 * pair + 1) / 2)

    def remap(self, clip: vs.VideoNode) -> vs.VideoNode:
        """A clip whose frame m is ``clip``'s frame i(m): frame-number arithmetic only, no pixels touched.

        With factor k/d, each cycle of d source frames gives k output frames, frame j of the cycle showing
        source frame ⌊j·d/k⌋ of it (one ``SelectEvery``, so no intermediate clip is k times as long). Its
        offsets list has k entries and its set-up time grows with k², so beyond ``MAX_CYCLE_OUTPUTS`` (odd
        ratios such as 100101/50000, from 60 fps out of a 1000000/33367 fps clip) frames are picked one by one.
        """
        cycle, outputs = self.factor.denominator, self.factor.numerator
        if cycle == 1:  # SelectEvery needs a cycle of 2 or more: take two source frames per cycle
            cycle, outputs = 2, 2 * outputs
        if outputs > MAX_CYCLE_OUTPUTS:
            frame_count = clip.std.BlankClip(length=self.output_length, keep=True)
            return frame_count.std.FrameEval(lambda n: clip[self.source_position(n)[0]])
        offsets = [j * cycle // outputs for j in range(outputs)]
        return clip.std.SelectEvery(cycle, offsets, modify_duration=False)[: self.output_length]


def shifted(clip: vs.VideoNode, offset: int) -> vs.VideoNode:
    """Frame n of the result is frame clamp(n + offset) of ``clip`` (the edge frames repeat)."""
    if offset == 0 or clip.num_frames == 1:
        return clip
    offset = max(-(clip.num_frames - 1), min(offset, clip.num_frames - 1))
    if offset > 0:
        return clip[offset:] + clip[-1] * offset
    return clip[0] * -offset + clip[:offset]
