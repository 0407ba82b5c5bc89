"""Training examples for the motion-told deblurring model: a blurry frame, its sharp target, and the motion that
the model is told, with the errors that motion estimated on blurry frames has.

Two sources:
- synthetic: exact blur of photos moving along known trajectories (``synthetic``), the true per-pixel velocity
  then degraded as RIFE's estimate on blurry frames is (too short, too smooth, noisy, forward and backward
  estimates disagreeing in places);
- real: blurry keyframes made from the densified training shots with ``synth_blur``'s exposure weights, and
  the motion the shipped RIFE network estimates on the adjacent blurry keyframes, exactly as ``deblur`` does at
  run time (``RealMotionShots``, computed once and cached).

Velocities are in pixels per keyframe interval; the blur vector is velocity × exposure (a fraction of the
keyframe interval) and the disagreement is |forward − backward| × exposure.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..filters.synth_blur import exposure_weights
from ..models.motiondeblur import INPUT_MULTIPLE as MOTION_INPUT_MULTIPLE
from ..options import Options
from ..paths import cache_dir
from ..quality import psnr
from .real import SUBFRAMES
from .synthetic import (
    MAX_SUBFRAMES,
    PhotoSource,
    degrade,
    random_degradation,
    random_trajectory,
    sampling_grid,
    shrink,
    soft_ellipse,
)

# (keep_every, duty) of the real examples' blur; one shared list so that the cache of estimated motion fits it
REAL_RECIPES = ((4, 0.75), (4, 0.5), (4, 1.0), (3, 0.75), (2, 0.75), (2, 1.0), (1, 0.875), (1, 0.5))
# the recipes of splits.MORE_MOTION_TRAIN's shots: half as many, so that their motion is estimated in half the time
MORE_FOOTAGE_RECIPES = ((4, 0.75), (4, 0.5), (2, 0.75), (1, 0.875))
Estimator = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (frame0, frame1) → RIFE's (1, 4, H, W) flow
CENTRE_STRIDE = 2  # real examples are centred on every second source frame (motion is estimated once for each)


@dataclass
class MotionExample:
    blurry: torch.Tensor  # (3, P, P) in [0, 1], degraded
    sharp: torch.Tensor  # (3, P, P)
    forward: torch.Tensor  # (2, P, P) velocity towards the next keyframe, pixels per keyframe interval
    backward: torch.Tensor  # (2, P, P) velocity from the previous keyframe
    exposure: float  # fraction of the keyframe interval the shutter was open


def model_inputs(example: MotionExample, exposure: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Blur vector (2, P, P) and disagreement (1, P, P) in pixels, for the exposure the model is told."""
    blur = (example.forward + example.backward) / 2 * exposure
    disagreement = (example.forward - example.backward).norm(dim=0, keepdim=True) * exposure
    return blur, disagreement


# --- synthetic -------------------------------------------------------------------------------------------------

