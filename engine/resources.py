"""The data files Dubline ships (the repository's ``resources/`` folder), wherever Dubline runs from.

Installed from a wheel (or frozen into a bundle) the folder is the package
``dubline_resources`` and is read through ``importlib.resources``.  In a source
checkout the ``resources/`` folder beside the code is used first, so a
checkout never reads another checkout's files through an editable install.

    from engine import resources
    resources.read_text("emotion", "anchors.json")
    resources.path("demo", "demo.mp4")        # a real file path (for ffmpeg, OpenCV, copying)
"""

from __future__ import annotations

import importlib.resources
import shutil
from functools import lru_cache
from pathlib import Path

try:
    from importlib.resources.abc import Traversable
except ImportError:  # Python 3.10
    from importlib.abc import Traversable

from engine.atomic import atomic_path
from engine.errors import ModelError

PACKAGE = "dubline_resources"
_CHECKOUT = Path(__file__).resolve().parent.parent / "resources"


@lru_cache(maxsize=1)
def root() -> Traversable:
    """The top of the shipped data."""
    if (_CHECKOUT / "__init__.py").is_file():
        return _CHECKOUT
    try:
        return importlib.resources.files(PACKAGE)
    except ModuleNotFoundError:
        raise ModelError("Dubline's data files (package dubline_resources) are missing: reinstall Dubline") from None


def files(*parts: str) -> Traversable:
    """``resources/<parts>`` as a Traversable (it may not exist; check ``is_file()``)."""
    t = root()
    for p in parts:
        t = t.joinpath(p)
    return t


def read_text(*parts: str) -> str:
    return files(*parts).read_text(encoding="utf-8")


def read_bytes(*parts: str) -> bytes:
    return files(*parts).read_bytes()


def exists(*parts: str) -> bool:
    t = files(*parts)
    return t.is_file() or t.is_dir()


def path(*parts: str) -> Path:
    """A filesystem path of ``resources/<parts>`` (a file), for code that needs one.

    Packages installed as folders give their own path; data inside a zip is copied once into the
    user cache.  Raises ModelError when the file is not shipped.
    """
    t = files(*parts)
    if not t.is_file():
        raise ModelError(f"Dubline's data file {'/'.join(parts)} is missing: reinstall Dubline")
    if isinstance(t, Path):
        return t
    from engine.model_store import cache_root

    target = cache_root() / "resources" / Path(*parts)
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        with importlib.resources.as_file(t) as real, atomic_path(target) as tmp:
            shutil.copyfile(real, tmp)
    return target
