"""Fetch one file out of a Debian package: ``apt-get download`` the .deb, extract the member, verify its sha256.

A .deb is an ``ar`` archive holding ``data.tar.*``; both are read here with the standard library, nothing is
installed and no maintainer script runs. The file is written atomically (``wheelfetch._write_atomically``).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import FetchError
from .wheelfetch import _write_atomically, make_parent, readable_sha256


@dataclass(frozen=True)
class DebMember:
    """A file inside a Debian package: ``package`` (e.g. ``python-kivy-examples``), ``version`` and the path."""

    package: str
    version: str
    member: str
    sha256: str


def fetch_deb_member(source: DebMember, destination: Path) -> Path:
    """Make ``destination`` hold ``source``'s file; return it. Does nothing if a verified copy exists."""
    if destination.is_file() and readable_sha256(destination) == source.sha256:
        return destination
    if shutil.which("apt-get") is None:
        raise FetchError(f"{source.member} comes from the Debian package {source.package}, and this machine has "
                         f"no apt-get; copy the file to {destination} by hand")
    make_parent(destination)
    print(f"vs_slowdeblur: fetching {source.member} from the Debian package {source.package} {source.version} "
          f"into {destination}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="vs_slowdeblur-") as scratch:
        deb = _download_deb(source, Path(scratch))
        _write_atomically(destination, _verified_member(deb, source))
    return destination


def _download_deb(source: DebMember, into: Path) -> Path:
    command = ["apt-get", "download", f"{source.package}={source.version}"]
    result = subprocess.run(command, cwd=into, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            check=False)
    debs = sorted(into.glob("*.deb"))
    if result.returncode != 0 or not debs:
        raise FetchError(f"apt-get could not download {source.package}={source.version} (run 'apt-get update' "
                         f"first if the package lists are empty): {result.stdout.strip()[-500:]}")
    return debs[0]


def _ar_members(deb: Path) -> dict[str, tuple[int, int]]:
    """Name → (offset, size) of each member of an ``ar`` archive."""
    members = {}
    with deb.open("rb") as stream:
        if stream.read(8) != b"!<arch>\n":
            raise FetchError(f"{deb.name} is not a Debian package (no ar header)")
        while header := stream.read(60):
            name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58].decode())
            members[name] = (stream.tell(), size)
            stream.seek(size + size % 2, 1)  # members are 2-byte aligned
    return members


def _verified_member(deb: Path, source: DebMember) -> bytes:
    members = _ar_members(deb)
    data_name = next((name for name in members if name.startswith("data.tar")), None)
    if data_name is None:
        raise FetchError(f"{deb.name} has no data.tar member")
    offset, size = members[data_name]
    with deb.open("rb") as stream:
        stream.seek(offset)
        with tempfile.TemporaryFile() as data, tarfile.open(fileobj=_copy(stream, data, size)) as archive:
            try:
                member = archive.extractfile(f"./{source.member}")
            except KeyError:
                member = None
            if member is None:
                raise FetchError(f"{deb.name} has no file {source.member}")
            content = member.read()
    digest = hashlib.sha256(content).hexdigest()
    if digest != source.sha256:
        raise FetchError(f"{source.member} from {source.package} {source.version} has sha256 {digest}, "
                         f"expected {source.sha256}; refusing to use it")
    return content


def _copy(stream, into, size: int):
    while size:
        block = stream.read(min(size, 1 << 20))
        if not block:
            raise FetchError("the Debian package ends early")
        into.write(block)
        size -= len(block)
    into.seek(0)
    return into
