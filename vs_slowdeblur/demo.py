"""The demo's contact sheet: blurry input | interpolation only | slowmo | real frame, for a few output frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import vapoursynth as vs
from PIL import Image

from .filters import interpolate, slowmo, synth_blur
from .samples import sample_path

SHOT = (137, 187)  # bikes.mp4 frames of one shot (cuts after frames 136 and 186), as in examples/demo.vpy
KEEP_EVERY = 4
COLUMNS = ("blurry input (6.25 fps)", "interpolate only", "slowmo", "real frame")


def _labelled_rgb(clip: vs.VideoNode, label: str) -> vs.VideoNode:
    half = clip.resize.Bicubic(clip.width // 2, clip.height // 2, format=vs.RGB24, matrix_in=vs.MATRIX_BT470_BG)
    return half.text.Text(label, alignment=7)


def contact_sheet(path: Path, output_frames: tuple[int, ...] = (20, 21, 22, 38)) -> Path:
    """Write a PNG with one row per output frame m (25 fps numbering) and the four columns of ``COLUMNS``:
    frame 20 shows a deblurred keyframe, 21 an in-between inside its exposure, 22 and 38 in-betweens in the
    gaps between exposures."""
    sharp = vs.core.bs.VideoSource(str(sample_path("bikes")))[SHOT[0]:SHOT[1]]
    blurry = synth_blur(sharp, KEEP_EVERY, duty=0.75)
    held = vs.core.std.Interleave([blurry] * KEEP_EVERY)  # each blurry frame shown for its 4 output slots
    columns = [held, interpolate(blurry, KEEP_EVERY), slowmo(blurry, KEEP_EVERY), sharp]
    sheet = vs.core.std.StackHorizontal([_labelled_rgb(c[:sharp.num_frames], label)
                                         for c, label in zip(columns, COLUMNS, strict=True)])
    rows = [np.stack([np.asarray(sheet.get_frame(m)[p]) for p in range(3)], axis=-1) for m in output_frames]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(path)
    return path
