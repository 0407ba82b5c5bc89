"""Interpolation engine: one network pass per source pair, cached, then any number of in-between frames."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from fractions import Fraction

import torch
import vapoursynth as vs

from ..models.interpolator import PairMotion, RifeInterpolator
from ..models.registry import get_spec
from ..options import Options
from .frames import frame_to_tensor, tensor_to_frame
from .heap import outside_heap
from .padding import crop, pad_to_multiple, padded_size
from .pair_cache import PairCache
from .runtime import inference_context, shared_model
from .streams import StreamPool, finish_current_stream, record_on_current_stream
from .tiling import DEFAULT_TILE, OomFallback, TilePlan, estimate_tiled

EXACT_MAX_DEPTH = 3  # exact timing estimates motion on intervals of 1, 1/2 and 1/4 of a source interval:
# t at a multiple of 1/8 is a midpoint; any other t is re-timed within its 1/4 interval


class InterpolationEngine:
    """Turns a source pair (two working-format frames) into the frame at time t, caching pair motion."""

    def __init__(self, options: Options, device: torch.device) -> None:
        spec = get_spec(options.model)
        self.device = device
        self.threads = options.threads
        self.exact = options.timing == "exact"
        self.precision = options.precision
        scale = options.model_scale
        self.multiple = max(spec.input_multiple, int(spec.input_multiple / scale))
        self.interpolator = RifeInterpolator(shared_model(options.model, device), (4 / scale, 2 / scale, 1 / scale))
        self.cache: PairCache[PairMotion] = PairCache(options.cache_bytes)
        tile = options.tile or DEFAULT_TILE
        tile = padded_size(tile, tile, self.multiple)[0]  # rounded up to the multiple
        self.tiles = TilePlan(tile, options.tile_overlap, self.multiple)
        self.oom = OomFallback()  # tile=0: whole frames, and tiles from the first out-of-memory error on
        self.oom.tiled = bool(options.tile)
        self.streams = StreamPool(device, options.streams)  # on CUDA each frame borrows one; on the CPU none

    def render(self, pair: int, t: Fraction, frame0: vs.VideoFrame, frame1: vs.VideoFrame,
               out: vs.VideoFrame) -> None:
        """Write the frame at fraction t of source pair ``pair`` (frames ``frame0``, ``frame1``) into ``out``."""
        with self.streams.acquire(), inference_context(self.device, self.threads, self.precision):
            tensor_to_frame(self.frame_at(pair, t, frame0, frame1), out)

    def frame_at(self, pair: int, t: Fraction, frame0: vs.VideoFrame, frame1: vs.VideoFrame) -> torch.Tensor:
        """(1, C, H, W): the frame at fraction t of source pair ``pair``. Call inside the engine's inference
        context."""
        padded = self._exact_frame(pair, t, frame0, frame1) if self.exact else \
            self.interpolator.synthesize(self.pair_motion(pair, frame0, frame1), float(t))
        return crop(padded, frame0.height, frame0.width)

    def _load(self, frame: vs.VideoFrame) -> torch.Tensor:
        return pad_to_multiple(frame_to_tensor(frame, self.device), self.multiple)

    def prefetch(self, pair: int, frame0: vs.VideoFrame, frame1: vs.VideoFrame) -> None:
        """Estimate source pair ``pair``'s motion into the cache ahead of the frames that need it, in the same
        precision and inference mode as ``render`` (so the output does not depend on who estimated it)."""
        with self.streams.acquire(), inference_context(self.device, self.threads, self.precision):
            self.pair_motion(pair, frame0, frame1)

    def pair_motion(self, pair: int, frame0: vs.VideoFrame, frame1: vs.VideoFrame) -> PairMotion:
        """Source pair ``pair``'s motion (frames padded to the multiple), estimated once and cached."""
        key = (pair, Fraction(0), Fraction(1))
        return self._cached(key, lambda: self._estimate(self._load(frame0), self._load(frame1)))

    def _cached_estimate(self, key: tuple[int, Fraction, Fraction], frame0: torch.Tensor,
                         frame1: torch.Tensor) -> PairMotion:
        return self._cached(key, lambda: self._estimate(frame0, frame1))

    def _cached(self, key: tuple[int, Fraction, Fraction], compute: Callable[[], PairMotion]) -> PairMotion:
        """The cache's entry for ``key``; its tensors may come from another thread's stream, so the allocator is
        told they are read on this one (on CUDA)."""
        motion = self.cache.get(key, compute)
        record_on_current_stream(motion.frame0, motion.frame1, motion.flow, motion.mask_logits)
        return motion

    def _estimate(self, frame0: torch.Tensor, frame1: torch.Tensor) -> PairMotion:
        motion = self.oom(lambda: self.interpolator.estimate(frame0, frame1),
                          lambda: estimate_tiled(self.interpolator, frame0, frame1, self.tiles))
        if self.device.type == "cpu":  # it outlives many model calls in the cache: out of malloc's arenas
            motion = PairMotion(**{field.name: outside_heap(getattr(motion, field.name)) for field in fields(motion)})
        finish_current_stream(self.device)  # complete before it is cached: other threads read it at once
        return motion

    def _exact_frame(self, pair: int, t: Fraction, frame0: vs.VideoFrame, frame1: vs.VideoFrame) -> torch.Tensor:
        """Recursive bisection: midpoints become new keyframes until t is a midpoint or the depth limit."""
        low, high = Fraction(0), Fraction(1)
        motion = self.pair_motion(pair, frame0, frame1)
        for depth in range(EXACT_MAX_DEPTH):
            middle = (low + high) / 2
            if t == middle or depth == EXACT_MAX_DEPTH - 1:
                return self.interpolator.synthesize(motion, float((t - low) / (high - low)))
            keyframe = self.interpolator.synthesize(motion, 0.5)
            if t < middle:
                motion, high = self._cached_estimate((pair, low, middle), motion.frame0, keyframe), middle
            else:
                motion, low = self._cached_estimate((pair, middle, high), keyframe, motion.frame1), middle
        raise AssertionError("unreachable")
