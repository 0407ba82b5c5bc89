"""Training of the built-in deblurring models (``python -m vs_slowdeblur.train deblur [--model NAME]``).

Seeded and resumable: example ``i`` of step ``s`` is drawn from ``default_rng([seed, s, i])``, so a resumed run
sees the same data as an uninterrupted one. A checkpoint (model, optimiser, step) is written atomically every
``checkpoint_every`` steps; the final weights and a metadata JSON go to ``export``.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..models.deblurnet import WindowDeblurNet
from ..models.exposurenet import ExposureNet
from ..models.motiondeblur import MotionDeblurNet
from ..quality import psnr
from ..wheelfetch import sha256_of
from . import exposure, motion, splits
from .real import dense_segments, photo_paths, real_window, sharp_frames
from .synthetic import PhotoSource, synthetic_window


@dataclass(frozen=True)
class TrainConfig:
    model: str = "window-deblur"  # which network (RECIPES); the shipped window-deblur run predates this key
    steps: int = 1700
    batch: int = 8
    patch: int = 96  # pixels
    learning_rate: float = 3e-4
    final_learning_rate: float = 1e-5
    synthetic_share: float = 0.5  # fraction of each batch from exact synthetic blur, the rest from real clips
    synthetic_layers: int = 1  # most cut-out layers in a synthetic example (each moves on its own)
    synthetic_shake: float = 0.0  # largest camera-shake amplitude in synthetic examples (pixels); 0: none
    wide_window_every: int = 5  # every n-th step trains window radius 2 instead of 1
    edge_replicate_odds: float = 0.1  # a neighbour replaced by the centre frame, as at clip edges / scene cuts
    low_duty_odds: float = 0.1  # motion-deblur: synthetic examples with a short exposure (0.05–0.3)
    overstated_odds: float = 0.0  # motion-deblur: examples told an exposure between the true one and 1
    extra_real_recipes: str = ""  # motion-deblur: more real shots, "keep_every:duty,…" (e.g. near-sharp 4:0.125)
    real_rescale_odds: float = 0.0  # motion-deblur: real crops shrunk by a random scale this often
    extra_footage: bool = False  # motion-deblur: also train on the clips of splits.EXTRA_MOTION_TRAIN
    # motion-deblur: "blurry": told RIFE's motion on the blurry keyframes (real) or a degraded copy of the true
    # velocity (synthetic), as at run time; "sharp": RIFE's motion on the real sharp frames / the exact velocity
    told_motion: str = "blurry"
    recolour_odds: float = 0.0  # motion-deblur: examples given a random colour change (motion.recolour)
    more_footage: str = ""  # motion-deblur: also train on these sets of splits.MORE_MOTION_TRAIN, "name,…"
    loss_margin: int = 0  # pixels at each crop edge left out of the loss (context only: blur reaches past edges)
    init_sha256: str = ""  # start from these weights (the run in the metadata's "parent"), not from scratch
    seed: int = 20261121
    threads: int = 2
    checkpoint_every: int = 100
    validate_every: int = 250


@dataclass
class Data:
    segments: list[np.ndarray]
    photos: PhotoSource
    validation: dict[str, list[tuple[torch.Tensor, torch.Tensor]]]  # group name → (window, sharp target)


def load_data(config: TrainConfig) -> Data:
    train_segments = dense_segments(splits.TRAIN)
    photos = PhotoSource(photo_paths(splits.TRAIN_PHOTOS), sharp_frames(train_segments))
    validation_segments = dense_segments(splits.VALIDATION)
    held_out_photos = PhotoSource(photo_paths(splits.VALIDATION_PHOTOS), [])
    rng = np.random.default_rng([config.seed, 2**40])  # no training step draws this stream
    validation = {name: [real_window(validation_segments, rng, 128, 1, keep_every=k, duty=d) for _ in range(12)]
                  for name, k, d in (("real strong", 4, 0.75), ("real mild", 1, 7 / 8))}
    validation["synthetic"] = [synthetic_window(held_out_photos, rng, 128, 1) for _ in range(24)]
    return Data(train_segments, photos, validation)


def make_batch(data: Data, config: TrainConfig, step: int) -> tuple[tuple[torch.Tensor], torch.Tensor]:
    radius = 2 if config.wide_window_every and step % config.wide_window_every == 0 else 1
    windows, targets = [], []
    for i in range(config.batch):
        rng = np.random.default_rng([config.seed, step, i])
        if rng.random() < config.synthetic_share:
            window, target = synthetic_window(data.photos, rng, config.patch, radius,
                                              max_layers=config.synthetic_layers, max_shake=config.synthetic_shake)
        else:
            window, target = real_window(data.segments, rng, config.patch, radius)
        window, target = augment(window, target, rng, config.edge_replicate_odds)
        windows.append(window)
        targets.append(target)
    return (torch.stack(windows),), torch.stack(targets)


def augment(window: torch.Tensor, target: torch.Tensor, rng: np.random.Generator,
            replicate_odds: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Flips, transposition, time reversal, colour-channel order, and edge replication of neighbours."""
    if rng.random() < 0.5:
        window, target = window.flip(-1), target.flip(-1)
    if rng.random() < 0.5:
        window, target = window.flip(-2), target.flip(-2)
    if rng.random() < 0.5:
        window, target = window.transpose(-1, -2), target.transpose(-1, -2)
    if rng.random() < 0.5:
        window = window.flip(0)
    order = torch.from_numpy(rng.permutation(3))
    window, target = window[:, order], target[order]
    middle = len(window) // 2
    window = window.clone()
    for k in range(len(window)):
        if k != middle and rng.random() < replicate_odds:
            window[k] = window[middle]
    return window.contiguous(), target.contiguous()


