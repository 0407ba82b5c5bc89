"""Operator options: preset YAML files validated against a schema, then explicit keyword overrides.

A preset is a shipped name (``python -m vs_slowdeblur presets`` lists them) or a path to a user YAML file.
Files are read with YAML's safe loader only, which here also refuses a key given twice.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
import os
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .engine.scene import DEFAULT_THRESHOLD
from .engine.tiling import DEFAULT_TILE


@dataclass(frozen=True)
class Options:
    """Every tunable of the operators; the defaults are the ``balanced`` behaviour."""

    model: str = "rife-hdv3"  # interpolation model (see `python -m vs_slowdeblur models`)
    timing: str = "one-pass"  # "one-pass": re-time one flow per pair; "exact": recursive bisection
    model_scale: float = 1.0  # flow estimated at this fraction of the frame size (0.5 for 4K)
    scene_threshold: float = DEFAULT_THRESHOLD  # cut detector threshold, mean abs difference (0–1)
    cache_bytes: int = 512 * 2**20  # bytes of per-pair motion (interpolation) / frame encodings (deblur) kept
    threads: int = 1  # torch CPU threads per VapourSynth callback
    streams: int = 2  # CUDA streams per operator: frames whose network passes overlap on one GPU
    device: str | list[str] | None = None  # "cpu", "cuda", "cuda:N" or a list of them; None = CUDA if available
    precision: str = "auto"  # "auto" (bf16 on CPUs that have it, else fp32), "fp32", "fp16" (CUDA) or "bf16"
    deblur: bool = True  # slowmo: deblur keyframes before interpolating (False = interpolate only)
    deblur_model: str = "motion-deblur"  # deblurring model (see `python -m vs_slowdeblur models`)
    window: int = 1  # deblur window radius in frames: 2·window + 1 blurry frames restore the centre one
    exposure: float | str = 0.75  # motion-deblur: fraction of the frame interval the shutter is open (0.5 = 180°),
    # or "auto" (estimated from the votes of the frames around each one in its shot)
    tile: int = 0  # process frames in tiles of this many pixels (square, with overlap); 0 = whole frames
    tile_overlap: int = 128  # pixels shared by neighbouring tiles, blended linearly (64 lost 0.7 dB at 512)


def _choice(*allowed: Any):
    def check(value: Any) -> str | None:
        return None if not isinstance(value, bool) and value in allowed else f"one of {list(allowed)}"
    return check


def is_finite_real(value: Any, *, integer: bool = False) -> bool:
    """A finite real number, Python's or NumPy's, not a bool; an integer too with ``integer``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral if integer else numbers.Real):
        return False
    if isinstance(value, numbers.Integral):  # any size (math.isfinite(10**400) raises OverflowError)
        return True
    try:
        return math.isfinite(value)
    except OverflowError:  # a Fraction too large for a float
        return False


def plain(value: Any) -> Any:
    """NumPy integers and floats as Python's int and float; anything else unchanged."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return value
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _number(low: float, high: float, *, integer: bool = False):
    def check(value: Any) -> str | None:
        if not is_finite_real(value, integer=integer):
            return f"{'an integer' if integer else 'a number'} in [{low}, {high}]"
        return None if low <= value <= high else f"in [{low}, {high}]"
    return check


def _is_device_name(value: Any) -> bool:
    return isinstance(value, str) and (value in ("cpu", "cuda") or value.startswith("cuda:"))


def _device(value: Any) -> str | None:
    if value is None or _is_device_name(value):
        return None
    if isinstance(value, list) and value and all(_is_device_name(item) for item in value):
        return None
    return "'cpu', 'cuda' or 'cuda:N' (or a non-empty list of them), or None (null in a preset file)"


def _exposure(value: Any) -> str | None:
    ok = value == "auto" or (is_finite_real(value) and 0 < value <= 1)
    return None if ok else ("a number in (0, 1], the fraction of the frame interval the shutter is open "
                            "(0.5 = 180°), or 'auto'")


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "true or false"


SCHEMA = {
    "model": _choice("rife-hdv3"),
    "timing": _choice("one-pass", "exact"),
    "model_scale": _choice(0.25, 0.5, 1.0, 2.0),
    "scene_threshold": _number(0.0, 1.0),
    "cache_bytes": _number(0, 2**40, integer=True),
    "threads": _number(1, 256, integer=True),
    "streams": _number(1, 64, integer=True),
    "device": _device,
    "precision": _choice("auto", "fp32", "fp16", "bf16"),
    "deblur": _boolean,
    "deblur_model": _choice("motion-deblur", "window-deblur"),
    "window": _number(0, 3, integer=True),
    "exposure": _exposure,
    "tile": _number(0, 65536, integer=True),
    "tile_overlap": _number(0, 1024, integer=True),
}

# Keys only one engine reads; an operator that runs without it refuses them as keywords (never from a preset,
# which serves every operator). ``deblur`` is slowmo's switch, ``scene_threshold`` needs scene_change on.
INTERPOLATION_KEYS = ("model", "timing", "model_scale", "tile", "tile_overlap")
DEBLUR_KEYS = ("deblur_model", "window", "exposure")


def preset_names() -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in resources.files("vs_slowdeblur.presets").iterdir()
                  if p.name.endswith(".yaml"))


def preset_text(name: str) -> str:
    return resources.files("vs_slowdeblur.presets").joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def split_key_documentation(text: str) -> tuple[str, str]:
    """(the "# Keys" comment block every shipped preset carries, the preset's text without it)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith("# Keys")), len(lines))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("#")), len(lines))
    return "".join(lines[start:end]), "".join(lines[:start] + lines[end:])


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, first_line: int, second_line: int) -> None:
        super().__init__(f"{key!r} appears on lines {first_line} and {second_line}")
        self.key, self.first_line, self.second_line = key, first_line, second_line


