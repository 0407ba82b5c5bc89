"""The heap trimmer that keeps long renders' resident memory flat (figures: scripts/soak, docs/BENCHMARKS.md)."""

from __future__ import annotations

import pytest
import torch

from vs_slowdeblur.engine import heap
from vs_slowdeblur.engine.runtime import inference_context


def test_every_model_call_is_counted_and_every_nth_trims_the_heap(monkeypatch: pytest.MonkeyPatch) -> None:
    trims: list[int] = []
    monkeypatch.setattr(heap, "_malloc_trim", trims.append)
    for _ in range(3 * heap.TRIM_EVERY):
        with inference_context(torch.device("cpu"), 1, "fp32"):
            pass
    assert trims == [0, 0, 0]


def test_a_failed_model_call_is_counted_too(monkeypatch: pytest.MonkeyPatch) -> None:
    trims: list[int] = []
    monkeypatch.setattr(heap, "_malloc_trim", trims.append)
    for _ in range(heap.TRIM_EVERY):
        with pytest.raises(RuntimeError), inference_context(torch.device("cpu"), 1, "fp32"):
            raise RuntimeError("model failed")
    assert trims == [0]


def test_glibc_trim_is_found_on_this_linux_machine() -> None:
    assert heap._malloc_trim is not None and heap._malloc_trim(0) in (0, 1)


def test_heap_usage_counts_a_large_allocation() -> None:
    in_use_before, _ = heap.usage_mib()
    block = bytearray(64 * 2**20)
    in_use_during, _ = heap.usage_mib()
    del block
    assert in_use_during - in_use_before >= 63
