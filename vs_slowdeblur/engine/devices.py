"""Device lists: which devices a filter runs on, and which device renders which source pair.

``device`` accepts what ``runtime.resolve_device`` accepts (None, 'cpu', 'cuda', 'cuda:N') or a list of them,
e.g. ``device=['cuda:0', 'cuda:1']`` to spread source pairs over two GPUs. Pair ``n`` always goes to device
``n % len(devices)``, so a frame's result does not depend on thread scheduling.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .runtime import resolve_device

__all__ = ["DeviceRoundRobin", "parse_devices"]

DeviceSpec = str | Sequence[str] | None


def _canonical(device: torch.device) -> torch.device:
    """'cuda' → 'cuda:<current>': 'cuda' and 'cuda:0' count as the same GPU (one shared model), and the GPU
    stays the one current when the filter was made, not each worker thread's own current device."""
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return device


def parse_devices(device: DeviceSpec) -> list[torch.device]:
    """The devices named by ``device``, each checked to exist; raises ValueError naming the bad value and the fix.

    Example: ``parse_devices(None) == [cuda:0]`` or ``[cpu]``; ``parse_devices(['cuda:0', 'cuda:1'])``.
    """
    if device is None or isinstance(device, str):
        return [_canonical(resolve_device(device))]
    if not isinstance(device, Sequence) or not all(isinstance(d, str) for d in device):
        raise ValueError(f"device must be None, 'cpu', 'cuda', 'cuda:N' or a list of them, got {device!r}")
    if not device:
        raise ValueError("device must name at least one device, got []; use device=None to pick one")
    devices = []
    for position, name in enumerate(device):
        try:
            devices.append(_canonical(resolve_device(name)))
        except ValueError as exc:
            raise ValueError(f"device[{position}]: {exc}") from None
    if len(set(devices)) != len(devices):
        raise ValueError(f"device lists a device twice, got {list(device)!r}; name each GPU once")
    if len({d.type for d in devices}) > 1:
        raise ValueError(f"device mixes CPU and CUDA, got {list(device)!r}; use only GPUs, or device='cpu'")
    return devices


class DeviceRoundRobin:
    """Assigns source pair ``n`` to device ``n % count``: deterministic, so outputs are reproducible.

    Example: ``DeviceRoundRobin(parse_devices(['cuda:0', 'cuda:1'])).for_pair(5) == torch.device('cuda:1')``.
    """

    def __init__(self, devices: Sequence[torch.device]) -> None:
        if not devices:
            raise ValueError("DeviceRoundRobin needs at least one device")
        self.devices = tuple(devices)

    @classmethod
    def from_spec(cls, device: DeviceSpec) -> DeviceRoundRobin:
        return cls(parse_devices(device))

    def __len__(self) -> int:
        return len(self.devices)

    def for_pair(self, pair: int) -> torch.device:
        """The device that renders every output frame of source pair ``pair`` (0-based)."""
        return self.devices[pair % len(self.devices)]