class _UniqueKeyLoader(yaml.SafeLoader):
    """The safe loader, refusing a key given twice in one mapping (``safe_load`` silently keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # '<<' merges may be overridden, as YAML intends
                continue
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):  # the base loader reports it
                continue
            line = key_node.start_mark.line + 1
            if key in lines:
                raise _DuplicateKey(key, lines[key], line)
            lines[key] = line
        return super().construct_mapping(node, deep)


def _load(text: str, origin: str) -> Any:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except _DuplicateKey as exc:
        raise ValueError(f"{origin} sets {exc.key!r} twice (lines {exc.first_line} and {exc.second_line}); "
                         f"keep one of them") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{origin} is not valid YAML: {exc}") from None


def _read_preset(preset: str) -> tuple[str, Any]:
    if preset in preset_names():
        origin = f"preset {preset!r}"
        return origin, _load(preset_text(preset), origin)
    path = Path(preset).expanduser()
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise ValueError(f"preset must be one of {preset_names()} or a path to a YAML file, got {preset!r}")
    if not path.is_file():
        raise ValueError(f"preset file {str(path)!r} was not found (preset names: {preset_names()})")
    origin = f"preset file {str(path)!r}"
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{origin} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise ValueError(f"{origin} cannot be read: {exc}") from None
    return origin, _load(text, origin)


def validate(values: dict[str, Any], origin: str, offered: Iterable[str] | None = None,
             parameters: Iterable[str] = ()) -> dict[str, Any]:
    """Check every key and value; errors name the origin (preset), the key, the value and what is allowed.
    ``offered``: the keys an unknown key's error lists (default: all; an operator leaves out those it refuses).
    ``parameters``: the operator's own parameters, which an unknown keyword may be a misspelling of too.
    Returns the values with NumPy numbers as Python's."""
    prefix = f"{origin}: " if origin else ""
    valid, parameters = sorted(SCHEMA if offered is None else offered), list(parameters)
    for key, value in values.items():
        check = SCHEMA.get(key)
        if check is None:
            close = difflib.get_close_matches(str(key), valid + parameters, n=1)
            kind = "the parameter " if close and close[0] not in valid else ""
            hint = f" (did you mean {kind}{close[0]!r}?)" if close else ""
            raise ValueError(f"{prefix}unknown key {key!r}{hint}; valid keys are {valid}")
        allowed = check(value)
        if allowed is not None:
            raise ValueError(f"{prefix}{key} must be {allowed}, got {value!r}")
    return {key: plain(value) for key, value in values.items()}


def keyword_keys(refused: Iterable[str]) -> list[str]:
    """The option keys an operator takes as keywords: all but those it ``refused``."""
    refused = set(refused)
    return [key for key in SCHEMA if key not in refused]


def resolve_options(preset: str | os.PathLike[str] | None, overrides: dict[str, Any],
                    offered: Iterable[str] | None = None, parameters: Iterable[str] = ()) -> Options:
    """Defaults, then the preset's values, then explicit keyword arguments (which win). ``offered``: the keys
    an unknown keyword's error lists (default: all); ``parameters``: the operator's own (see ``validate``)."""
    values: dict[str, Any] = {}
    if preset is not None:
        if isinstance(preset, os.PathLike):
            preset = os.fspath(preset)
        if not isinstance(preset, str):
            raise ValueError(f"preset must be a preset name or a YAML path, got {preset!r}")
        origin, loaded = _read_preset(preset)
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{origin} must be a mapping of keys to values, got {type(loaded).__name__}")
        values.update(validate(loaded, origin))
    explicit = {key: value for key, value in overrides.items() if value is not None}
    values.update(validate(explicit, "", offered, parameters))
    tile, overlap = values.get("tile", Options.tile), values.get("tile_overlap", Options.tile_overlap)
    if tile and overlap * 2 >= tile:
        raise ValueError(f"tile_overlap must be less than half of tile, got tile={tile}, tile_overlap={overlap}; "
                         f"raise tile or lower tile_overlap")
    if not tile and overlap * 2 >= DEFAULT_TILE:  # tile=0 still tiles at DEFAULT_TILE after an out-of-memory error
        raise ValueError(f"tile_overlap must be less than half of the {DEFAULT_TILE}-pixel tile that tile=0 falls "
                         f"back to after an out-of-memory error, got tile_overlap={overlap}; lower tile_overlap")
    if "model_scale" in values:
        values["model_scale"] = float(values["model_scale"])
    return dataclasses.replace(Options(), **values)
