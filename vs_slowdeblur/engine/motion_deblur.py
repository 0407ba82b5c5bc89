"""Motion-told deblurring engine: a blurry frame, the motion of its adjacent pairs and the exposure → the sharp
frame.

Motion comes from the shipped RIFE network through the interpolation engine's per-pair cache, so each pair of
adjacent source frames is estimated once and serves both frames it joins. A pair's velocity (pixels per frame
interval) is F_0.5→1 − F_0.5→0, the displacement across the pair at its middle time. Frame n is told
forward = velocity of pair (n, n+1), backward = velocity of pair (n−1, n); at a clip end or a scene cut the one
side there is serves for both, and a frame with neither (a one-frame shot) is returned unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from fractions import Fraction

import torch
import vapoursynth as vs

from ..models.motiondeblur import MotionDeblurNet
from ..models.registry import get_spec
from ..options import Options
from .deblur import clamp_to_range
from .exposure import AUTO, exposure_vote
from .extraction import move_to
from .frames import frame_to_tensor, tensor_to_frame
from .interpolation import InterpolationEngine
from .padding import crop, pad_to_multiple
from .runtime import inference_context, shared_model
from .streams import StreamPool

WINDOW_PROP = "SlowdeblurWindow"  # source frame numbers a restored frame was computed from (set by deblur)


class MotionDeblurEngine:
    """Restores frame n from frames n−1, n, n+1 (``radius`` 1) and the exposure (fraction of the frame
    interval the shutter was open, or ``"auto"``: pooled from the votes of neighbouring frames, which the caller
    gathers with ``vote``; see ``engine.exposure``)."""

    radius = 1

    def __init__(self, options: Options, device: torch.device) -> None:
        self.spec = get_spec(options.deblur_model)
        self.device = device
        self.threads = options.threads
        self.precision = options.precision
        self.exposure: float | str = options.exposure if options.exposure == AUTO else float(options.exposure)
        self.model: MotionDeblurNet = shared_model(options.deblur_model, device)
        self.motion = InterpolationEngine(options, device)  # RIFE per source pair, cached
        self.streams = StreamPool(device, options.streams)  # on CUDA each restored frame borrows one

    def restore(self, indices: Sequence[int], frames: Sequence[vs.VideoFrame], out: vs.VideoFrame,
                motion_frames: Sequence[vs.VideoFrame] | None = None, exposure: float | None = None) -> float | None:
        """Write the sharp version of ``frames[1]`` (source frame ``indices[1]``) into ``out`` and return the
        exposure it was restored for; ``out`` is left as it is, and None returned, when the frame has no
        neighbour to take motion from. ``indices``/``frames``: the window
        n−1, n, n+1, a repeated number where the clip ends or a scene cut falls. ``motion_frames``: the same
        window of the clip to estimate motion on (default: ``frames``). ``exposure``: the one to restore for
        (fraction of the frame interval), required when the engine's is ``"auto"``."""
        exposure = self.exposure if exposure is None else exposure
        if not isinstance(exposure, float):
            raise ValueError('exposure="auto": pass the exposure pooled from the frames\' votes (see vote)')
        with self.context():
            velocities = self.velocities(indices, motion_frames or frames)
            if velocities is None:
                return None
            blurry = frame_to_tensor(frames[1], self.device)
            restored = self.run_model(blurry, *velocities, exposure)
            tensor_to_frame(clamp_to_range(restored, blurry), out)
            return exposure

    def vote(self, indices: Sequence[int], frames: Sequence[vs.VideoFrame],
             motion_frames: Sequence[vs.VideoFrame] | None = None) -> int | None:
        """``engine.exposure.exposure_vote`` of ``frames[1]`` (window and ``motion_frames`` as for ``restore``):
        the index of the candidate exposure that best explains it, None where it has no neighbour or no motion."""
        with self.context():
            velocities = self.velocities(indices, motion_frames or frames)
            if velocities is None:
                return None
            return exposure_vote(self.run_model, frame_to_tensor(frames[1], self.device), *velocities)

    def velocities(self, indices: Sequence[int], motion_frames: Sequence[vs.VideoFrame]
                   ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """(forward, backward) velocities of frame ``indices[1]`` (each (1, 2, H, W), pixels per frame interval)
        from its window ``indices`` of ``motion_frames``; one side serves for both at a clip end or a cut, and
        None comes back when the frame has no neighbour. Call inside the engine's inference context."""
        (previous, centre, following) = indices
        frame0, frame1, frame2 = motion_frames
        velocities = []
        if following != centre:
            velocities.append(self.pair_velocity(centre, frame1, frame2))
        if previous != centre:
            velocities.append(self.pair_velocity(previous, frame0, frame1))
        return (velocities[0], velocities[-1]) if velocities else None

    def write_moved(self, restored: vs.VideoFrame, n: int, motion_frames: Sequence[vs.VideoFrame], offset: float,
                    out: vs.VideoFrame, blend_with: vs.VideoFrame | None = None, share: float = 1.0) -> bool:
        """Write restored frame n (working format, with deblur's ``SlowdeblurWindow`` prop) moved ``offset`` frame
        intervals along its motion (``engine.extraction.move_to``) into ``out``; with ``blend_with``, write
        ``share`` of the moved frame and 1 − share of that frame instead. ``motion_frames``: frames n−1, n, n+1 of
        the clip the motion is estimated on. Returns False, leaving ``out`` alone, when n has no neighbour."""
        indices = list(restored.props[WINDOW_PROP])
        with self.context():
            velocities = self.velocities(indices, [motion_frames[i - n + 1] for i in indices])
            if velocities is None:
                return False
            moved = move_to(frame_to_tensor(restored, self.device), *velocities, offset)
            if blend_with is not None:
                moved = torch.lerp(frame_to_tensor(blend_with, self.device), moved, share)
            tensor_to_frame(moved, out)
        return True

    def write_gap_blend(self, pair: int, t: Fraction, motion_frames: Sequence[vs.VideoFrame],
                        interpolated: vs.VideoFrame, out: vs.VideoFrame, share: float) -> None:
        """Write into ``out`` the frame ``interpolated`` (time t of source pair ``pair``, made from the restored
        frames) blended with ``share`` of the frame interpolated at t between the pair's ``motion_frames`` (the
        clip the motion is estimated on, whose pair motion deblur has cached)."""
        with self.context():
            unrestored = self.motion.frame_at(pair, t, *motion_frames)
            tensor_to_frame(torch.lerp(frame_to_tensor(interpolated, self.device), unrestored, share), out)

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        """The stream and inference context every model call of this engine runs in (entered in the callback's
        own thread)."""
        with self.streams.acquire(), inference_context(self.device, self.threads, self.precision):
            yield

    def pair_velocity(self, pair: int, frame0: vs.VideoFrame, frame1: vs.VideoFrame) -> torch.Tensor:
        """(1, 2, H, W) velocity of source pair (pair, pair+1) in pixels per frame interval."""
        motion = self.motion.pair_motion(pair, frame0, frame1)
        return crop(motion.flow[:, 2:4] - motion.flow[:, 0:2], frame0.height, frame0.width)

    def run_model(self, blurry: torch.Tensor, forward: torch.Tensor, backward: torch.Tensor,
                  exposure: float) -> torch.Tensor:
        """The network on a (1, 3, H, W) frame and its (1, 2, H, W) velocities (pixels per frame interval) over
        ``exposure`` frame intervals, padded to its input multiple."""
        height, width = blurry.shape[-2:]
        blur = (forward + backward) / 2 * exposure
        disagreement = (forward - backward).norm(dim=1, keepdim=True) * exposure
        padded = [pad_to_multiple(t, self.spec.input_multiple, "replicate") for t in (blurry, blur, disagreement)]
        return crop(self.model(*padded), height, width)
