"""Where a render's output range is split: at scene cuts (a chunk then starts a shot, so the motion of the pairs
next to its first frame is not needed by the chunk before it), and into pieces of at most ``chunk_frames``.
Every chunk renders the whole graph with vspipe's start/end, so temporal filters still see the frames outside
it and a chunk's frames are those of one long render, wherever the split falls."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import vapoursynth as vs

from ..engine import scene
from ..engine.timeline import Timeline


@dataclass(frozen=True)
class Chunk:
    index: int
    first: int  # output frame numbers, inclusive
    last: int

    @property
    def frames(self) -> int:
        return self.last - self.first + 1

    @property
    def name(self) -> str:
        return f"chunk-{self.index:05d}"


def source_cuts(source: vs.VideoNode, first: int, last: int) -> list[int]:
    """Pairs i (source frames i, i+1; first ≤ i < last) the project's detector calls a cut."""
    return [first + i for i, cut in enumerate(scene.detected_cuts(source[first:last + 1])) if cut]


def cut_frames(source: vs.VideoNode, ratio: Fraction | None, first: int, last: int) -> list[int]:
    """Output frames in (first, last] that start a new shot. ``ratio``: output frames per source frame of an
    interpolating operator, None where output frame n is source frame n."""
    timeline = Timeline(ratio, source.num_frames) if ratio is not None else None
    source_first = math.floor(first / ratio) if ratio else first
    source_last = min(source.num_frames - 1, math.ceil(last / ratio) if ratio else last)
    starts = [timeline.cut_boundary(i) if timeline else i + 1 for i in source_cuts(source, source_first, source_last)]
    return sorted(n for n in set(starts) if first < n <= last)


def plan(first: int, last: int, cuts: Sequence[int], chunk_frames: int) -> list[Chunk]:
    """Chunks covering output frames first..last: split at each cut, then into near-equal pieces of at most
    ``chunk_frames``."""
    edges = [first, *cuts, last + 1]
    chunks: list[Chunk] = []
    for begin, stop in itertools.pairwise(edges):
        pieces = math.ceil((stop - begin) / chunk_frames)
        bounds = [begin + (stop - begin) * k // pieces for k in range(pieces + 1)]
        for a, b in itertools.pairwise(bounds):
            chunks.append(Chunk(len(chunks), a, b - 1))
    return chunks
