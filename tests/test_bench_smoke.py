"""The benchmark on real frames: positions avoid scene cuts, the network beats the trivial anchors, and
--write-docs only touches its own section."""

from __future__ import annotations

import shutil
from pathlib import Path

import vs_slowdeblur
from vs_slowdeblur.bench.__main__ import markers, write_docs
from vs_slowdeblur.bench.common import Score, load_clip, sample_positions
from vs_slowdeblur.bench.interp import MethodRun, QualityRun, overall_mean, quality, quality_table, timing_comparison
from vs_slowdeblur.bench.speed import Run, fps_table, gpu_runs, measure
from vs_slowdeblur.engine.scene import detected_cuts

BEGIN, END = markers("interp")

BIKES_CUTS_AFTER = [29, 75, 136, 186, 241]  # frame i and i+1 belong to different shots


def test_positions_skip_windows_across_cuts() -> None:
    cuts = detected_cuts(load_clip("bikes"))
    assert [i for i, cut in enumerate(cuts) if cut] == BIKES_CUTS_AFTER
    for step in (2, 4):
        positions = sample_positions(cuts, step, 6)
        assert len(positions) == 6 and all(c % step == 0 for c in positions)
        assert not any(c <= cut < c + step for c in positions for cut in BIKES_CUTS_AFTER)


def test_tiny_quality_run_ranks_methods() -> None:
    run = quality(["carphone"], 2, 1)
    psnr = {name: overall_mean(result).psnr for name, result in run.methods.items()}
    assert psnr["ours one-pass"] > max(psnr["repeat"], psnr["blend"]) + 0.5
    assert run.methods["ours exact"].scores == run.methods["ours one-pass"].scores  # t = 1/2 is one pass
    assert "| ours one-pass |" in quality_table(run)


def test_write_docs_replaces_only_its_section(tmp_path: Path) -> None:
    docs = tmp_path / "BENCHMARKS.md"
    docs.write_text(f"# Benchmarks\n\nintro\n\n{BEGIN}\nold\n{END}\n\n## Deblurring\nkept\n", encoding="utf-8")
    write_docs("new table", docs)
    text = docs.read_text(encoding="utf-8")
    assert "old" not in text and f"{BEGIN}\nnew table\n{END}" in text
    assert text.startswith("# Benchmarks\n\nintro") and text.endswith("## Deblurring\nkept\n")


def test_the_mean_one_pass_speed_up_is_the_mean_of_the_per_clip_ratios() -> None:
    """As PSNR is averaged per clip; a ratio of summed seconds would let the slowest clip decide (2.45 here)."""
    seconds = {"fast": (1.0, 3.0), "slow": (10.0, 20.0)}  # one-pass, exact: speed-ups 3 and 2
    one_pass = MethodRun({name: [Score(30.0, 0.9)] for name in seconds}, {n: s[0] for n, s in seconds.items()})
    exact = MethodRun({name: [Score(30.1, 0.9)] for name in seconds}, {n: s[1] for n, s in seconds.items()})
    timing = timing_comparison(QualityRun(4, {name: [0] for name in seconds},
                                          {"ours one-pass": one_pass, "ours exact": exact}))
    assert timing.speedup == 2.5
    assert "| fast | 30.00 | 30.10 | +0.10 | 1.000 | 3.000 | 3.00x |" in timing.table
    assert timing.table.splitlines()[-1].endswith("| 2.50x |")


def test_speed_runs_ours_and_a_reference_tree_through_vspipe(tmp_path: Path) -> None:
    """Two tiny vspipe runs, one importing this tree, one a copy of the package elsewhere (``--reference``);
    the budget stops the third before it starts. vspipe reports real frames per second for both."""
    reference = tmp_path / "old"
    shutil.copytree(Path(vs_slowdeblur.__file__).parent, reference / "vs_slowdeblur",
                    ignore=shutil.ignore_patterns("__pycache__"))
    runs = [Run("ours", "interpolate", 2, 3, (64, 48)),
            Run("reference", "interpolate", 2, 3, (64, 48), tree=reference),
            Run("never", "deblur", 1, 3, (64, 48))]
    fps = measure(runs, rounds=1, budget_s=None)
    assert fps["ours"][0] > 0 and fps["reference"][0] > 0
    skipped = measure(runs[:1], rounds=2, budget_s=0)
    assert skipped == {"ours": []} and "| ours | not run |" in fps_table(skipped, runs[:1])
    script = runs[1].script()
    assert "vs_slowdeblur.interpolate(clip, 2)" in script and "Bicubic(64, 48)" in script


def test_gpu_runs_cover_every_size_precision_and_operator() -> None:
    names = {run.name for run in gpu_runs()}
    assert len(names) == 3 * 2 * 4 and "1080p fp16 interpolate 2x" in names and "2160p fp32 slowmo 2x" in names
    assert all("device='cuda'" in run.keywords for run in gpu_runs())