def synthetic_example(source: PhotoSource, rng: np.random.Generator, patch: int,
                      max_speed: float = 40.0, low_duty_odds: float = 0.1, exact_motion: bool = False) -> MotionExample:
    """Exact blur of a background and up to two cut-out layers, each on its own trajectory, plus the true
    per-pixel velocity at the frame's time (of whichever layer is in front), degraded by ``estimate_like_rife``
    (told as it is, on both sides, with ``exact_motion``). ``max_speed``: pixels per keyframe interval;
    ``low_duty_odds``: how often the exposure is short (0.05–0.3)."""
    margin = math.ceil(max_speed) + 8
    size = patch + 2 * margin
    images = [source.crop(rng, size)]
    alphas = [torch.ones(1, size, size)]
    for spread in [1 / 8, 1 / 4][: int(rng.integers(0, 3))]:
        images.append(source.crop(rng, size))
        alphas.append(soft_ellipse(size, rng, spread))
    trajectories = [random_trajectory(rng, max_speed) for _ in images]
    duty = float(rng.uniform(0.05, 0.3)) if rng.random() < low_duty_odds else float(rng.uniform(0.3, 1.0))
    fastest = max(t.speed_bound(patch) for t in trajectories)
    subframes = int(min(2 * MAX_SUBFRAMES, max(4, math.ceil(duty * fastest * 1.5))))
    offsets = (torch.arange(subframes, dtype=torch.float32) + 0.5) / subframes - 0.5
    delta = 0.05
    times = torch.cat([duty * offsets, torch.tensor([0.0, -delta, delta])])
    frames = torch.zeros(len(times) - 2, 3, patch, patch)
    velocity = torch.zeros(2, patch, patch)
    for image, alpha, trajectory in zip(images, alphas, trajectories, strict=True):
        grid = sampling_grid(trajectory, times, patch, size)
        stack = torch.cat([image, alpha]).unsqueeze(0).expand(len(times) - 2, -1, -1, -1)
        layer = F.grid_sample(stack, grid[:len(times) - 2], mode="bilinear", padding_mode="reflection",
                              align_corners=False)
        weight = layer[:, 3:]
        frames = frames * (1 - weight) + layer[:, :3] * weight
        # content at view pixel x shows source point g(x, t); it moves at −∂g/∂t (pixels per frame interval)
        layer_velocity = -(grid[-1] - grid[-2]).permute(2, 0, 1) / (2 * delta) * size / 2
        front = weight[-1]  # the layer's alpha at t = 0
        velocity = velocity * (1 - front) + layer_velocity * front
    blurry = frames[:-1].mean(0)
    sharp = frames[-1].clamp(0, 1)
    forward, backward = (velocity, velocity.clone()) if exact_motion else estimate_like_rife(velocity, rng)
    blurry = degrade(blurry, random_degradation(rng), rng)
    return MotionExample(blurry, sharp, forward, backward, duty)


def smooth_noise(rng: np.random.Generator, size: int, sigma: float, cells: int) -> torch.Tensor:
    """(2, size, size) noise of standard deviation ``sigma``, smooth over size/cells pixels."""
    coarse = torch.from_numpy(rng.normal(0, sigma, (1, 2, cells, cells)).astype(np.float32))
    return F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=False)[0]


