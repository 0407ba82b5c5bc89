"""Deblurring engine: a window of 2r+1 blurry frames → the sharp centre frame.

Each source frame is encoded once and its features are kept in the shared byte-bounded cache (the same
``PairCache`` the interpolation engine uses), so a frame's encoding serves every window it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import torch
import vapoursynth as vs

from ..models.deblurnet import WindowDeblurNet
from ..models.registry import get_spec
from ..options import Options
from .frames import frame_to_tensor, tensor_to_frame
from .padding import crop, pad_to_multiple
from .pair_cache import PairCache
from .runtime import inference_context, shared_model
from .streams import StreamPool, finish_current_stream, record_on_current_stream


@dataclass(frozen=True)
class EncodedFrame:
    """A frame's half- and quarter-resolution encoder features: all it gives a window as a neighbour. The
    full-resolution ones (60% of the bytes) are recomputed when the frame is the centre, so that the cache
    holds a whole window at 1080p (64 bytes per pixel; all features and pixels took 172)."""

    half: torch.Tensor
    quarter: torch.Tensor

    @property
    def nbytes(self) -> int:
        return sum(t.element_size() * t.nelement() for t in (self.half, self.quarter))


class DeblurEngine:
    """Restores the centre frame of a window; caches per-frame encodings by source frame number."""

    def __init__(self, options: Options, device: torch.device) -> None:
        self.spec = get_spec(options.deblur_model)
        self.device = device
        self.threads = options.threads
        # "auto" is float32 here: in bfloat16 this network lost up to 2.5 dB on mild blur (docs/BENCHMARKS.md)
        self.precision = "fp32" if options.precision == "auto" else options.precision
        self.model: WindowDeblurNet = shared_model(options.deblur_model, device)
        self.cache: PairCache[EncodedFrame] = PairCache(options.cache_bytes)
        self.radius = options.window  # frames on each side of the centre
        self.least_entries = 2 * options.window + 1 + vs.core.num_threads  # see _cached
        self.streams = StreamPool(device, options.streams)  # on CUDA each restored frame borrows one

    def restore(self, indices: Sequence[int], frames: Sequence[vs.VideoFrame], out: vs.VideoFrame) -> None:
        """Write the sharp version of the window's centre frame into ``out``.

        ``indices``/``frames``: source frame numbers and working-format frames of the window, centre in the
        middle; a repeated number (edge or scene cut) means the same frame, encoded once.
        """
        middle = len(frames) // 2
        with self.streams.acquire(), inference_context(self.device, self.threads, self.precision):
            pixels = self._pixels(frames[middle])
            full = None

            def encode_centre() -> EncodedFrame:  # on a cache miss the centre's full stage is kept, not rerun
                nonlocal full
                full, half, quarter = self.model.encode(pixels)
                return EncodedFrame(half, quarter)

            encoded: dict[int, EncodedFrame] = {}
            for index, frame in zip(indices, frames, strict=True):  # in window order, which LRU eviction suits
                if index not in encoded:
                    compute = encode_centre if index == indices[middle] else partial(self._encode, frame)
                    # a one-frame window (window=0) skips the cache: no other window uses its encoding
                    encoded[index] = self._cached(index, compute) if len(indices) > 1 else compute()
            centre = encoded[indices[middle]]
            full = self.model.encode_full(pixels) if full is None else full
            neighbours = [(encoded[i].half, encoded[i].quarter) for k, i in enumerate(indices) if k != middle]
            restored = self.model.restore(pixels, (full, centre.half, centre.quarter), neighbours)
            tensor_to_frame(crop(clamp_to_range(restored, pixels), out.height, out.width), out)

    def _pixels(self, frame: vs.VideoFrame) -> torch.Tensor:
        return pad_to_multiple(frame_to_tensor(frame, self.device), self.spec.input_multiple, "replicate")

    def _encode(self, frame: vs.VideoFrame) -> EncodedFrame:
        _, half, quarter = self.model.encode(self._pixels(frame))
        return EncodedFrame(half, quarter)

    def _cached(self, index: int, compute: Callable[[], EncodedFrame]) -> EncodedFrame:
        """Source frame ``index``'s encoding, from the cache or computed and stored.

        Before storing, the cache's bound is raised, if need be, to one window plus one frame per VapourSynth
        thread. A smaller cache saves no memory, as concurrent windows hold those encodings anyway, and it
        re-encodes frames for every window (4K with the 512 MiB default)."""

        def compute_within_bound() -> EncodedFrame:
            encoded = compute()
            finish_current_stream(self.device)  # complete before it is cached: other threads read it at once
            self.cache.max_bytes = max(self.cache.max_bytes, encoded.nbytes * self.least_entries)
            return encoded

        encoded = self.cache.get(index, compute_within_bound)
        record_on_current_stream(encoded.half, encoded.quarter)  # maybe made on another thread's stream
        return encoded


def clamp_to_range(restored: torch.Tensor, blurry: torch.Tensor) -> torch.Tensor:
    """``restored`` clamped to [0, 1], widened per pixel to include the blurry input's value: limited-range
    sources reach past [0, 1] in float RGB (super-whites, out-of-gamut colours), and a pixel the model leaves
    alone must come back unchanged."""
    return torch.clamp(restored, torch.clamp(blurry, max=0), torch.clamp(blurry, min=1))


def window_indices(centre: int, radius: int, num_frames: int, cut_after: Callable[[int], bool]) -> list[int]:
    """Source frame numbers of the window around ``centre`` (2·radius + 1 of them). The window never reaches
    past the clip's ends or across a scene cut (``cut_after(i)``: a cut between frames i and i+1): the last
    frame on the centre's side of the boundary is repeated instead."""
    indices = [centre] * (2 * radius + 1)
    for direction in (-1, 1):
        current = centre
        for step in range(1, radius + 1):
            candidate = current + direction  # once blocked, every later step is blocked the same way
            if 0 <= candidate < num_frames and not cut_after(min(current, candidate)):
                current = candidate
            indices[radius + direction * step] = current
    return indices