def charbonnier(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.sqrt((output - target) ** 2 + 1e-6).mean()


def learning_rate(config: TrainConfig, step: int) -> float:
    warmup = 200
    if step < warmup:
        return config.learning_rate * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, config.steps - warmup))
    cosine = 0.5 * (1 + math.cos(math.pi * progress))
    return config.final_learning_rate + (config.learning_rate - config.final_learning_rate) * cosine


@torch.inference_mode()
def window_psnrs(model: WindowDeblurNet,
                 examples: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[np.ndarray, np.ndarray]:
    """Per window: PSNR (dB) of the blurry centre frame and of the model's output against the sharp target."""
    return example_psnrs(model, [((window.unsqueeze(0),), target) for window, target in examples],
                         lambda inputs: inputs[0][0, inputs[0].shape[1] // 2])


@torch.inference_mode()
def example_psnrs(model: nn.Module, examples: list[tuple[tuple[torch.Tensor, ...], torch.Tensor]],
                  blurry_of: Callable[[tuple[torch.Tensor, ...]], torch.Tensor]) -> tuple[np.ndarray, np.ndarray]:
    """Per example (batched model inputs, sharp target): PSNR (dB) of the blurry frame (``blurry_of(inputs)``)
    and of the model's output against the target."""
    before, after = [], []
    for inputs, target in examples:
        output = model(*inputs)[0].clamp(0, 1)
        before.append(psnr(blurry_of(inputs).numpy(), target.numpy()))
        after.append(psnr(output.numpy(), target.numpy()))
    return np.array(before), np.array(after)


def validate(model: nn.Module, groups: dict[str, list], scorer: Callable = window_psnrs) -> dict:
    """Mean PSNR (dB) of the blurry frames and of the model's output over all validation examples, and the
    gain per group: the overall mean once hid that real strong blur got worse while the rest improved.
    ``scorer(model, examples)``: per-example PSNRs before and after."""
    model.eval()
    scores = {name: scorer(model, examples) for name, examples in groups.items()}
    model.train()
    return {"validation_blurry_psnr": float(np.concatenate([b for b, _ in scores.values()]).mean()),
            "validation_psnr": float(np.concatenate([a for _, a in scores.values()]).mean()),
            "validation_gain_db": {name: float(a.mean() - b.mean()) for name, (b, a) in scores.items()}}


def restoration_loss(model: nn.Module, inputs: tuple[torch.Tensor, ...], targets: torch.Tensor,
                     config: TrainConfig) -> torch.Tensor:
    """Charbonnier loss of the output, without ``config.loss_margin`` pixels at each edge of the crop: near an
    edge the blur's other end lies outside the crop, which a whole frame never lacks."""
    inner = (..., slice(config.loss_margin, targets.shape[-2] - config.loss_margin),
             slice(config.loss_margin, targets.shape[-1] - config.loss_margin))
    return charbonnier(model(*inputs)[inner], targets[inner])


def describe_gains(scores: dict) -> str:
    gains = ", ".join(f"{name} {gain:+.2f}" for name, gain in
                      {**scores["validation_gain_db"], **scores.get("validation_whole_frame_gain_db", {})}.items())
    return (f"validation PSNR {scores['validation_psnr']:.2f} dB (blurry input {scores['validation_blurry_psnr']:.2f}"
            f" dB; gain per group, dB: {gains})")


def describe_exposure_errors(scores: dict) -> str:
    return "validation |log2 error| (median estimate) per shot: " + ", ".join(
        f"{name} {error:.2f} ({scores['validation_median_exposure'][name]:.2f})"
        for name, error in scores["validation_log2_error"].items())


@dataclass(frozen=True)
class Recipe:
    """What training one network takes: build it, load its data, draw batch ``step`` (model inputs, target),
    its loss, score its validation set, describe the scores for the log and its data for the metadata."""

    build: Callable[[], nn.Module]
    load_data: Callable[[TrainConfig], Any]
    make_batch: Callable[[Any, TrainConfig, int], tuple[tuple[torch.Tensor, ...], torch.Tensor]]
    validate: Callable[[nn.Module, Any], dict]
    data_recipe: Callable[[TrainConfig], dict]
    loss: Callable[[nn.Module, tuple[torch.Tensor, ...], torch.Tensor, TrainConfig], torch.Tensor] = restoration_loss
    describe: Callable[[dict], str] = describe_gains


def window_data_recipe(config: TrainConfig) -> dict:
    return {
        "real": {"train_ranges": splits.TRAIN, "validation_ranges": splits.VALIDATION,
                 "benchmark_ranges_excluded": splits.BENCHMARK,
                 "blur": "synth_blur exposure weights over 4 interpolated sub-frames per source interval; "
                         "keep_every in {1,2,3,4} (odds .25/.15/.2/.4), duty U(0.3, 1)"},
        "synthetic": {"photos": splits.TRAIN_PHOTOS, "validation_photos": splits.VALIDATION_PHOTOS,
                      "blur": f"background + 1..{config.synthetic_layers} ellipse cut-out layers on random smooth "
                              "trajectories (speed ≤ 24 px/frame, rotation, zoom"
                              + (f", camera shake ≤ {config.synthetic_shake:g} px at 0.25–1 cycles/frame in half"
                                 if config.synthetic_shake else "")
                              + "), mean of ≤ 24 exact sub-frame renders, duty U(0.3, 1)"},
        "degradation": "Gaussian noise σ ≤ 0.015 (half the examples), JPEG q55–95 (30%), 8-bit",
    }


def motion_data_recipe(config: TrainConfig) -> dict:
    return {
        "real": {"train_ranges": splits.motion_train_ranges(config.extra_footage),
                 **({"more_train_ranges": splits.more_motion_ranges(config.more_footage),
                     "more_recipes": list(motion.MORE_FOOTAGE_RECIPES)} if config.more_footage else {}),
                 "validation_ranges": splits.VALIDATION,
                 "benchmark_ranges_excluded": splits.BENCHMARK,
                 "blur": "synth_blur exposure weights over 4 interpolated sub-frames per source interval; "
                         f"(keep_every, duty) in "
                         f"{list(motion.REAL_RECIPES + motion.parse_recipes(config.extra_real_recipes))}, every "
                         f"{motion.CENTRE_STRIDE}nd real frame a keyframe",
                 "motion": ("RIFE HDv3 on the adjacent blurry keyframes (forward and backward pair), as deblur "
                            "estimates it at run time" if config.told_motion == "blurry" else
                            "RIFE HDv3 on the real sharp frames keep_every apart (forward and backward pair); "
                            "validation told the motion on the blurry keyframes, as at run time"),
                 "crops": f"the most moving of 4 candidates with odds {motion.MOVING_CROP_ODDS}"
                          + (f"; with odds {config.real_rescale_odds:g} shrunk by a scale in "
                             f"U{motion.RESCALE} (motion scaled with it)" if config.real_rescale_odds else "")},
        "synthetic": {"photos": splits.TRAIN_PHOTOS, "validation_photos": splits.VALIDATION_PHOTOS,
                      "blur": "background + 0..2 ellipse cut-out layers, each on its own random smooth trajectory "
                              "(speed ≤ 40 px/keyframe interval, rotation, zoom), exact sub-frame renders, "
                              f"duty U(0.3, 1) ({config.low_duty_odds:.0%}: U(0.05, 0.3))",
                      "motion": ("true velocity, shortened ×U(0.45, 1.1), box-smoothed, smooth noise; a wrong "
                                 "backward estimate in an ellipse (1/3); one side only (10%)"
                                 if config.told_motion == "blurry" else "the exact velocity, both sides")},
        "told_exposure": "the true one (80%), else U(0.3, 1)"
                         + (f"; then with odds {config.overstated_odds:g}: U(true, 1)"
                            if config.overstated_odds else ""),
        "share": f"{config.synthetic_share:g} synthetic",
        **({"loss": f"Charbonnier over the crop without {config.loss_margin} px at each edge"}
           if config.loss_margin else {}),
        **({"recolour": f"with odds {config.recolour_odds:g}, real and synthetic: saturation U(0, 1.5), contrast "
                        "U(0.6, 1.2) (negative 20%), gain U(0.85, 1.15) per channel, mean kept, clamped"}
           if config.recolour_odds else {}),
        "degradation": "Gaussian noise σ ≤ 0.015 (half the examples), JPEG q55–95 (30%), 8-bit",
    }


def exposure_data_recipe(config: TrainConfig) -> dict:
    recipe = {key: value for key, value in motion_data_recipe(config).items() if key != "told_exposure"}
    return {**recipe, "target": f"the exposure the crop was blurred with; a crop is drawn again (up to "
                                f"{exposure.DRAWS} times) until its mean estimated speed exceeds {exposure.MOVING:g} "
                                f"px per keyframe interval"}


RECIPES: dict[str, Recipe] = {
    "window-deblur": Recipe(WindowDeblurNet, load_data, make_batch,
                            lambda model, data: validate(model, data.validation), window_data_recipe),
    "motion-deblur": Recipe(
        MotionDeblurNet,
        lambda config: motion.load_motion_data(config.seed, config.threads,
                                               motion.parse_recipes(config.extra_real_recipes),
                                               config.extra_footage, config.told_motion, config.more_footage),
        lambda data, config, step: motion.motion_batch(data, config.batch, config.patch, config.synthetic_share,
                                                       config.seed, step, config.low_duty_odds,
                                                       config.overstated_odds, config.real_rescale_odds,
                                                       config.told_motion == "sharp", config.recolour_odds),
        lambda model, data: {**validate(model, data.validation,
                                        lambda m, examples: example_psnrs(m, examples, lambda inputs: inputs[0][0])),
                             "validation_whole_frame_gain_db": motion.whole_frame_gains(model, data.held_out)},
        motion_data_recipe),
    "exposure": Recipe(
        ExposureNet,
        lambda config: motion.load_motion_data(config.seed, config.threads,
                                               motion.parse_recipes(config.extra_real_recipes),
                                               config.extra_footage),
        lambda data, config, step: exposure.exposure_batch(data, config.batch, config.patch, config.synthetic_share,
                                                           config.seed, step, config.low_duty_odds),
        exposure.validate_exposure,
        exposure_data_recipe,
        lambda model, inputs, targets, config: exposure.log2_error(model, inputs, targets),
        describe_exposure_errors),
}


def source_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def log(message: str) -> None:
    print(f"[train deblur {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def recorded_lengths(metadata: dict) -> tuple[TrainConfig, dict[int, int]]:
    """The configuration a run started with and the run-length changes its history records ({step: new
    length}), so that ``train`` can replay a run whose length was changed on the way (the learning-rate
    schedule depends on the length)."""
    changes = {}
    first_length = metadata["config"]["steps"]
    for entry in metadata["history"]:
        found = re.fullmatch(r"run length changed from (\d+) to (\d+) steps.*", entry.get("note", ""))
        if found:
            if not changes:
                first_length = int(found[1])
            changes[entry["step"]] = int(found[2])
    return TrainConfig(**{**metadata["config"], "steps": first_length}), changes


def change_length(config: TrainConfig, steps: int, step: int, history: list[dict]) -> TrainConfig:
    history.append({"step": step, "note": f"run length changed from {config.steps} to {steps} steps "
                                          "(learning-rate schedule follows)"})
    return replace(config, steps=steps)


def train(config: TrainConfig, workdir: Path, export: Path, length_changes: dict[int, int] | None = None,
          init: Path | None = None, parent: dict | None = None) -> dict:
    """Train (or resume) to ``config.steps`` and export the weights and metadata; returns the metadata.
    ``length_changes`` ({step: new length}) replays a run whose length was changed while it ran. ``init``: the
    weights to start from (their sha256 is ``config.init_sha256``), made by the run ``parent`` describes (its
    metadata, kept in this run's so that ``--replay`` can make them again)."""
    length_changes = length_changes or {}
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    workdir.mkdir(parents=True, exist_ok=True)
    checkpoint_path = workdir / "checkpoint.pt"
    recipe = RECIPES[config.model]
    model = recipe.build()
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=1e-4)
    step, history, seconds = 0, [], 0.0
    if checkpoint_path.exists():
        state = torch.load(checkpoint_path, weights_only=True)
        # Only the length may change; keys added to TrainConfig since the checkpoint take their defaults.
        if {**asdict(TrainConfig()), **state["config"], "steps": config.steps} != asdict(config):
            raise SystemExit(f"{checkpoint_path} was made with another configuration; use another --workdir")
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        step, history, seconds = state["step"], state["history"], state["seconds"]
        log(f"resumed at step {step}")
        wanted, config = config, TrainConfig(**state["config"])
        if wanted.steps != config.steps and not length_changes:
            config = change_length(config, wanted.steps, step, history)
    elif config.init_sha256:
        if init is None or sha256_of(init) != config.init_sha256:
            raise SystemExit(f"--init must be the weights with sha256 {config.init_sha256}, got {init}")
        model.load_state_dict(torch.load(init, weights_only=True))
        log(f"starting from {init}")
    data = recipe.load_data(config)
    log(f"data: {len(data.photos.images)} photos/frames, {sum(map(len, data.validation.values()))} validation "
        f"examples")
    started = time.monotonic() - seconds
    running_loss = []
    while True:
        if step in length_changes and length_changes[step] != config.steps:
            config = change_length(config, length_changes[step], step, history)
        if step >= config.steps:
            break
        inputs, targets = recipe.make_batch(data, config, step)
        for group in optimiser.param_groups:
            group["lr"] = learning_rate(config, step)
        loss = recipe.loss(model, inputs, targets, config)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        running_loss.append(loss.item())
        step += 1
        if step % config.validate_every == 0 or step == config.steps:
            scores = recipe.validate(model, data)
            history.append({"step": step, "loss": float(np.mean(running_loss)), **scores,
                            "seconds": time.monotonic() - started})
            log(f"step {step}: loss {np.mean(running_loss):.4f}, {recipe.describe(scores)}, "
                f"{time.monotonic() - started:.0f} s")
            running_loss = []
        if step % config.checkpoint_every == 0 or step == config.steps:
            save_atomically({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "step": step,
                             "history": history, "seconds": time.monotonic() - started, "config": asdict(config)},
                            checkpoint_path)
    return export_weights(model, config, history, export, parent)


def save_atomically(obj: object, path: Path) -> None:
    partial = path.with_suffix(".partial")
    torch.save(obj, partial)
    partial.replace(path)


def export_weights(model: nn.Module, config: TrainConfig, history: list[dict], export: Path,
                   parent: dict | None = None) -> dict:
    """Write the weights (fp32 state dict) and ``<name>.json`` metadata next to them (with ``parent``, the
    metadata of the run whose weights this one started from)."""
    export.parent.mkdir(parents=True, exist_ok=True)
    save_atomically(model.state_dict(), export)
    digest = sha256_of(export)
    metadata = {
        "model": type(model).__name__, "parameters": sum(p.numel() for p in model.parameters()),
        "sha256": digest, "steps": config.steps, "config": asdict(config),
        "data_recipe": RECIPES[config.model].data_recipe(config),
        "validation": next((h for h in reversed(history) if "loss" in h), None),  # not a note
        "history": history,
        "source_commit": source_commit(),
        "torch": torch.__version__,
        **({"parent": parent} if parent else {}),
    }
    export.with_suffix(".json").write_text(json.dumps(metadata, indent=1) + "\n")
    return metadata
