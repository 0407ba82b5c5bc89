"""Fetching one file out of a Debian package (the city sample clip): the ar/tar reading, the hash check, and
nothing half-written left behind. The real download is what ``fetch samples`` and the benchmarks do."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from vs_slowdeblur import debfetch
from vs_slowdeblur.debfetch import DebMember, fetch_deb_member
from vs_slowdeblur.errors import FetchError

MEMBER = "usr/share/example/clip.bin"
DATA = b"real frames would be here" * 100


def fake_deb(path: Path, member: str = MEMBER, data: bytes = DATA) -> Path:
    """A .deb as dpkg-deb builds it: an ar archive of debian-binary, control.tar.xz and data.tar.xz, with an
    odd-sized member (ar pads it to an even size)."""
    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w:xz") as archive:
        info = tarfile.TarInfo(f"./{member}")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    members = [("debian-binary", b"2.0\n"), ("control.tar.xz", b"x" * 33), ("data.tar.xz", payload.getvalue())]
    with path.open("wb") as stream:
        stream.write(b"!<arch>\n")
        for name, content in members:
            stream.write(f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(content):<10}`\n".encode())
            stream.write(content + (b"\n" if len(content) % 2 else b""))
    return path


def source(sha256: str | None = None) -> DebMember:
    return DebMember("fake-package", "1.0", MEMBER, sha256 or hashlib.sha256(DATA).hexdigest())


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """apt-get replaced by a copy of a fake package into the download folder; returns the calls made."""
    calls: list[str] = []

    def download(package: DebMember, into: Path) -> Path:
        calls.append(f"{package.package}={package.version}")
        return fake_deb(into / "fake-package_1.0_all.deb")

    monkeypatch.setattr(debfetch, "_download_deb", download)
    monkeypatch.setattr(debfetch.shutil, "which", lambda name: "/usr/bin/apt-get")
    return calls


def test_extracts_and_verifies_the_member(tmp_path: Path, downloads: list[str]) -> None:
    destination = tmp_path / "cache" / "clip.bin"
    assert fetch_deb_member(source(), destination) == destination
    assert destination.read_bytes() == DATA and downloads == ["fake-package=1.0"]
    fetch_deb_member(source(), destination)  # a verified copy is not fetched again
    assert downloads == ["fake-package=1.0"]


def test_a_wrong_hash_leaves_nothing(tmp_path: Path, downloads: list[str]) -> None:
    destination = tmp_path / "clip.bin"
    with pytest.raises(FetchError, match=r"has sha256 .* expected 0000"):
        fetch_deb_member(source("0" * 64), destination)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_member_is_named(tmp_path: Path, downloads: list[str]) -> None:
    wrong = DebMember("fake-package", "1.0", "usr/share/other.bin", "0" * 64)
    with pytest.raises(FetchError, match=r"has no file usr/share/other\.bin"):
        fetch_deb_member(wrong, tmp_path / "other.bin")


def test_not_a_package_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.deb").write_bytes(b"PK\x03\x04 a zip, not an ar archive")
    with pytest.raises(FetchError, match="not a Debian package"):
        debfetch._verified_member(tmp_path / "bad.deb", source())


def test_without_apt_get_it_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(debfetch.shutil, "which", lambda name: None)
    with pytest.raises(FetchError, match=r"no apt-get; copy the file to .*clip\.bin by hand"):
        fetch_deb_member(source(), tmp_path / "clip.bin")


def test_reads_what_dpkg_deb_builds(tmp_path: Path) -> None:
    """The reader agrees with Debian's own tool, where it is installed."""
    if subprocess.run(["which", "dpkg-deb"], capture_output=True).returncode != 0:
        pytest.skip("dpkg-deb is not installed")
    root = tmp_path / "root"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text("Package: fake-package\nVersion: 1.0\nArchitecture: all\n"
                                             "Maintainer: nobody <n@example.invalid>\nDescription: test\n")
    (root / Path(MEMBER).parent).mkdir(parents=True)
    (root / MEMBER).write_bytes(DATA)
    deb = tmp_path / "fake.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(root), str(deb)], check=True,
                   capture_output=True)
    assert debfetch._verified_member(deb, source()) == DATA
