"""Parity with the reference RIFE HDv3 implementation, same weights, on real frames of two public clips.

tests/data/rife_parity.npz holds inputs, ground truth and the reference's t=0.5 output (and flows), computed
once by a throwaway script outside the repository from the official code.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import clip_from_arrays, planes, psnr

import vs_slowdeblur
from vs_slowdeblur.engine.padding import crop, pad_to_multiple
from vs_slowdeblur.models.registry import create_model

DATA = np.load(Path(__file__).parent / "data" / "rife_parity.npz")
META = json.loads(str(DATA["meta"]))
CASES = sorted({key.rsplit("_", 1)[0] for key in DATA.files if key.endswith("_ref")})


def _case(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    frame0, frame1, truth = (DATA[f"{name}_{part}"].astype(np.float32) / 255 for part in ("frame0", "frame1", "truth"))
    return frame0, frame1, truth, DATA[f"{name}_ref"].astype(np.float32)


def test_cases_cover_two_clips() -> None:
    assert {name.split("_")[0] for name in CASES} == {"bikes", "carphone"}


@pytest.mark.parametrize("name", CASES)
def test_middle_frame_matches_reference(name: str) -> None:
    frame0, frame1, truth, reference = _case(name)
    out = vs_slowdeblur.interpolate(clip_from_arrays([frame0, frame1]), 2, device="cpu")
    ours = planes(out.get_frame(1))
    # Within 0.05 dB of the reference's score against the real frame, and nearly identical pixels.
    assert abs(psnr(np.clip(ours, 0, 1), truth) - psnr(np.clip(reference, 0, 1), truth)) < 0.05
    assert psnr(ours, reference) > 50


@pytest.mark.parametrize("name", [n for n in CASES if f"{n}_flow" in DATA.files])
def test_flow_matches_reference(name: str) -> None:
    frame0, frame1, _, _ = _case(name)
    network = create_model("rife-hdv3")
    height, width = frame0.shape[1:]
    with torch.inference_mode():
        flow, _ = network(pad_to_multiple(torch.from_numpy(frame0)[None], 32),
                          pad_to_multiple(torch.from_numpy(frame1)[None], 32))
    ours = crop(flow, height, width)[0].numpy()
    reference = DATA[f"{name}_flow"].astype(np.float32)
    assert np.abs(ours - reference).mean() < 0.01  # pixels
