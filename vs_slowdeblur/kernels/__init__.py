"""Low-level tensor operations shared by the models, each with a CPU implementation."""

from __future__ import annotations

from .warp import backward_warp

__all__ = ["backward_warp"]
