"""Tiled inference gives the whole-frame result: exactly for pointwise ops, away from overlaps for local ops,
and within 0.1 dB on the real interpolation network; out-of-memory errors fall back to tiles."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import vapoursynth as vs
from conftest import BIKES_SHOT, planes, psnr

from vs_slowdeblur.engine.color import to_working
from vs_slowdeblur.engine.frames import frame_to_tensor
from vs_slowdeblur.engine.padding import crop, pad_to_multiple
from vs_slowdeblur.engine.runtime import DEFAULT_CPU_THREADS, set_cpu_threads
from vs_slowdeblur.engine.tiling import (
    OomFallback,
    TilePlan,
    estimate_tiled,
    is_out_of_memory,
    run_tiled,
    tile_starts,
    with_oom_fallback,
)
from vs_slowdeblur.models.interpolator import RifeInterpolator
from vs_slowdeblur.models.registry import create_model

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def frame(bikes_rgb: vs.VideoNode) -> torch.Tensor:
    """One real 192x82 RGB frame as (1, 3, 82, 192)."""
    return torch.from_numpy(planes(bikes_rgb.get_frame(0)).astype(np.float32))[None]


def _overlapped(length: int, plan: TilePlan) -> torch.Tensor:
    """(length,) True where more than one tile covers the pixel."""
    count = torch.zeros(length)
    for start, weight in plan.weights(length):
        count[start:start + len(weight)] += 1
    return count[:length] > 1


def test_tiles_step_by_tile_minus_overlap_and_the_last_one_ends_at_the_edge() -> None:
    assert tile_starts(640, 256, 64) == [0, 192, 384]
    assert tile_starts(700, 256, 64) == [0, 192, 384, 444]
    assert tile_starts(300, 256, 64) == [0, 44]
    assert tile_starts(200, 256, 64) == [0]


def test_plan_rejects_tiles_off_the_multiple_and_overlaps_not_smaller_than_the_tile() -> None:
    with pytest.raises(ValueError, match="tile must be a positive multiple of 32 pixels, got 100"):
        TilePlan(100, 16, 32)
    with pytest.raises(ValueError, match=r"tile overlap must be in \[0, 64\) pixels, got 64"):
        TilePlan(64, 64, 32)


def test_blend_weights_cross_fade_to_one() -> None:
    plan = TilePlan(64, 16, 8)
    total = torch.zeros(150)
    for start, weight in plan.weights(150):
        total[start:start + len(weight)] += weight
    torch.testing.assert_close(total, torch.ones(150))


@pytest.mark.parametrize("plan", [TilePlan(64, 16, 8), TilePlan(32, 0, 32), TilePlan(128, 32, 32)],
                         ids=["overlapping", "no-overlap", "tile-taller-than-frame"])
def test_tiling_the_identity_gives_the_frame(frame: torch.Tensor, plan: TilePlan) -> None:
    seen = []

    def identity(tile: torch.Tensor) -> torch.Tensor:
        seen.append(tuple(tile.shape[-2:]))
        return tile.clone()

    out = run_tiled(identity, [frame], plan)
    torch.testing.assert_close(out, frame, rtol=0, atol=1e-6)
    assert all(h % plan.multiple == 0 and w % plan.multiple == 0 for h, w in seen)


def test_half_precision_tiles_blend_in_float32_and_come_back_in_half(frame: torch.Tensor) -> None:
    half = frame.half()
    out = run_tiled(lambda tile: tile.clone(), [half], TilePlan(64, 16, 8))
    assert out.dtype == torch.float16
    torch.testing.assert_close(out, half, rtol=0, atol=0)  # fp16 sums would be off by up to 5e-4 here


def test_tiling_a_conv_is_exact_outside_the_overlaps(frame: torch.Tensor) -> None:
    plan = TilePlan(64, 16, 8)  # overlap 16 ≥ the 3x3 kernel's 1-pixel reach
    kernel = torch.tensor([[0.0, -1, 0], [-1, 5, -1], [0, -1, 0]]).expand(3, 1, 3, 3)

    def sharpen(tile: torch.Tensor) -> torch.Tensor:
        return F.conv2d(tile, kernel, padding=1, groups=3)

    whole, tiled = sharpen(frame), run_tiled(sharpen, [frame], plan)
    overlap = _overlapped(frame.shape[-2], plan)[:, None] | _overlapped(frame.shape[-1], plan)[None, :]
    assert overlap.any() and not overlap.all()
    torch.testing.assert_close(tiled[..., ~overlap], whole[..., ~overlap], rtol=0, atol=1e-6)
    # In the overlaps only the tile's own edge pixel is wrong, and it is feathered to a small weight.
    assert float((tiled - whole).abs().max()) < 0.1


def test_several_inputs_are_cut_into_the_same_tiles(frame: torch.Tensor) -> None:
    out = run_tiled(lambda a, b: a - b, [frame, frame.flip(-1)], TilePlan(64, 16, 8))
    torch.testing.assert_close(out, frame - frame.flip(-1), rtol=0, atol=1e-6)


def test_a_side_shorter_than_the_tile_is_padded_as_asked(frame: torch.Tensor) -> None:
    padded_tiles = []

    def keep(tile: torch.Tensor) -> torch.Tensor:
        padded_tiles.append(tile)
        return tile.clone()

    run_tiled(keep, [frame], TilePlan(128, 32, 32), pad_mode="replicate")  # 82 lines → tiles of 96
    assert padded_tiles[0].shape[-2] == 96
    torch.testing.assert_close(padded_tiles[0][..., 82:, :], padded_tiles[0][..., 81:82, :].expand(-1, -1, 14, -1))


def test_inputs_of_different_sizes_are_refused(frame: torch.Tensor) -> None:
    with pytest.raises(ValueError, match="share one frame size"):
        run_tiled(lambda a, b: a, [frame, frame[..., :64]], TilePlan(64, 16, 8))


# The real network on real frames: source frames n and n + 2 of bikes (640x272), scored against frame n + 1.


@pytest.fixture(scope="module")
def bikes_triplet(bikes: vs.VideoNode) -> list[torch.Tensor]:
    clip = to_working(bikes[BIKES_SHOT.start:BIKES_SHOT.start + 3])
    return [frame_to_tensor(clip.get_frame(n), CPU) for n in range(3)]


@pytest.fixture(scope="module")
def interpolator() -> Iterator[RifeInterpolator]:
    # One torch thread, as the engine runs each callback: two made these tests ~20x slower on a loaded 2-core CPU.
    threads = torch.get_num_threads()
    set_cpu_threads(DEFAULT_CPU_THREADS)
    yield RifeInterpolator(create_model("rife-hdv3", CPU))
    set_cpu_threads(threads)


def _score(frame: torch.Tensor, truth: torch.Tensor) -> float:
    return psnr(frame.clamp(0, 1).numpy(), truth.numpy())


@pytest.fixture(scope="module")
def whole_frame(bikes_triplet: list[torch.Tensor], interpolator: RifeInterpolator) -> torch.Tensor:
    frame0, _, frame1 = bikes_triplet
    with torch.inference_mode():
        motion = interpolator.estimate(pad_to_multiple(frame0, 32), pad_to_multiple(frame1, 32))
        return crop(interpolator.synthesize(motion, 0.5), *frame0.shape[-2:])


# 3x2 tiles on 640x272. On this shot (frames 140, 142 → 141) tiles of 256 lose nothing (measured +0.03 dB); on
# faster shots of bikes they lost up to 1.2 dB, which is why the default tile is 512 (see engine.tiling).
TILED_PLAN = TilePlan(256, 64, 32)


@pytest.mark.slow
def test_tiled_interpolation_scores_within_a_tenth_of_a_db_of_the_whole_frame(
        bikes_triplet: list[torch.Tensor], interpolator: RifeInterpolator, whole_frame: torch.Tensor) -> None:
    frame0, truth, frame1 = bikes_triplet
    with torch.inference_mode():
        per_tile = run_tiled(lambda a, b: interpolator.synthesize(interpolator.estimate(a, b), 0.5),
                             [frame0, frame1], TILED_PLAN)
        blended_motion = interpolator.synthesize(estimate_tiled(interpolator, frame0, frame1, TILED_PLAN), 0.5)
    reference = _score(whole_frame, truth)
    assert abs(_score(per_tile, truth) - reference) < 0.1
    assert abs(_score(blended_motion, truth) - reference) < 0.1


@pytest.mark.slow
def test_out_of_memory_on_the_whole_frame_falls_back_to_tiles(
        bikes_triplet: list[torch.Tensor], interpolator: RifeInterpolator, whole_frame: torch.Tensor,
        caplog: pytest.LogCaptureFixture) -> None:
    frame0, truth, frame1 = bikes_triplet
    attempts = []

    def whole() -> torch.Tensor:
        attempts.append("whole")
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    def tiled() -> torch.Tensor:
        attempts.append("tiled")
        return interpolator.synthesize(estimate_tiled(interpolator, frame0, frame1, TilePlan()), 0.5)

    fallback = OomFallback()
    with caplog.at_level(logging.WARNING, logger="vs_slowdeblur"), torch.inference_mode():
        out = fallback(whole, tiled)
        again = fallback(whole, tiled)
    assert attempts == ["whole", "tiled", "tiled"]  # the second frame goes straight to tiles
    assert "retrying in tiles" in caplog.text
    assert abs(_score(out, truth) - _score(whole_frame, truth)) < 0.1
    torch.testing.assert_close(again, out)


def test_out_of_memory_is_recognised_by_type_and_by_message() -> None:
    assert is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory"))
    assert is_out_of_memory(torch.cuda.OutOfMemoryError("anything"))
    assert is_out_of_memory(RuntimeError("CUDA error: out of memory"))
    assert is_out_of_memory(RuntimeError("cuDNN error: CUDNN_STATUS_ALLOC_FAILED; CUDA out of memory"))
    assert is_out_of_memory(RuntimeError("CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate`"))
    assert is_out_of_memory(MemoryError("Unable to allocate 256. TiB for an array"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    assert not is_out_of_memory(ValueError("out of memory"))


def test_a_failed_host_allocation_falls_back_to_tiles() -> None:
    """On the CPU, torch reports a failed allocation as a plain RuntimeError ("DefaultCPUAllocator: can't
    allocate memory"), not as OutOfMemoryError: it must still send the frame to the tiled path."""

    def whole() -> torch.Tensor:
        return torch.empty(2**46)  # 256 TiB: the host allocator refuses at once

    assert with_oom_fallback(whole, lambda: torch.zeros(1)).shape == (1,)


def test_other_errors_are_not_retried_in_tiles() -> None:
    def whole() -> torch.Tensor:
        raise RuntimeError("Expected all tensors to be on the same device")

    with pytest.raises(RuntimeError, match="same device"):
        with_oom_fallback(whole, lambda: pytest.fail("tiled path taken"))


def test_a_runtime_error_saying_out_of_memory_falls_back() -> None:
    calls = []

    def whole() -> str:
        calls.append("whole")
        raise RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB")

    assert with_oom_fallback(whole, lambda: "tiled") == "tiled"
    assert calls == ["whole"]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_tiling_on_cuda_equals_tiling_on_the_cpu(frame: torch.Tensor, bikes_triplet: list[torch.Tensor],
                                                  interpolator: RifeInterpolator) -> None:
    kernel = torch.full((3, 1, 3, 3), 1 / 9)
    plan = TilePlan(64, 16, 8)
    cpu = run_tiled(lambda x: F.conv2d(x, kernel, padding=1, groups=3), [frame], plan)
    cuda = run_tiled(lambda x: F.conv2d(x, kernel.cuda(), padding=1, groups=3), [frame.cuda()], plan)
    torch.testing.assert_close(cuda.cpu(), cpu, rtol=0, atol=2e-3)  # cuDNN may use TF32 (10-bit mantissa)

    frame0, truth, frame1 = bikes_triplet
    on_gpu = RifeInterpolator(create_model("rife-hdv3", torch.device("cuda")))
    with torch.inference_mode():
        cpu_frame = interpolator.synthesize(estimate_tiled(interpolator, frame0, frame1, TILED_PLAN), 0.5)
        gpu_frame = on_gpu.synthesize(estimate_tiled(on_gpu, frame0.cuda(), frame1.cuda(), TILED_PLAN), 0.5)
    assert psnr(gpu_frame.cpu().numpy(), cpu_frame.numpy()) > 45
    assert abs(_score(gpu_frame.cpu(), truth) - _score(cpu_frame, truth)) < 0.05
