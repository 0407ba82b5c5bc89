"""The heap trimmer that keeps long renders' resident memory flat (figures: scripts/soak, docs/BENCHMARKS.md)."""

from __future__ import annotations

import os
from pathlib import Path

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


def _resident_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_glibc_trim_returns_freed_heap_pages_on_this_linux_machine() -> None:
    """30 MiB of 100 KiB blocks (below glibc's mmap threshold, so on the heap) are freed below a block that
    stays: glibc keeps those pages mapped until the trim returns them to the OS."""
    assert heap._malloc_trim is not None
    blocks = [bytearray(100 * 1024) for _ in range(300)]
    kept = blocks[-1]
    del blocks
    resident_before = _resident_mib()
    assert heap._malloc_trim(0) == 1  # 1: memory was released
    assert resident_before - _resident_mib() >= 15
    assert len(kept) == 100 * 1024


def test_heap_usage_counts_a_large_allocation() -> None:
    in_use_before, _ = heap.usage_mib()
    block = bytearray(64 * 2**20)
    in_use_during, _ = heap.usage_mib()
    del block
    assert in_use_during - in_use_before >= 63


def test_outside_heap_copies_into_memory_that_malloc_does_not_hold() -> None:
    """A 16 MiB tensor's copy is equal, separate, and adds nothing to malloc's bytes in use (a malloc'ed block
    of that size would, as an mmapped chunk)."""
    tensor = torch.arange(4 * 2**20, dtype=torch.float32).view(1, 4, 1024, 1024)
    in_use_before = heap.usage_mib()[0]
    copy = heap.outside_heap(tensor)
    in_use_after = heap.usage_mib()[0]
    assert torch.equal(copy, tensor) and copy.shape == tensor.shape and copy.dtype == tensor.dtype
    assert copy.data_ptr() != tensor.data_ptr()
    assert in_use_after - in_use_before < 1, (in_use_before, in_use_after)
    malloced = tensor.clone()  # the control: the same bytes through torch's allocator, i.e. malloc
    assert heap.usage_mib()[0] - in_use_after > 15
    del malloced
