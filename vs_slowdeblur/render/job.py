"""What one render is: the input, the operator and its options, the output range and the encode. Saved as JSON
in the work folder, where each chunk's vspipe script reads it back, so every process builds the same graph."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..filters.extract import DEFAULT_COUNT

OPERATORS = ("slowmo", "interpolate", "deblur", "extract")
CODECS = {  # codec → (ffmpeg encoder, pixel formats it takes from y4m, fallback, extensions)
    "ffv1": ("ffv1", None, None, (".mkv",)),
    "x264": ("libx264", ("yuv420p", "yuv422p", "yuv444p", "yuv420p10le", "yuv422p10le", "yuv444p10le", "gray",
                         "gray10le"), "yuv420p10le", (".mkv", ".mp4", ".mov")),
    "x265": ("libx265", ("yuv420p", "yuv422p", "yuv444p", "yuv420p10le", "yuv422p10le", "yuv444p10le",
                         "yuv420p12le", "yuv422p12le", "yuv444p12le", "gray", "gray10le", "gray12le"),
             "yuv420p10le", (".mkv", ".mp4", ".mov")),
    "prores": ("prores_ks", ("yuv422p10le", "yuv444p10le"), "yuv422p10le", (".mov", ".mkv")),
}
DEFAULT_CRF = {"x264": 18, "x265": 20}


@dataclass(frozen=True)
class Job:
    """One render. ``start``/``end``: output frame numbers of the whole result, end inclusive (None: the ends).
    ``factor``/``fps`` as the operators take them (a fraction as "num/den" text); ``options``: preset keys."""

    input: str
    output: str
    op: str | None = "slowmo"  # None for a .vpy input (its output 0 is rendered as it is)
    factor: str | None = None
    fps: str | None = None
    preset: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    start: int | None = None
    end: int | None = None
    codec: str = "ffv1"
    crf: int | None = None
    threads: int = 1  # VapourSynth threads per chunk process

    @property
    def is_script(self) -> bool:
        return Path(self.input).suffix.lower() == ".vpy"

    def count(self) -> int:
        """extract's frames per source frame: ``factor`` (default extract's), checked to be whole by ``job_of``."""
        return int(Fraction(self.factor or DEFAULT_COUNT))

    def rate(self) -> dict[str, Fraction]:
        """The operator's rate keyword: factor= or fps= as a Fraction (slowmo/interpolate default: factor 2)."""
        if self.fps is not None:
            return {"fps": Fraction(self.fps)}
        return {"factor": Fraction(self.factor or 2)}

    def key(self) -> str:
        """What the chunks' pixels depend on (not the range, the encode or the threads): a finished chunk of
        a work folder with the same key is reused by a rerun."""
        pixels = {name: getattr(self, name) for name in ("input", "op", "factor", "fps", "preset", "options")}
        pixels["input"] = str(Path(self.input).resolve())
        return hashlib.sha256(json.dumps(pixels, sort_keys=True).encode()).hexdigest()[:16]

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(dataclasses.asdict(self), indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Job:
        return cls(**json.loads(path.read_text(encoding="utf-8")))
