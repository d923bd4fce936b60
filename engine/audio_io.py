"""Writing audio files atomically, with a provenance tag.

Everything Dubline writes is synthetic speech; the files say so (RIFF INFO /
Vorbis comment) so downstream tools and listeners can tell.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from engine.errors import RequestError

FORMATS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG"}


def write_audio(
    path: str | os.PathLike,
    audio: np.ndarray,
    sample_rate: int,
    comment: str = "synthetic speech (Dubline)",
    subtype: str | None = None,
) -> Path:
    """Write mono/multichannel float audio to ``path`` atomically.

    Raises RequestError with a one-line message when the path is unusable.
    """
    import soundfile as sf

    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise RequestError(f"cannot write {path.name}: use a .wav, .flac or .ogg file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise RequestError(f"cannot write {path}: the folder {folder} does not exist")
    if path.is_dir():
        raise RequestError(f"cannot write {path}: it is a folder")
    if subtype is None:
        subtype = "PCM_16" if fmt in ("WAV", "FLAC") else None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=str(folder))
    except OSError as e:
        raise RequestError(f"cannot write {path}: {e.strerror}") from e
    try:  # mkstemp makes 0600 files: give the usual permissions, or keep the replaced file's own
        os.fchmod(fd, _mode_for(path))
    except (OSError, AttributeError):
        pass
    os.close(fd)
    try:
        data = np.asarray(audio, dtype=np.float32)
        with sf.SoundFile(tmp, "w", samplerate=int(sample_rate), channels=1 if data.ndim == 1 else data.shape[1],
                          format=fmt, subtype=subtype) as f:
            try:
                f.comment = comment
                f.software = "Dubline"
            except (RuntimeError, AttributeError):
                pass  # some formats have no metadata slot
            f.write(np.clip(data, -1.0, 1.0))
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        _unlink(tmp)
        raise RequestError(f"cannot write {path}: {e.strerror or e}") from e
    except BaseException:
        _unlink(tmp)
        raise
    return path


def _mode_for(path: Path) -> int:
    """An existing file's permissions, else 0666 less the umask (read from /proc without changing it)."""
    import stat

    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        pass
    mask = None
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    mask = int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    if mask is None:
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


def _unlink(p: str) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass
