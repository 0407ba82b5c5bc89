"""Exact synthetic motion blur: a photo background and one or more cut-out foreground layers move along random
smooth trajectories (the camera optionally shaking); each blurry frame is the mean of renders at many sub-frame
times inside its exposure, and the sharp target is the render at the centre frame's time, so the ground truth is exact.

Times are in frame intervals (the centre frame is at t = 0, neighbour k at t = k); positions in pixels.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

MAX_SUBFRAMES = 24


@dataclass(frozen=True)
class Shake:
    """Hand shake added to a trajectory: A·sin(2π·f·t + φ) on each axis (pixels, cycles per frame, radians)."""

    amplitude: tuple[float, float]
    frequency: float
    phase: tuple[float, float]


@dataclass(frozen=True)
class Trajectory:
    """Layer motion: position offset v·t + a·t²/2 (+ shake) (pixels), rotation ω·t (radians), zoom (1 + z·t)."""

    velocity: tuple[float, float]
    acceleration: tuple[float, float]
    rotation: float
    zoom: float
    shake: Shake | None = None

    def speed_bound(self, size: int) -> float:
        """An upper bound of any pixel's speed (pixels per frame) over |t| ≤ 2 for a size×size patch."""
        corner = size / math.sqrt(2)
        shaking = 2 * math.pi * self.shake.frequency * math.hypot(*self.shake.amplitude) if self.shake else 0.0
        return (math.hypot(*self.velocity) + 2 * math.hypot(*self.acceleration)
                + corner * (abs(self.rotation) + abs(self.zoom)) + shaking)

    def shake_offset(self, t: torch.Tensor) -> tuple[torch.Tensor | float, torch.Tensor | float]:
        """The shake's position offset (x, y) in pixels at times ``t`` (frames); 0 without shake."""
        if not self.shake:
            return 0.0, 0.0
        (sx, sy), (px, py), omega = self.shake.amplitude, self.shake.phase, 2 * math.pi * self.shake.frequency
        return sx * torch.sin(omega * t + px), sy * torch.sin(omega * t + py)


def random_trajectory(rng: np.random.Generator, max_speed: float, max_shake: float = 0.0) -> Trajectory:
    """A random smooth trajectory up to ``max_speed`` pixels per frame; with ``max_shake`` > 0 (pixels), half of
    them also shake with up to that amplitude at 0.25–1 cycles per frame."""
    speed = rng.uniform(0, 2) if rng.random() < 0.15 else rng.uniform(1, max_speed)
    angle = rng.uniform(0, 2 * math.pi)
    curvature = rng.uniform(0, 0.3) * speed
    turn = rng.uniform(0, 2 * math.pi)
    shake = None
    if max_shake > 0 and rng.random() < 0.5:
        shake = Shake(amplitude=tuple(rng.uniform(0, max_shake, 2)), frequency=rng.uniform(0.25, 1.0),
                      phase=tuple(rng.uniform(0, 2 * math.pi, 2)))
    return Trajectory(velocity=(speed * math.cos(angle), speed * math.sin(angle)),
                      acceleration=(curvature * math.cos(turn), curvature * math.sin(turn)),
                      rotation=rng.normal(0, 0.01), zoom=rng.normal(0, 0.01), shake=shake)


def sampling_grid(trajectory: Trajectory, times: torch.Tensor, size: int, source_size: int) -> torch.Tensor:
    """grid_sample grids (T, size, size, 2) that place a size×size view at the centre of a source_size² image,
    moved along ``trajectory`` at each time in ``times``."""
    t = times.view(-1, 1, 1)
    coords = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    ys, xs = torch.meshgrid(coords, coords, indexing="ij")
    angle, scale = trajectory.rotation * t, 1 + trajectory.zoom * t
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    (vx, vy), (ax, ay) = trajectory.velocity, trajectory.acceleration
    shake_x, shake_y = trajectory.shake_offset(t)
    source_x = cos * xs - sin * ys + vx * t + ax * t * t / 2 + shake_x
    source_y = sin * xs + cos * ys + vy * t + ay * t * t / 2 + shake_y
    normalise = 2 / source_size  # align_corners=False: pixel centre p ↦ (2p + 1) / size − 1, centred here
    return torch.stack([source_x * normalise, source_y * normalise], dim=-1)


def soft_ellipse(size: int, rng: np.random.Generator, spread: float = 1 / 8) -> torch.Tensor:
    """A (1, size, size) alpha mask: a random ellipse with a 1–2 pixel soft edge, its centre within
    ±spread·size of the image centre."""
    coords = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    ys, xs = torch.meshgrid(coords, coords, indexing="ij")
    cx, cy = rng.uniform(-size * spread, size * spread, 2)
    rx, ry = rng.uniform(size / 10, size / 4, 2)
    theta = rng.uniform(0, math.pi)
    u = ((xs - cx) * math.cos(theta) + (ys - cy) * math.sin(theta)) / rx
    v = (-(xs - cx) * math.sin(theta) + (ys - cy) * math.cos(theta)) / ry
    distance = (torch.sqrt(u * u + v * v) - 1) * min(rx, ry)  # ≈ pixels outside the edge
    return torch.clamp(0.5 - distance / rng.uniform(1, 2), 0, 1).unsqueeze(0)


def exposure_times(window_radius: int, duty: float, subframes: int) -> torch.Tensor:
    """Midpoint sub-frame times of each window frame's exposure k ± duty/2: shape (2r+1, subframes)."""
    offsets = (torch.arange(subframes, dtype=torch.float32) + 0.5) / subframes - 0.5
    centres = torch.arange(-window_radius, window_radius + 1, dtype=torch.float32)
    return centres.view(-1, 1) + duty * offsets.view(1, -1)


