"""deblur with model="window-deblur" (the previous default, learned alignment across a window): its contract
(length, rate, format, props), its windows, its weights, and a real gain on held-out blurry frames."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest
import vapoursynth as vs
from conftest import planes, psnr

import vs_slowdeblur
from vs_slowdeblur.engine.deblur import window_indices
from vs_slowdeblur.filters.deblur import WINDOW_PROP
from vs_slowdeblur.models.registry import builtin_weights_path, get_spec
from vs_slowdeblur.wheelfetch import sha256_of

core = vs.core


def test_weights_are_committed_with_their_hash_and_metadata() -> None:
    spec = get_spec("window-deblur")
    assert spec.weights is None and spec.weights_path == builtin_weights_path("window-deblur")
    assert sha256_of(spec.weights_path) == spec.sha256
    metadata = json.loads(spec.weights_path.with_suffix(".json").read_text())
    assert metadata["sha256"] == spec.sha256
    assert metadata["parameters"] * 4 <= 20 * 2**20  # ≤ 20 MB in fp32
    assert metadata["validation"]["validation_psnr"] > metadata["validation"]["validation_blurry_psnr"]


@pytest.mark.parametrize(("centre", "cuts", "expected"), [
    (5, set(), [4, 5, 6]),
    (0, set(), [0, 0, 1]),
    (9, set(), [8, 9, 9]),
    (5, {5}, [4, 5, 5]),  # cut between 5 and 6: the window stops at 5
    (5, {4}, [5, 5, 6]),
])
def test_window_stops_at_ends_and_cuts(centre: int, cuts: set[int], expected: list[int]) -> None:
    assert window_indices(centre, 1, 10, lambda i: i in cuts) == expected


def test_wide_window_repeats_the_boundary_frame() -> None:
    assert window_indices(5, 2, 10, lambda i: i == 6) == [3, 4, 5, 6, 6]
    assert window_indices(1, 3, 4, lambda i: False) == [0, 0, 0, 1, 2, 3, 3]


def test_contract_keeps_length_rate_format_and_props(bikes_small: vs.VideoNode) -> None:
    clip = bikes_small.std.SetFrameProps(_Matrix=vs.MATRIX_BT709, Custom=7)
    out = vs_slowdeblur.deblur(clip, model="window-deblur")
    assert (out.num_frames, out.fps, out.format.id, out.width, out.height) == \
        (clip.num_frames, clip.fps, clip.format.id, clip.width, clip.height)
    first, middle = out.get_frame(0), out.get_frame(4)
    assert list(first.props[WINDOW_PROP]) == [0, 0, 1] and list(middle.props[WINDOW_PROP]) == [3, 4, 5]
    assert middle.props["Custom"] == 7 and middle.props["_Matrix"] == vs.MATRIX_BT709


@pytest.mark.parametrize(("fmt", "window"), [(vs.RGBS, 0), (vs.GRAY16, 1), (vs.YUV444P10, 2)])
def test_other_formats_odd_sizes_and_windows(bikes_small: vs.VideoNode, fmt: vs.PresetVideoFormat,
                                             window: int) -> None:
    clip = bikes_small[:3].resize.Bicubic(97, 61, format=fmt, matrix_in=vs.MATRIX_BT709)
    out = vs_slowdeblur.deblur(clip, window=window, model="window-deblur")
    frame = out.get_frame(1)
    assert (out.format.id, frame.width, frame.height) == (clip.format.id, 97, 61)
    used = frame.props[WINDOW_PROP]  # VapourSynth reads a one-element array back as a number
    assert ([used] if isinstance(used, int) else list(used)) == {0: [1], 1: [0, 1, 2], 2: [0, 0, 1, 2, 2]}[window]
    assert np.isfinite(planes(frame)).all()


def test_sharp_frames_stay_sharp(bikes_rgb: vs.VideoNode) -> None:
    """A frame with no blur must not be damaged (the mild-blur target: no loss)."""
    out = vs_slowdeblur.deblur(bikes_rgb[:3], model="window-deblur")
    assert psnr(planes(out.get_frame(1)), np.clip(planes(bikes_rgb.get_frame(1)), 0, 1)) > 33


def test_improves_psnr_on_held_out_blurry_frames(bikes: vs.VideoNode) -> None:
    """Strong synthetic blur of a benchmark (never trained on) bikes shot, scored against the real frames."""
    sharp = bikes[140:172].std.Crop(left=192, right=192, top=40, bottom=40)  # 256x192 around the street
    blurry = vs_slowdeblur.synth_blur(sharp, keep_every=4, duty=0.75)
    restored = vs_slowdeblur.deblur(blurry, model="window-deblur")
    truth = sharp.resize.Bicubic(format=vs.RGBS, matrix_in=vs.MATRIX_BT470_BG)
    as_rgb = {"format": vs.RGBS, "matrix_in": vs.MATRIX_BT470_BG}
    gains = []
    for i in (2, 3, 4, 5):
        real = np.clip(planes(truth.get_frame(4 * i)), 0, 1)
        before = psnr(np.clip(planes(blurry.resize.Bicubic(**as_rgb).get_frame(i)), 0, 1), real)
        after = psnr(np.clip(planes(restored.resize.Bicubic(**as_rgb).get_frame(i)), 0, 1), real)
        gains.append(after - before)
    assert np.mean(gains) > MIN_GAIN_DB, gains


MIN_GAIN_DB = 0.1  # measured +0.14 to +0.24 dB per frame with the shipped weights


def test_auto_precision_runs_window_deblur_in_float32(bikes_small: vs.VideoNode) -> None:
    """window-deblur loses up to 2.5 dB in bfloat16 (docs/BENCHMARKS.md), so precision="auto" must give exactly
    the float32 output even on CPUs where "auto" means bfloat16 for the other networks."""
    blurry = vs_slowdeblur.synth_blur(bikes_small, keep_every=2, duty=0.75)
    auto, fp32 = (vs_slowdeblur.deblur(blurry, model="window-deblur", precision=p) for p in ("auto", "fp32"))
    for n in range(blurry.num_frames):
        for plane in range(3):
            assert np.array_equal(np.asarray(auto.get_frame(n)[plane]), np.asarray(fp32.get_frame(n)[plane])), n


def test_mild_blur_costs_nothing_in_the_source_format(bikes: vs.VideoNode) -> None:
    """Mild blur (keep_every=1, duty=7/8) of a held-out YUV 4:2:0 shot: the output, in the clip's own format,
    scores no worse than the blurry input (the benchmark's mild target, ≥ −0.1 dB)."""
    sharp = bikes[140:150].std.Crop(left=192, right=192, top=40, bottom=40)
    blurry = vs_slowdeblur.synth_blur(sharp, keep_every=1, duty=7 / 8)
    restored = vs_slowdeblur.deblur(blurry, model="window-deblur")
    assert restored.format.id == vs.YUV420P8
    as_rgb = {"format": vs.RGBS, "matrix_in": vs.MATRIX_BT470_BG}
    truth, before, after = (c.resize.Bicubic(**as_rgb) for c in (sharp, blurry, restored))
    gains = [psnr(np.clip(planes(after.get_frame(i)), 0, 1), np.clip(planes(truth.get_frame(i)), 0, 1))
             - psnr(np.clip(planes(before.get_frame(i)), 0, 1), np.clip(planes(truth.get_frame(i)), 0, 1))
             for i in (3, 5, 7)]
    assert np.mean(gains) >= -0.1, gains


def test_unchanged_pixels_keep_values_beyond_the_nominal_range(carphone: vs.VideoNode,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """With a model that changes nothing, every source pixel comes back exactly, including limited-range
    super-whites, super-blacks and out-of-gamut colours (in float RGB they lie outside [0, 1])."""
    from vs_slowdeblur.models.deblurnet import WindowDeblurNet

    monkeypatch.setattr(WindowDeblurNet, "restore", lambda self, centre_frame, centre, neighbours: centre_frame)
    extremes = core.std.BlankClip(format=vs.YUV420P8, width=64, height=48, length=3, color=[250, 128, 128])
    extremes = core.std.Interleave([extremes, extremes.std.BlankClip(color=[8, 128, 128]),
                                    extremes.std.BlankClip(color=[235, 60, 200])])
    for clip in (extremes, carphone[:3]):
        restored = vs_slowdeblur.deblur(clip, model="window-deblur")
        for n in range(clip.num_frames):
            out, source = restored.get_frame(n), clip.get_frame(n)
            for p in range(3):
                assert np.array_equal(np.asarray(out[p]), np.asarray(source[p])), (clip.width, n, p)


@pytest.mark.parametrize("window", [1, 2])
@pytest.mark.parametrize("frame_pixels", [1920 * 1080, 3840 * 2160], ids=["1080p", "4K"])
def test_each_frame_is_encoded_once_with_the_default_cache(bikes_small: vs.VideoNode, window: int,
                                                           frame_pixels: int) -> None:
    """A sequential render encodes every source frame once when the cache is as large, relative to the frame,
    as the default cache_bytes (512 MiB) is to a 1080p frame (it holds a window) or to a 4K frame (less than
    one encoding: the cache grows to a window plus a frame per thread)."""
    from vs_slowdeblur.engine.pair_cache import live_caches
    from vs_slowdeblur.options import Options

    padded_pixels = 192 * 84  # bikes_small is 192x82, padded to a multiple of 4
    cache_bytes = Options.cache_bytes * padded_pixels // frame_pixels
    clip = bikes_small[:8]
    before = set(map(id, live_caches()))
    restored = vs_slowdeblur.deblur(clip, window=window, cache_bytes=cache_bytes, model="window-deblur")
    (cache,) = [c for c in live_caches() if id(c) not in before]
    for n in range(clip.num_frames):
        restored.get_frame(n)
    assert cache.computed == clip.num_frames


def test_a_one_frame_window_keeps_no_encodings(bikes_small: vs.VideoNode) -> None:
    """With window=0 no other window can use a frame's encoding: the cache stays empty and keeps the bound it
    was given (it used to grow past cache_bytes to a frame per thread, about 9 GB at 4K with 16 threads)."""
    from vs_slowdeblur.engine.pair_cache import live_caches

    before = set(map(id, live_caches()))
    restored = vs_slowdeblur.deblur(bikes_small[:4], window=0, cache_bytes=2**16, model="window-deblur")
    (cache,) = [c for c in live_caches() if id(c) not in before]
    for n in range(restored.num_frames):
        restored.get_frame(n)
    assert (cache.computed, cache.used_bytes, cache.max_bytes) == (0, 0, 2**16)


@pytest.mark.parametrize("window", [0, 1])
def test_a_centre_missing_the_cache_runs_its_full_resolution_stage_once(bikes_small: vs.VideoNode, window: int,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Frames requested backwards: each centre's window reaches ahead only to frames already encoded, so
    every centre but the first hits the cache (window=1), or every centre misses it (window=0). A miss
    encodes (one full-resolution stage, one conversion to a tensor) and the centre reuses both; a hit
    converts and runs the full stage once more. Before, a missing centre converted and ran it twice."""
    from vs_slowdeblur.engine import deblur as engine_module
    from vs_slowdeblur.models.deblurnet import WindowDeblurNet

    counts = {"full stage": 0, "to tensor": 0}

    def counted(name: str, function: Callable) -> Callable:
        def wrapper(*args: object) -> object:
            counts[name] += 1
            return function(*args)
        return wrapper

    monkeypatch.setattr(WindowDeblurNet, "encode", counted("full stage", WindowDeblurNet.encode))
    monkeypatch.setattr(WindowDeblurNet, "encode_full", counted("full stage", WindowDeblurNet.encode_full))
    monkeypatch.setattr(engine_module, "frame_to_tensor", counted("to tensor", engine_module.frame_to_tensor))
    clip = bikes_small[:5]
    restored = vs_slowdeblur.deblur(clip, window=window, model="window-deblur")
    for n in reversed(range(clip.num_frames)):
        restored.get_frame(n)
    encodings = clip.num_frames  # each source frame encoded once (the default cache holds them all)
    centres_hitting = 0 if window == 0 else clip.num_frames - 1
    assert counts == {"full stage": encodings + centres_hitting, "to tensor": encodings + centres_hitting}
