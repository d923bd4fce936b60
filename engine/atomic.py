"""The one way Dubline writes a file: to a temporary name beside it, flushed to disk, renamed into place.

A reader (or a crash, or a full disk) sees the old file or the complete new one, never half of it.
Every writer on every floor uses this module: project files and backups, render-cache entries,
audio (``engine.audio_io.write_audio``), exports, proxies, model and graph caches, voices.

    with atomic_path(out) as tmp:     # a writer that wants a file name (soundfile, ffmpeg, PyAV, OTIO)
        write_something(tmp)
    atomic_write_bytes(out, data)     # bytes already in memory
    atomic_write_text(out, text)

A new file gets the usual permissions (0666 less the umask); a replaced file keeps its own.
``OSError`` is raised as it is: each floor turns it into its own one-line error.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def file_mode_for(path: Path) -> int:
    """The permissions ``path`` should get when written: its own if it exists, else 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process umask, read without changing it where /proc allows (threads may be creating files)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _unlink(p: Path) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(str(folder), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path, *, mode: int | None = None, fresh: bool = False, suffix: str | None = None) -> Iterator[Path]:
    """A temporary path beside ``path`` (same folder and suffix) to write; renamed over ``path`` when the
    block ends normally, removed when it raises.

    The temporary file exists (empty) when the block starts, so the name is ours; ``fresh=True`` removes
    it first, for writers that refuse an existing file.  ``mode``: the permissions the file gets
    (default :func:`file_mode_for` ``path``); ``suffix`` replaces the temporary name's (a cache that
    globs its own files keeps work in progress out of sight).  The folder must exist.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    mode = file_mode_for(path) if mode is None else mode
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix or ".tmp",
                                dir=str(folder))
    os.close(fd)
    tmp = Path(name)
    try:
        if fresh:
            os.unlink(tmp)
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        try:
            os.chmod(tmp, mode)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    fsync_folder(folder)


def atomic_write_bytes(path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically (creating its folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, mode=mode) as tmp, open(tmp, "wb") as f:
        f.write(data)


def atomic_write_text(path, text: str, mode: int | None = None) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically (creating its folder)."""
    atomic_write_bytes(path, text.encode("utf-8"), mode)