@dataclass(frozen=True)
class Degradation:
    noise_sigma: float  # Gaussian noise, RGB units in [0, 1]
    jpeg_quality: int | None  # None: no compression (only 8-bit quantisation)


def random_degradation(rng: np.random.Generator) -> Degradation:
    sigma = rng.uniform(0, 0.015) if rng.random() < 0.5 else 0.0
    quality = int(rng.integers(55, 96)) if rng.random() < 0.3 else None
    return Degradation(sigma, quality)


def degrade(frame: torch.Tensor, degradation: Degradation, rng: np.random.Generator) -> torch.Tensor:
    """Noise, then 8-bit quantisation or JPEG, of a (3, H, W) frame in [0, 1]."""
    if degradation.noise_sigma:
        noise = torch.from_numpy(rng.normal(0, degradation.noise_sigma, frame.shape).astype(np.float32))
        frame = frame + noise
    pixels = (frame.clamp(0, 1) * 255).round().to(torch.uint8)
    if degradation.jpeg_quality is not None:
        buffer = io.BytesIO()
        Image.fromarray(pixels.permute(1, 2, 0).numpy()).save(buffer, "JPEG", quality=degradation.jpeg_quality)
        pixels = torch.from_numpy(np.asarray(Image.open(buffer).convert("RGB")).copy()).permute(2, 0, 1)
    return pixels.float() / 255


class PhotoSource:
    """Random square crops (C, S, S) in [0, 1] of RGB photos and of sharp video frames."""

    def __init__(self, photo_paths: list[Path], frames: list[np.ndarray]) -> None:
        images = [np.asarray(Image.open(path).convert("RGB")) for path in photo_paths]
        self.images = [torch.from_numpy(np.array(i)).permute(2, 0, 1) for i in images + frames]

    def crop(self, rng: np.random.Generator, size: int) -> torch.Tensor:
        image = self.images[int(rng.integers(len(self.images)))]
        height, width = image.shape[-2:]
        zoom = rng.uniform(0.5, 1.0) if min(height, width) >= 2 * size else 1.0
        side = min(int(size / zoom), height, width)
        top, left = int(rng.integers(height - side + 1)), int(rng.integers(width - side + 1))
        patch = shrink(image[:, top:top + side, left:left + side].float() / 255, size)
        if rng.random() < 0.5:
            patch = patch.flip(-1)
        return patch


def shrink(image: torch.Tensor, size: int) -> torch.Tensor:
    """(C, S, S) → (C, size, size), bilinear with antialiasing; unchanged when already that size."""
    if image.shape[-1] == size:
        return image
    return F.interpolate(image[None], size=(size, size), mode="bilinear", antialias=True, align_corners=False)[0]


def synthetic_window(source: PhotoSource, rng: np.random.Generator, patch: int, window_radius: int,
                     max_speed: float = 24.0, max_layers: int = 1,
                     max_shake: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """One training example: blurry window (2r+1, 3, patch, patch) and the exact sharp centre (3, patch, patch).
    ``max_layers`` > 1 draws 1..max_layers cut-out layers, each moving on its own, composited back to front;
    ``max_shake`` (pixels) lets the camera shake (see ``random_trajectory``)."""
    margin = math.ceil((max_speed + 2 * math.pi * max_shake) * (window_radius + 1)) + 8  # reflection padding
    source_size = patch + 2 * margin                                                    # covers rare overshoots
    background, foreground = source.crop(rng, source_size), source.crop(rng, source_size)
    alpha = soft_ellipse(source_size, rng) if rng.random() < 0.7 else torch.zeros(1, source_size, source_size)
    layers = [torch.cat([foreground, alpha]).unsqueeze(0)]
    camera, movers = random_trajectory(rng, max_speed, max_shake), [random_trajectory(rng, max_speed)]
    extra_layers = int(rng.integers(max_layers)) if max_layers > 1 else 0  # no draw for the one-layer recipe
    for _ in range(extra_layers):
        layers.append(torch.cat([source.crop(rng, source_size), soft_ellipse(source_size, rng, 1 / 4)]).unsqueeze(0))
        movers.append(random_trajectory(rng, max_speed))
    duty = rng.uniform(0.3, 1.0)
    fastest = max(trajectory.speed_bound(patch) for trajectory in [camera, *movers])
    subframes = int(min(MAX_SUBFRAMES, max(4, math.ceil(duty * fastest * 1.5))))
    times = torch.cat([exposure_times(window_radius, duty, subframes).flatten(), torch.zeros(1)])

    def render(trajectory: Trajectory, image: torch.Tensor) -> torch.Tensor:
        grid = sampling_grid(trajectory, times, patch, source_size)
        return F.grid_sample(image.expand(len(times), -1, -1, -1), grid, mode="bilinear",
                             padding_mode="reflection", align_corners=False)

    frames = render(camera, background.unsqueeze(0))
    for mover, layer in zip(movers, layers, strict=True):
        front = render(mover, layer)
        weight = front[:, 3:]
        frames = frames * (1 - weight) + front[:, :3] * weight
    sharp = frames[-1]
    blurry = frames[:-1].view(2 * window_radius + 1, subframes, 3, patch, patch).mean(1)
    degradation = random_degradation(rng)
    window = torch.stack([degrade(frame, degradation, rng) for frame in blurry])
    return window, sharp.clamp(0, 1)
