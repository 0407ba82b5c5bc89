"""A wheel built from the repository builds without warnings, imports outside the checkout and carries the
presets, the committed weights and the demo script."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_imports_and_lists_presets(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-w", str(wheels), str(ROOT)], check=True, capture_output=True, text=True)
    log = build.stdout + build.stderr
    assert not any(w in log for w in ("BuildBackendWarning", "DeprecationWarning", "would be ignored")), log
    (wheel,) = wheels.glob("vs_slowdeblur-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        members = set(archive.namelist())
    assert {"vs_slowdeblur/demo.vpy", "vs_slowdeblur/models/weights/motion-deblur.pt",
            "vs_slowdeblur/models/weights/window-deblur.json"} <= members
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                    str(wheel)], check=True)
    probe = ("import vs_slowdeblur, pathlib; from importlib import resources; "
             "print(pathlib.Path(vs_slowdeblur.__file__).parent); print(','.join(vs_slowdeblur.preset_names())); "
             "print(resources.files('vs_slowdeblur').joinpath('demo.vpy').is_file())")
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(site)},
                            capture_output=True, text=True, check=True)
    package_dir, names, demo_found = result.stdout.split()
    assert demo_found == "True"  # `demo` renders the packaged script, from any folder
    assert Path(package_dir).is_relative_to(site)
    assert {"fast", "balanced", "quality"} <= set(names.split(","))
    assert (Path(package_dir) / "py.typed").exists()


def test_cli_lists_presets_and_models() -> None:
    presets = subprocess.run([sys.executable, "-m", "vs_slowdeblur", "presets", "quality"],
                             capture_output=True, text=True, check=True)
    assert "timing: exact" in presets.stdout
    models = subprocess.run([sys.executable, "-m", "vs_slowdeblur", "models"], capture_output=True, text=True,
                            check=True)
    lines = models.stdout.splitlines()
    assert any(line.startswith("rife-hdv3\tinterpolate\trifex==0.1.1") for line in lines), lines
    assert any(line.startswith("motion-deblur\tdeblur\tbundled in the package") for line in lines), lines
