"""Where downloaded weights and sample clips live: a per-user cache directory."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "VS_SLOWDEBLUR_CACHE"


def cache_dir() -> Path:
    """``$VS_SLOWDEBLUR_CACHE``, else ``$XDG_CACHE_HOME/vs_slowdeblur``, else ``~/.cache/vs_slowdeblur``."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "vs_slowdeblur"
