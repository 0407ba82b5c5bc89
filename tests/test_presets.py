"""Presets: shipped names, schema validation with clear errors, user YAML paths, keyword overrides."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import vapoursynth as vs
import yaml

import vs_slowdeblur
from vs_slowdeblur.options import Options, preset_names, preset_text, resolve_options


def test_shipped_presets_are_valid() -> None:
    assert {"fast", "balanced", "quality"} <= set(preset_names())
    for name in preset_names():
        assert isinstance(resolve_options(name, {}), Options)
    assert resolve_options("quality", {}).timing == "exact"


def test_a_path_object_is_a_preset_path_and_numpy_numbers_are_option_values(tmp_path: Path) -> None:
    """``preset=Path(...)`` works where a path string does; NumPy scalars (e.g. from a computed setting) are
    accepted and stored as Python numbers."""
    import numpy as np

    user = tmp_path / "mine.yaml"
    user.write_text("timing: exact\nwindow: 2\n", encoding="utf-8")
    options = resolve_options(user, {"threads": np.int64(2), "scene_threshold": np.float32(0.25)})
    assert (options.timing, options.window, options.threads, options.scene_threshold) == ("exact", 2, 2, 0.25)
    assert type(options.threads) is int and type(options.scene_threshold) is float
    clip = vs.core.std.BlankClip(format=vs.RGBS, width=64, height=48, length=3)
    assert vs_slowdeblur.deblur(clip, window=np.int64(2), model="window-deblur", preset=user).num_frames == 3
    assert vs_slowdeblur.deblur(clip, exposure=np.float32(0.5), preset=user).num_frames == 3
    assert vs_slowdeblur.synth_blur(clip, np.int64(1), duty=np.float32(0.5), subframes=np.int8(1)).num_frames == 3


@pytest.mark.parametrize(("operator", "typo", "suggestion", "left_out"), [
    ("interpolate", "windw", None, ["window", "deblur", "deblur_model"]),
    ("interpolate", "motion_scale", "model_scale", ["window"]),
    ("deblur", "tiel", None, ["tile", "tile_overlap", "model", "timing", "deblur", "deblur_model"]),
    ("synth_blur", "window_size", None, ["window", "deblur"]),
    ("slowmo", "windw", "window", []),
])
def test_an_unknown_keyword_lists_only_keys_the_operator_takes(operator: str, typo: str, suggestion: str | None,
                                                               left_out: list[str]) -> None:
    """The list of valid keys must not offer a key the operator then refuses (``window`` to interpolate)."""
    clip = vs.core.std.BlankClip(format=vs.RGBS, width=64, height=48, length=3)
    with pytest.raises(vs.Error, match=rf"unknown key '{typo}'") as error:
        getattr(vs_slowdeblur, operator)(clip, **{typo: 2})
    message = str(error.value)
    listed = message[message.index("valid keys are"):]
    assert all(f"'{key}'" not in listed for key in left_out), message
    assert "'cache_bytes'" in listed and "'threads'" in listed
    assert (f"did you mean '{suggestion}'?" in message) if suggestion else "did you mean" not in message


def test_fetch_refuses_an_unknown_name_before_downloading_anything(tmp_path: Path) -> None:
    """``fetch rife-hdv3 bogus`` on an empty cache: the typo is reported at once, nothing is fetched."""
    env = {**os.environ, "VS_SLOWDEBLUR_CACHE": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "vs_slowdeblur", "fetch", "rife-hdv3", "bogus"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2 and "unknown name 'bogus'" in result.stderr
    assert "fetching" not in result.stderr and list(tmp_path.iterdir()) == []


def test_keyword_overrides_win_over_preset() -> None:
    assert resolve_options("quality", {"timing": "one-pass"}).timing == "one-pass"
    assert resolve_options("fast", {}).model_scale == 0.5


def test_user_yaml_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("timing: exact\ncache_bytes: 1048576\n")
    options = resolve_options(str(path), {})
    assert (options.timing, options.cache_bytes) == ("exact", 1048576)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tile_size: 3\n", r"unknown key 'tile_size' \(did you mean 'tile'\?\); valid keys are \["),
        ("threads: two\n", r"threads must be an integer in \[1, 256\], got 'two'"),
        ("threads: 0\n", r"threads must be in \[1, 256\], got 0"),
        ("scene_threshold: 2.5\n", r"scene_threshold must be in \[0.0, 1.0\], got 2.5"),
        ("timing: [a, b]\n", r"timing must be one of \['one-pass', 'exact'\]"),
        ("- just\n- a list\n", r"must be a mapping of keys to values, got list"),
        ("timing: exact\n  bad: indent\n", r"is not valid YAML"),
        ("!!python/object/apply:os.system ['echo hi']\n", r"is not valid YAML"),
    ],
)
def test_bad_preset_files_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        resolve_options(str(path), {})


def test_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    """YAML's safe loader keeps the last of two equal keys; a preset that sets one twice is a mistake."""
    path = tmp_path / "twice.yaml"
    path.write_text("timing: exact\nthreads: 2\ntiming: one-pass\n")
    with pytest.raises(ValueError) as error:
        resolve_options(str(path), {})
    assert str(error.value) == (f"preset file {str(path)!r} sets 'timing' twice (lines 1 and 3); "
                                f"keep one of them")


