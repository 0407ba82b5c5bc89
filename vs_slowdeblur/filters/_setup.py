"""Operator set-up shared by the model-backed filters: options from preset + overrides, the device, engines."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterable
from typing import Any

import torch

from ..engine.devices import parse_devices
from ..errors import FetchError, operator_error
from ..options import Options, keyword_keys, resolve_options


def parameter_names(function: Callable[..., Any]) -> list[str]:
    """The named parameters of an operator after its clip (``factor``, ``fps``, …), which a misspelt keyword
    may have meant."""
    return [name for name, parameter in list(inspect.signature(function).parameters.items())[1:]
            if parameter.kind is not inspect.Parameter.VAR_KEYWORD]


def resolve(operator: str, preset: str | os.PathLike[str] | None, overrides: dict[str, Any],
            refused: Iterable[str] = (), parameters: Iterable[str] = ()) -> tuple[Options, torch.device]:
    """Validated options (defaults < preset < explicit overrides) and the torch device they name.
    ``refused``: keys the operator refuses as keywords, left out of an unknown keyword's list of valid keys;
    ``parameters``: the operator's own parameters, suggested for a keyword that misspells one."""
    try:
        options = resolve_options(preset, overrides, keyword_keys(refused), parameters)
    except ValueError as exc:
        raise operator_error(operator, str(exc)) from None
    return options, device_of(operator, options)


def device_of(operator: str, options: Options) -> torch.device:
    """The one torch device ``options.device`` names; a bad or unavailable one is the operator's error."""
    try:
        devices = parse_devices(options.device)
        if len(devices) > 1:
            raise ValueError(f"device: spreading frames over several devices ({options.device!r}) is not "
                             f"implemented yet; pass one device")
        return devices[0]
    except ValueError as exc:
        raise operator_error(operator, str(exc)) from None


def make_engine[E](operator: str, model: str, build: Callable[[], E]) -> E:
    """``build()``, with missing or corrupt weights reported as the operator's error."""
    try:
        return build()
    except FetchError as exc:
        raise operator_error(operator, f"model {model!r} is unavailable: {exc}") from None
