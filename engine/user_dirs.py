"""Where Dubline keeps the user's files on each OS (platformdirs), with environment overrides.

| what | override | Linux (XDG, unchanged) | macOS | Windows |
|---|---|---|---|---|
| cache (model graphs, native kernels, proxies) | ``$DUBLINE_CACHE`` | ``~/.cache/dubline`` | ``~/Library/Caches/dubline`` | ``%LOCALAPPDATA%\\dubline\\Cache`` |
| data (voice library) | ``$DUBLINE_DATA`` | ``~/.local/share/dubline`` | ``~/Library/Application Support/dubline`` | ``%LOCALAPPDATA%\\dubline`` |
| config | ``$DUBLINE_CONFIG`` | ``~/.config/dubline`` | ``~/Library/Application Support/dubline`` | ``%LOCALAPPDATA%\\dubline`` |

On Linux ``$XDG_CACHE_HOME`` / ``$XDG_DATA_HOME`` / ``$XDG_CONFIG_HOME`` apply as
before.  The editor's own state (settings, the demo copy, recovery files) is
placed by Qt (QSettings, QStandardPaths), which is per-OS as well.
Nothing here creates folders; callers do when they write.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "dubline"


def _dir(env: str, default: str) -> Path:
    value = os.environ.get(env)
    return Path(value) if value else Path(default)


def cache_dir() -> Path:
    return _dir("DUBLINE_CACHE", platformdirs.user_cache_dir(APP, appauthor=False))


def data_dir() -> Path:
    return _dir("DUBLINE_DATA", platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    return _dir("DUBLINE_CONFIG", platformdirs.user_config_dir(APP, appauthor=False))


def editor_data_fallback() -> Path:
    """The editor's data folder when Qt cannot name one (Linux: ``~/.local/share/Dubline``, as before)."""
    return Path(platformdirs.user_data_dir("Dubline", appauthor=False))
