"""Big dictionaries loaded in small pieces, so loading them never freezes a GUI.

jieba's frequency table and pypinyin's phrase and character tables hold some
400,000 entries each.  Loaded the packages' way (one ``marshal.load`` or one
module import) they hold the GIL for 100-250 ms at a stretch, and the editor's
GUI thread cannot paint meanwhile (benchmarks/bench_gui_stall.py).  The first
load does it that way once and writes the table into the user cache as pieces
of ``CHUNK_ITEMS`` entries; later loads read piece by piece and let other
threads run between pieces.

The cache is keyed by the source package's version, so an upgrade rebuilds it;
a damaged cache is ignored and rebuilt.  Writes are atomic (a temporary folder
renamed into place).
"""

from __future__ import annotations

import gc
import hashlib
import json
import marshal
import os
import shutil
import time
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path

CHUNK_ITEMS = 6000
FORMAT = 1


def package_version(dist: str) -> str:
    """A distribution's version without importing it ("?" when unknown)."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def _folder(name: str, key: str) -> Path:
    from engine.model_store import cache_root

    digest = hashlib.sha256(f"{FORMAT}|{key}".encode()).hexdigest()[:12]
    return cache_root() / "text" / f"{name}-{digest}"


def load_dict(name: str, key: str, build: Callable[[], Mapping]) -> dict:
    """The dictionary ``build()`` returns, from the chunked cache when it is there."""
    folder = _folder(name, key)
    got = _read(folder)
    if got is not None:
        return got
    d = dict(build())
    try:
        _write(folder, d)
    except (OSError, ValueError):  # read-only cache, unmarshallable values: just not cached
        pass
    return d


def _read(folder: Path) -> dict | None:
    # Hundreds of thousands of new lists would trigger full garbage collections,
    # each walking every object while holding the GIL: none of them is garbage.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        meta = json.loads((folder / "index.json").read_text())
        out: dict = {}
        for i in range(int(meta["chunks"])):
            out.update(marshal.loads((folder / f"{i:04d}.bin").read_bytes()))
            time.sleep(0)  # let the GUI thread run between pieces
        if len(out) != int(meta["items"]):
            return None
        return out
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        return None
    finally:
        if was_enabled:
            gc.enable()


def _write(folder: Path, d: dict) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        items = list(d.items())
        n = 0
        for n, start in enumerate(range(0, len(items), CHUNK_ITEMS)):
            (tmp / f"{n:04d}.bin").write_bytes(marshal.dumps(dict(items[start:start + CHUNK_ITEMS])))
        chunks = n + 1 if items else 0
        (tmp / "index.json").write_text(json.dumps({"chunks": chunks, "items": len(d)}))
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
