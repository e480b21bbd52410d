"""Where the caches live and whether they are on: light (no pandas, no pyarrow), asked first."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Where the caches live: SDKPI_CACHE_DIR, else $XDG_CACHE_HOME/sdkpi or ~/.cache/sdkpi."""
    explicit = os.environ.get("SDKPI_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "sdkpi"


def cache_disabled() -> bool:
    """Does SDKPI_NO_CACHE (any value but empty, 0, false, no) turn the caches off?"""
    return os.environ.get("SDKPI_NO_CACHE", "").strip().lower() not in ("", "0", "false", "no")
