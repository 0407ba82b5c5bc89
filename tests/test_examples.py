"""The example scripts render through vspipe, and the y4m they write reads back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import vapoursynth as vs

ROOT = Path(__file__).resolve().parents[1]
VSPIPE = Path(sys.executable).with_name("vspipe")


@pytest.mark.parametrize("script", sorted((ROOT / "examples").glob("*.vpy")), ids=lambda p: p.name)
def test_example_renders_and_reads_back(script: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.y4m"
    subprocess.run([str(VSPIPE), "--start", "0", "--end", "5", "--container", "y4m", str(script), str(output)],
                   cwd=ROOT, check=True, capture_output=True, timeout=600)
    clip = vs.core.bs.VideoSource(str(output))
    assert clip.num_frames == 6
    info = subprocess.run([str(VSPIPE), "--info", str(script)], cwd=ROOT, check=True, capture_output=True,
                          text=True, timeout=600)
    assert "Frames:" in info.stdout
