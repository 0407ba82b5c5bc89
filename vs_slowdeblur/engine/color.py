"""Conversion between the user's format and the float RGB the models work in.

Frames go to RGBS (GRAYS for gray clips) with ``resize``; per-frame ``_Matrix``/``_Range``/``_Transfer``
props win, and these documented defaults apply where a YUV frame says nothing: matrix BT.709 for clips
taller than 576 lines, BT.601 (170m) otherwise; limited range. Those defaults decide the conversion only:
output frames state the colour props their source frame states. No linearisation: models see gamma-encoded RGB,
as they were trained.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import vapoursynth as vs

SD_MAX_HEIGHT = 576  # lines; at most this is treated as standard definition
COLOUR_PROPS = ("_Matrix", "_Transfer", "_Primaries", "_Range", "_ChromaLocation")


def default_matrix(height: int) -> vs.MatrixCoefficients:
    return vs.MATRIX_BT709 if height > SD_MAX_HEIGHT else vs.MATRIX_ST170_M


def working_format(clip: vs.VideoNode) -> vs.PresetVideoFormat:
    return vs.GRAYS if clip.format.color_family == vs.GRAY else vs.RGBS


def to_working(clip: vs.VideoNode) -> vs.VideoNode:
    """The clip in float RGB (or float gray); a clip already in that format is returned unchanged."""
    target = working_format(clip)
    if clip.format.id == target:
        return clip
    if clip.format.color_family == vs.YUV:
        return clip.resize.Bicubic(format=target, matrix_in=default_matrix(clip.height), range_in=vs.RANGE_LIMITED)
    return clip.resize.Bicubic(format=target)


def copy_colour_props(props: vs.FrameProps, source: vs.FrameProps) -> None:
    """Give a converted frame's ``props`` the colour description that source frame ``source`` states.

    The conversion back fills in what the source leaves unspecified (the matrix by height, limited range);
    the output must not claim more than its input did, so such props are removed again.
    """
    for key in COLOUR_PROPS:
        if key in source:
            props[key] = source[key]
        elif key in props:
            del props[key]


class NodesByColour:
    """Nodes built once per colour description key and shared by every worker thread."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, ...], vs.VideoNode] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[int, ...], build: Callable[[], vs.VideoNode]) -> vs.VideoNode:
        with self._lock:
            node = self._nodes.get(key)
            if node is None:
                node = self._nodes[key] = build()
        return node


class FormatRestorer:
    """Converts a working-format clip back to the source format, one resize node per colour description."""

    def __init__(self, working: vs.VideoNode, source_format: vs.VideoFormat) -> None:
        self.working = working
        self.source_format = source_format
        self._nodes = NodesByColour()

    def colour_of(self, props: vs.FrameProps) -> tuple[int, int]:
        """(matrix, range) of a source frame, with the module's defaults for unspecified values."""
        matrix = int(props.get("_Matrix", vs.MATRIX_UNSPECIFIED))
        if matrix in (vs.MATRIX_UNSPECIFIED, vs.MATRIX_RGB):
            matrix = default_matrix(self.working.height)
        return matrix, int(props.get("_Range", vs.RANGE_LIMITED))

    def key_of(self, props: vs.FrameProps) -> tuple[int, int, int]:
        """The colour description that decides the conversion: (matrix, range, chroma location) for YUV, else
        (0, 0, 0). The chroma location (resize's default, left, when unstated) places subsampled chroma as
        ``to_working`` read it, which the frame's own ``_ChromaLocation`` decided."""
        if self.source_format.color_family != vs.YUV:
            return 0, 0, 0
        return *self.colour_of(props), int(props.get("_ChromaLocation", vs.CHROMA_LEFT))

    def restore(self, props: vs.FrameProps) -> vs.VideoNode:
        """The working clip in the source format, with the colour description of source frame ``props``."""
        if self.working.format.id == self.source_format.id:
            return self.working
        key = self.key_of(props)
        if self.source_format.color_family == vs.YUV:
            return self._nodes.get(key, lambda: self.working.resize.Bicubic(
                format=self.source_format.id, matrix=key[0], range=key[1], chromaloc=key[2]))
        return self._nodes.get(key, lambda: self.working.resize.Bicubic(format=self.source_format.id))


def float_twin(source_format: vs.VideoFormat) -> vs.VideoFormat:
    """The 32-bit float format with the same colour family and chroma subsampling as ``source_format``."""
    return vs.core.query_video_format(source_format.color_family, vs.FLOAT, 32, source_format.subsampling_w,
                                      source_format.subsampling_h)


class ResidualRestorer:
    """Returns a restored working-format clip to the source format as a correction of the source pixels:
    ``source + (restored − working)``, the difference converted to the source format in float (the
    conversion is linear there, so only the difference needs converting).

    A frame the model leaves unchanged comes back bit-exact, and a small correction costs no chroma
    re-subsampling or requantisation of the whole frame (a plain RGB → YUV 4:2:0 8-bit round trip costs
    0.4–1.6 dB on frames above 40 dB PSNR).
    """

    def __init__(self, source: vs.VideoNode, working: vs.VideoNode, restored: vs.VideoNode) -> None:
        self.source = source
        # The restored clip goes first: its frame props (the operator's own included) are the output's.
        self.difference = FormatRestorer(vs.core.std.Expr([restored, working], "x y -"), float_twin(source.format))
        self._nodes = NodesByColour()

    def restore(self, props: vs.FrameProps) -> vs.VideoNode:
        """The corrected source clip for a source frame with colour description ``props``."""
        key = self.difference.key_of(props)
        return self._nodes.get(key, lambda: self._corrected(props, key[1]))

    def _corrected(self, props: vs.FrameProps, colour_range: int) -> vs.VideoNode:
        twin = self.difference.source_format
        resize = {"range_in": colour_range, "range": colour_range} if twin.color_family == vs.YUV else {}
        source = self.source.resize.Point(format=twin.id, **resize)
        corrected = vs.core.std.Expr([self.difference.restore(props), source], "x y +")
        return corrected.resize.Point(format=self.source.format.id, **resize)