def test_preset_keys_for_other_operators_are_accepted(bikes_rgb: vs.VideoNode, tmp_path: Path) -> None:
    """One preset file serves every operator: keys an operator ignores are refused as keywords, never from a file."""
    path = tmp_path / "everything.yaml"
    path.write_text("timing: exact\nmodel_scale: 0.5\ntile: 512\ndeblur: false\nwindow: 0\n")
    clip = bikes_rgb[:2]
    interpolated = vs_slowdeblur.interpolate(clip, 2, preset=str(path))
    deblurred = vs_slowdeblur.deblur(clip, preset=str(path))
    window_deblurred = vs_slowdeblur.deblur(clip, preset=str(path), model="window-deblur")
    assert interpolated.get_frame(1).props["SlowdeblurSynthesized"] == 1
    assert window_deblurred.get_frame(1).props["SlowdeblurWindow"] == 1  # the file's window: 0 (one frame)
    assert list(deblurred.get_frame(1).props["SlowdeblurWindow"]) == [0, 1, 1]  # motion-deblur: always n−1..n+1


def test_preset_errors_surface_as_vs_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("threads: -1\n")
    clip = vs.core.std.BlankClip(format=vs.RGBS, length=2)
    with pytest.raises(vs.Error, match=r"\(interpolate\) preset file .*bad.yaml.*: threads must be in"):
        vs_slowdeblur.interpolate(clip, preset=str(path))


def test_listing_into_a_pipe_closed_early_is_quiet() -> None:
    """``python -m vs_slowdeblur presets | head -1``: the reader leaves early; no traceback, exit status 0."""
    listing = subprocess.Popen([sys.executable, "-m", "vs_slowdeblur", "presets"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert listing.stdout is not None and listing.stdout.readline().startswith(b"# Keys")
    listing.stdout.close()  # as head does after its line
    _, stderr = listing.communicate(timeout=120)
    assert listing.returncode == 0 and stderr == b"", stderr.decode()


def test_listing_documents_the_keys_once_then_each_preset() -> None:
    """``presets`` prints the key documentation the files share once, then every preset without it, each of
    which still parses to the same options as its file."""
    from vs_slowdeblur.cli import main

    listing = subprocess.run([sys.executable, "-m", "vs_slowdeblur", "presets"], capture_output=True, text=True,
                             check=True, timeout=120).stdout
    assert listing.count("# Keys") == 1 and listing.count("#   exposure ") == 1
    sections = listing.split("# --- ")[1:]
    assert [section.split("\n", 1)[0] for section in sections] == preset_names()
    for section in sections:
        name, text = section.split("\n", 1)
        assert yaml.safe_load(text) == yaml.safe_load(preset_text(name)), name
    assert main(["presets", "fast", "nope"]) == 2