def estimate_like_rife(velocity: torch.Tensor, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward and backward velocity estimates from the true velocity (2, P, P): shortened by a factor
    0.45–1.1 (RIFE on blurry frames finds too little motion), smoothed across edges, with smooth noise, and in a
    third of the examples a region where the backward estimate is wrong (an occlusion)."""
    size = velocity.shape[-1]
    kernel = int(rng.integers(0, 8)) * 2 + 1
    smoothed = F.avg_pool2d(velocity.unsqueeze(0), kernel, 1, kernel // 2, count_include_pad=False)[0]
    estimate = float(rng.uniform(0.45, 1.1)) * smoothed + smooth_noise(rng, size, rng.uniform(0, 1.5), 4)
    forward = estimate + smooth_noise(rng, size, rng.uniform(0, 0.7), 6)
    backward = estimate + smooth_noise(rng, size, rng.uniform(0, 0.7), 6)
    if rng.random() < 1 / 3:
        wrong = soft_ellipse(size, rng, 1 / 3)
        backward = backward * (1 - wrong) + smooth_noise(rng, size, rng.uniform(2, 10), 3) * wrong
    if rng.random() < 0.1:  # clip edge or scene cut: one side missing, the other used twice
        forward = backward = forward if rng.random() < 0.5 else backward
    return forward, backward


# --- real ------------------------------------------------------------------------------------------------------

@dataclass
class RealShot:
    """One training shot blurred with one recipe: blurry keyframes centred on real frames, their RIFE motion."""

    blurry: np.ndarray  # (N, H, W, 3) uint8, keyframe centred on real frame centres[i]
    sharp: np.ndarray  # (N, H, W, 3) uint8 real frames
    motion: np.ndarray  # (N, 4, H, W) float16: forward (x, y), backward (x, y), pixels per keyframe interval
    exposure: float


def blurry_keyframe(segment: np.ndarray, centre: int, keep_every: int, duty: float) -> np.ndarray:
    """The blurry frame (H, W, 3) float32 in [0, 1] of a densified segment around dense index ``centre``."""
    weights = exposure_weights(duty, keep_every, SUBFRAMES)
    return sum(w * segment[centre + j].astype(np.float32) for j, w in weights.items()) / 255


def keyframe_centres(length: int, keep_every: int, duty: float) -> list[int]:
    """Dense indices of the keyframes of a densified segment of ``length`` sub-frames blurred with one recipe:
    every CENTRE_STRIDE-th real frame whose exposure and both neighbours' exposures lie inside the segment."""
    stride = keep_every * SUBFRAMES
    reach = max(exposure_weights(duty, keep_every, SUBFRAMES))
    real = range(0, length, SUBFRAMES)
    return [c for c in real if c - stride - reach >= 0 and c + stride + reach < length][::CENTRE_STRIDE]


def keyframe_motion(centres: list[int], stride: int, frame: Callable[[int], torch.Tensor],
                    estimate: Estimator) -> np.ndarray:
    """(N, 4, H, W) float16: for each centre c, the velocity of the pair (c, c + stride) then of (c − stride, c)
    at the pair's middle time (pixels per keyframe interval), estimated on ``frame(index)`` (1, 3, H, W)."""
    flows: dict[int, torch.Tensor] = {}

    def velocity(c0: int) -> torch.Tensor:
        if c0 not in flows:
            flow = estimate(frame(c0), frame(c0 + stride))
            flows[c0] = flow[0, 2:4] - flow[0, 0:2]
        return flows[c0]

    return np.stack([torch.cat([velocity(c), velocity(c - stride)]).numpy().astype(np.float16) for c in centres])


def real_shot(segment: np.ndarray, keep_every: int, duty: float, estimate: Estimator) -> RealShot:
    """Blur a densified segment with one recipe at its ``keyframe_centres`` and estimate each keyframe's motion
    from its blurry neighbours keep_every real frames away (``estimate(frame0, frame1)``: RIFE's
    (F_0.5→0, F_0.5→1) flow, (1, 4, H, W))."""
    keyframes: dict[int, torch.Tensor] = {}

    def keyframe(c: int) -> torch.Tensor:
        if c not in keyframes:
            keyframes[c] = torch.from_numpy(blurry_keyframe(segment, c, keep_every, duty)).permute(2, 0, 1)[None]
        return keyframes[c]

    centres = keyframe_centres(len(segment), keep_every, duty)
    motion = keyframe_motion(centres, keep_every * SUBFRAMES, keyframe, estimate)
    blurry = [(keyframe(c)[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8) for c in centres]
    return RealShot(np.stack(blurry), np.stack([np.asarray(segment[c]) for c in centres]), motion, duty)


def sharp_motion(segment: np.ndarray, keep_every: int, duty: float, estimate: Estimator) -> np.ndarray:
    """``real_shot``'s motion, estimated on the real sharp frames instead of the blurry keyframes: the motion a
    restorer would be told if motion estimation were not fooled by blur (``TrainConfig.told_motion``)."""
    def frame(c: int) -> torch.Tensor:
        return torch.from_numpy(segment[c].astype(np.float32) / 255).permute(2, 0, 1)[None]

    return keyframe_motion(keyframe_centres(len(segment), keep_every, duty), keep_every * SUBFRAMES, frame, estimate)


def real_shots(segments: list[np.ndarray], names: list[str], estimate: Estimator,
               recipes: tuple[tuple[int, float], ...] = REAL_RECIPES, told_motion: str = "blurry") -> list[RealShot]:
    """Every (segment, recipe) shot (``cached_shot``), segment by segment."""
    return [cached_shot(segment, name, keep_every, duty, estimate, told_motion)
            for segment, name in zip(segments, names, strict=True) for keep_every, duty in recipes]


def cached_shot(segment: np.ndarray, name: str, keep_every: int, duty: float, estimate: Estimator,
                told_motion: str = "blurry") -> RealShot:
    """``real_shot``, cached in the training cache as an .npz file named after the segment (``name``). With
    ``told_motion="sharp"`` the shot carries ``sharp_motion`` (cached beside it) instead of the blurry motion."""
    stem = f"{name}-k{keep_every}-d{duty:g}-s{CENTRE_STRIDE}"
    stored = cached(f"motion-{stem}", lambda: vars(real_shot(segment, keep_every, duty, estimate)))
    shot = RealShot(stored["blurry"], stored["sharp"], stored["motion"], duty)
    if told_motion == "sharp":
        shot.motion = cached(f"sharp-motion-{stem}",
                             lambda: {"motion": sharp_motion(segment, keep_every, duty, estimate)})["motion"]
    return shot


def cached(stem: str, make: Callable[[], dict]) -> dict[str, np.ndarray]:
    """The arrays of the training cache's ``stem``.npz, made by ``make()`` (a dict of arrays; other keys are
    left out) and written atomically when missing."""
    path = cache_dir() / "train" / f"{stem}.npz"
    if not path.exists():
        arrays = {key: value for key, value in make().items() if isinstance(value, np.ndarray)}
        partial = path.with_suffix(f".{os.getpid()}.partial.npz")
        np.savez(partial, **arrays)
        partial.replace(path)
    with np.load(path) as stored:
        return {key: stored[key] for key in stored.files}


def real_example(shots: list[RealShot], rng: np.random.Generator, patch: int,
                 moving_odds: float = 0.0, rescale_odds: float = 0.0) -> MotionExample:
    """A random crop of a random real shot's keyframe, degraded, with the motion RIFE estimated for it; with
    odds ``moving_odds`` the crop is the one of 4 random candidates with the most estimated motion. With odds
    ``rescale_odds`` (drawn only when above 0, so older runs draw the same numbers) the crop covers
    patch/s pixels and is shrunk to ``patch`` (s from ``RESCALE``; motion × s): the same shots at another
    scale, so that a few real shots are harder to memorise and show blur of other lengths."""
    shot = shots[int(rng.integers(len(shots)))]
    i = int(rng.integers(len(shot.blurry)))
    height, width = shot.blurry.shape[1:3]
    candidates = 4 if rng.random() < moving_odds else 1
    scale = 1.0
    if rescale_odds > 0 and rng.random() < rescale_odds:
        scale = max(float(rng.uniform(*RESCALE)), patch / min(height, width))
    size = round(patch / scale)
    corners = [(int(rng.integers(height - size + 1)), int(rng.integers(width - size + 1)))
               for _ in range(candidates)]

    def speed(corner: tuple[int, int]) -> float:
        top, left = corner
        return float(np.abs(shot.motion[i][:, top:top + size, left:left + size].astype(np.float32)).mean())

    top, left = max(corners, key=speed)
    window = (slice(top, top + size), slice(left, left + size))

    def pixels(frames: np.ndarray) -> torch.Tensor:
        return shrink(torch.from_numpy(frames[i][window].astype(np.float32) / 255).permute(2, 0, 1), patch)

    motion = shrink(torch.from_numpy(shot.motion[i][:, window[0], window[1]].astype(np.float32)), patch)
    motion = motion * (patch / size)
    blurry = degrade(pixels(shot.blurry), random_degradation(rng), rng)
    return MotionExample(blurry, pixels(shot.sharp), motion[0:2], motion[2:4], shot.exposure)


RESCALE = (0.4, 1.0)  # range of the real crops' scale factor when rescaled (output pixels per source pixel)


def cache_path_names(ranges: dict[str, tuple[tuple[int, int], ...]]) -> list[str]:
    """The names clip-first-last of the ranges, in the order ``dense_segments`` returns their segments."""
    return [f"{name}-{first}-{last}" for name, spans in ranges.items() for first, last in spans]


def rife_estimator(threads: int) -> Estimator:
    """``estimate(frame0, frame1)`` → RIFE HDv3's (1, 4, H, W) flow of a pair of (1, 3, H, W) frames."""
    from ..engine.padding import crop, pad_to_multiple
    from ..models.interpolator import RifeInterpolator
    from ..models.registry import create_model

    torch.set_num_threads(threads)
    interpolator = RifeInterpolator(create_model("rife-hdv3"))

    @torch.inference_mode()
    def estimate(frame0: torch.Tensor, frame1: torch.Tensor) -> torch.Tensor:
        height, width = frame0.shape[-2:]
        motion = interpolator.estimate(pad_to_multiple(frame0, 32), pad_to_multiple(frame1, 32))
        return crop(motion.flow, height, width)

    return estimate


def flip_example(example: MotionExample, rng: np.random.Generator) -> MotionExample:
    """Flips, transposition and time reversal, with the motion transformed to match."""
    blurry, sharp, fwd, bwd = example.blurry, example.sharp, example.forward, example.backward
    sign = torch.ones(2, 1, 1)
    if rng.random() < 0.5:
        blurry, sharp, fwd, bwd = (t.flip(-1) for t in (blurry, sharp, fwd, bwd))
        sign[0] = -sign[0]
    if rng.random() < 0.5:
        blurry, sharp, fwd, bwd = (t.flip(-2) for t in (blurry, sharp, fwd, bwd))
        sign[1] = -sign[1]
    fwd, bwd = fwd * sign, bwd * sign
    if rng.random() < 0.5:
        blurry, sharp = blurry.transpose(-1, -2), sharp.transpose(-1, -2)
        fwd, bwd = fwd.transpose(-1, -2).flip(0), bwd.transpose(-1, -2).flip(0)
    if rng.random() < 0.5:  # time reversal: the blur is the same, forward and backward swap roles
        fwd, bwd = -bwd, -fwd
    order = torch.from_numpy(rng.permutation(3))
    return MotionExample(blurry[order].contiguous(), sharp[order].contiguous(), fwd.contiguous(), bwd.contiguous(),
                         example.exposure)


def recolour(example: MotionExample, rng: np.random.Generator) -> MotionExample:
    """The same colour change applied to the blurry frame and its target, so that a few real shots show new
    colours: saturation (0–1.5, mixing with grey), contrast (0.6–1.2, negative in a fifth of the examples: the
    photographic negative, which blurs the same way), a per-channel gain (0.85–1.15), and a brightness that keeps
    the mean where it was; clamped to [0, 1]. Every step but the clamp is linear, so it commutes with the blur."""
    saturation = float(rng.uniform(0.0, 1.5))
    contrast = float(rng.uniform(0.6, 1.2)) * (-1.0 if rng.random() < 0.2 else 1.0)
    gains = torch.from_numpy(rng.uniform(0.85, 1.15, (3, 1, 1)).astype(np.float32))
    mean = float(example.sharp.mean())

    def change(frame: torch.Tensor) -> torch.Tensor:
        grey = frame.mean(0, keepdim=True)
        mixed = grey + saturation * (frame - grey)
        return ((mixed - mean) * contrast * gains + mean).clamp(0, 1)

    return replace(example, blurry=change(example.blurry), sharp=change(example.sharp))


def told_exposure(example: MotionExample, rng: np.random.Generator, overstated_odds: float = 0.0) -> float:
    """The exposure the model is told: the true one mostly, else a guess in 0.3–1 (a user's wrong setting);
    with odds ``overstated_odds`` (drawn only when above 0, so older runs draw the same numbers) a value between
    the true one and 1 instead, so that the network learns to find how much blur there is below what it is told
    (sharp footage told the default 3/4)."""
    told = example.exposure if rng.random() < 0.8 else float(rng.uniform(0.3, 1.0))
    if overstated_odds > 0 and rng.random() < overstated_odds:
        told = float(rng.uniform(example.exposure, 1.0))
    return told



# --- batches and validation for train.deblur ------------------------------------------------------------------

Inputs = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # blurry, blur vector, disagreement (batched)
STRONG, MILD = (4, 0.75), (1, 0.875)  # (keep_every, duty) of the benchmark's strong and mild blur
NEAR_SHARP = (4, 0.125)  # and of its near-sharp input, which deblur is told the default exposure for
DEFAULT_EXPOSURE = float(Options.exposure)
NEAR_SHARP_GROUP = "real near-sharp"  # MotionData.held_out's near-sharp shot, validated told DEFAULT_EXPOSURE
MOVING_CROP_ODDS = 0.75  # a real crop is the most moving of 4 candidates this often (static crops teach little)


@dataclass
class MotionData:
    photos: PhotoSource
    shots: list[RealShot]
    validation: dict[str, list[tuple[Inputs, torch.Tensor]]]  # group → (single-example inputs, sharp target)
    held_out: dict[str, RealShot]  # the validation shot's strong, mild and near-sharp blur, whole keyframes


def batched(examples: list[tuple[MotionExample, float]]) -> tuple[Inputs, torch.Tensor]:
    """Model inputs and targets of (example, told exposure) pairs, stacked."""
    blurs, disagreements = zip(*(model_inputs(example, exposure) for example, exposure in examples), strict=True)
    inputs = (torch.stack([e.blurry for e, _ in examples]), torch.stack(blurs), torch.stack(disagreements))
    return inputs, torch.stack([e.sharp for e, _ in examples])


def parse_recipes(text: str) -> tuple[tuple[int, float], ...]:
    """``"4:0.125,2:0.25"`` → ((4, 0.125), (2, 0.25)): (keep_every, duty) pairs; "" → ()."""
    pairs = [item.split(":") for item in text.split(",") if item.strip()]
    return tuple((int(keep_every), float(duty)) for keep_every, duty in pairs)


def load_motion_data(seed: int, threads: int, extra_recipes: tuple[tuple[int, float], ...] = (),
                     extra_footage: bool = False, told_motion: str = "blurry",
                     more_footage: str = "") -> MotionData:
    """Training shots (``REAL_RECIPES``, then ``extra_recipes``; with ``extra_footage`` also the clips of
    ``splits.EXTRA_MOTION_TRAIN``; with ``more_footage`` also the named sets of ``splits.MORE_MOTION_TRAIN`` with
    ``MORE_FOOTAGE_RECIPES``; told ``told_motion``, see ``real_shots``), photos and the validation groups
    (always told the motion on the blurry keyframes, as ``deblur`` is at run time)."""
    from . import splits
    from .real import dense_segments, photo_paths, sharp_frames

    estimate = rife_estimator(threads)
    ranges = splits.motion_train_ranges(extra_footage)
    segments = dense_segments(ranges)
    shots = real_shots(segments, cache_path_names(ranges), estimate, REAL_RECIPES + extra_recipes, told_motion)
    if more_footage:
        more_ranges = splits.more_motion_ranges(more_footage)
        more = dense_segments(more_ranges)
        shots += real_shots(more, cache_path_names(more_ranges), estimate, MORE_FOOTAGE_RECIPES,
                            told_motion)
        segments = segments + more
    photos = PhotoSource(photo_paths(splits.TRAIN_PHOTOS), sharp_frames(segments))
    held_out = real_shots(dense_segments(splits.VALIDATION), cache_path_names(splits.VALIDATION), estimate,
                          recipes=(STRONG, MILD, NEAR_SHARP))
    held_out_photos = PhotoSource(photo_paths(splits.VALIDATION_PHOTOS), [])
    rng = np.random.default_rng([seed, 2**40])  # no training step draws this stream
    validation = {}
    for name, shot in (("real strong", held_out[0]), ("real mild", held_out[1])):
        examples = [real_example([shot], rng, 128) for _ in range(16)]
        validation[name] = [(batched([(e, e.exposure)])[0], e.sharp) for e in examples]
    synthetic = [synthetic_example(held_out_photos, rng, 128) for _ in range(24)]
    validation["synthetic"] = [(batched([(e, e.exposure)])[0], e.sharp) for e in synthetic]
    near_sharp = [real_example([held_out[2]], rng, 128) for _ in range(16)]  # drawn last: the groups above
    validation["real near-sharp, told 3/4"] = [(batched([(e, DEFAULT_EXPOSURE)])[0], e.sharp) for e in near_sharp]
    groups = dict(zip(("real strong", "real mild", NEAR_SHARP_GROUP), held_out, strict=True))
    return MotionData(photos, shots, validation, groups)


WHOLE_FRAME_STRIDE = 2  # validation on whole keyframes scores every second one of each held-out shot


def whole_keyframe(shot: RealShot, index: int, multiple: int = MOTION_INPUT_MULTIPLE) -> MotionExample:
    """Keyframe ``index`` of ``shot`` whole, cropped to a multiple of ``multiple`` pixels."""
    height, width = (size // multiple * multiple for size in shot.blurry.shape[1:3])

    def pixels(frames: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(frames[index, :height, :width].astype(np.float32) / 255).permute(2, 0, 1)

    motion = torch.from_numpy(shot.motion[index, :, :height, :width].astype(np.float32))
    return MotionExample(pixels(shot.blurry), pixels(shot.sharp), motion[0:2], motion[2:4], shot.exposure)


@torch.inference_mode()
def whole_frame_gains(model: nn.Module, held_out: dict[str, RealShot]) -> dict[str, float]:
    """Mean PSNR gain (dB) of ``model`` over the blurry input on whole keyframes of each held-out shot (every
    ``WHOLE_FRAME_STRIDE``-th), told the true exposure, and near-sharp input the default one, as ``deblur`` is.
    The crop groups flatter a network that reaches far: near a crop's edges the blur runs out of the crop, and a
    network can learn to repair that, which gains nothing inside a whole frame (docs/BENCHMARKS.md, "Training:
    refinement stages, a loss margin, and whole-frame validation")."""
    was_training = model.training
    model.eval()
    gains = {}
    for group, shot in held_out.items():
        near_sharp = group == NEAR_SHARP_GROUP
        told = DEFAULT_EXPOSURE if near_sharp else shot.exposure
        scores = []
        for i in range(0, len(shot.blurry), WHOLE_FRAME_STRIDE):
            inputs, sharp = batched([(whole_keyframe(shot, i), told)])
            output = model(*inputs).clamp(0, 1)
            scores.append(psnr(output.numpy(), sharp.numpy()) - psnr(inputs[0].numpy(), sharp.numpy()))
        gains[f"{group}, whole keyframes" + (", told 3/4" if near_sharp else "")] = float(np.mean(scores))
    model.train(was_training)
    return gains


def motion_batch(data: MotionData, batch: int, patch: int, synthetic_share: float, seed: int, step: int,
                 low_duty_odds: float = 0.1, overstated_odds: float = 0.0,
                 rescale_odds: float = 0.0, exact_synthetic_motion: bool = False,
                 recolour_odds: float = 0.0) -> tuple[Inputs, torch.Tensor]:
    """Batch ``step``: example i from ``default_rng([seed, step, i])``, flipped, recoloured with odds
    ``recolour_odds`` (drawn only when above 0, so older runs draw the same numbers), with a told exposure;
    synthetic examples are told their exact velocity with ``exact_synthetic_motion``, else one degraded like
    RIFE's."""
    examples = []
    for i in range(batch):
        rng = np.random.default_rng([seed, step, i])
        if rng.random() < synthetic_share:
            example = synthetic_example(data.photos, rng, patch, low_duty_odds=low_duty_odds,
                                        exact_motion=exact_synthetic_motion)
        else:
            example = real_example(data.shots, rng, patch, MOVING_CROP_ODDS, rescale_odds)
        example = flip_example(example, rng)
        if recolour_odds > 0 and rng.random() < recolour_odds:
            example = recolour(example, rng)
        examples.append((example, told_exposure(example, rng, overstated_odds)))
    return batched(examples)
