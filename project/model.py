"""The project model: plain Python, no Qt, so the CLI can render headlessly.

A project is the user's work: it is saved as ``NAME.dubline`` (UTF-8 JSON,
sorted keys, two-space indent, so diffs stay readable) with a
``schema_version``.  Loading validates every field and reports the first
problem with its path (``tracks[0].regions[3].start: expected a number``);
older schema versions are migrated step by step (``MIGRATIONS``); newer ones
are refused without touching the file.

Saving is atomic (temp file in the same folder, fsync, rename) and keeps the
previous version as ``NAME.dubline.bak``.  A project is checked before it is
written the same way it is checked when read, so Dubline never writes a file it
would refuse to open.

The file is untrusted input: it is read only when it is a regular file under
``MAX_PROJECT_BYTES``; NaN/Infinity, numbers beyond float range, integers of
more than 18 digits, lone surrogates and over-long strings are refused while
parsing; every time is bounded by ``MAX_TIMELINE_SECONDS`` and the sample rate
by ``MIN/MAX_SAMPLE_RATE`` (so nothing downstream allocates or loops without
bound); ids are plain names (project/paths.py) because they become file names.

The types and bounds live in :mod:`project.model_types`, the schema (to and from
the file's dict, migrations) in :mod:`project.schema`; this module reads and
writes project files and finds their media, and is the one name to import.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any

from engine.atomic import atomic_path, atomic_write_bytes, file_mode_for
from project.model_types import (  # noqa: F401 (the model's types and bounds, re-exported)
    DURATION_MODES,
    MAX_ANCHOR_INDEX,
    MAX_INT_DIGITS,
    MAX_PROJECT_BYTES,
    MAX_SAMPLE_RATE,
    MAX_SOURCE_WORDS,
    MAX_STRING_CHARS,
    MAX_TIMELINE_SAMPLES,
    MAX_TIMELINE_SECONDS,
    MIN_SAMPLE_RATE,
    ORPHAN_TMP_SECONDS,
    SCHEMA_VERSION,
    SUFFIX,
    Marker,
    MediaRef,
    Mix,
    Project,
    ProjectError,
    Region,
    SourceLine,
    SourceWord,
    Track,
    ViewState,
    VoiceRef,
    new_id,
)
from project.paths import check_readable_file
from project.schema import MIGRATIONS, from_dict, migrate, to_dict  # noqa: F401 (re-exported)


# ------------------------------------------------------------ files
def dumps(p: Project) -> str:
    """The file text; ProjectError when the project holds something that cannot be written
    (NaN, a lone surrogate, a value the file format refuses)."""
    try:
        text = json.dumps(to_dict(p), ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False) + "\n"
        text.encode("utf-8")
    except (ValueError, TypeError, RecursionError) as e:  # UnicodeEncodeError is a ValueError
        raise ProjectError(f"cannot save the project: it holds a value a project file cannot store ({_why(e)})") from None
    return text


def _why(e: Exception) -> str:
    if isinstance(e, UnicodeEncodeError):
        return "a lone surrogate character in a text"
    return str(e).splitlines()[0][:80] if str(e) else type(e).__name__


def _parse_constant(name: str):
    raise ProjectError(f"{name} is not a number a project may hold")


def _parse_float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ProjectError(f"{text[:20]} is out of the range of numbers")
    return v


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ProjectError(f"a {len(text)}-digit whole number is out of range")
    return int(text)


def _check_strings(data: Any, path: str = "") -> None:
    """Refuse text no file can hold: lone surrogates (from ``\\ud800`` escapes) and huge strings."""
    stack = [(data, path)]
    while stack:
        v, where = stack.pop()
        if isinstance(v, str):
            _check_text(v, where)
        elif isinstance(v, dict):
            for k, x in v.items():
                _check_text(k, where or "the file")
                stack.append((x, f"{where}.{k}" if where else k))
        elif isinstance(v, list):
            stack.extend((x, f"{where}[{i}]") for i, x in enumerate(v))


def _check_text(s: str, where: str) -> None:
    if len(s) > MAX_STRING_CHARS:
        raise ProjectError(f"{where}: {len(s)} characters is longer than the {MAX_STRING_CHARS} limit")
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise ProjectError(f"{where}: holds a lone surrogate (\\u{ord(s[_first_surrogate(s)]):04x}), "
                           "which is not text") from None


def _first_surrogate(s: str) -> int:
    return next(i for i, c in enumerate(s) if 0xD800 <= ord(c) <= 0xDFFF)


def loads(text: str) -> Project:
    try:
        data = json.loads(text, parse_constant=_parse_constant, parse_float=_parse_float, parse_int=_parse_int)
    except json.JSONDecodeError as e:
        raise ProjectError(f"not valid JSON (line {e.lineno}, column {e.colno}: {e.msg}); the file may be damaged or truncated") from None
    except ProjectError as e:
        raise ProjectError(f"not a valid project: {e}") from None
    except RecursionError:
        raise ProjectError("not valid JSON (nested too deeply)") from None
    except ValueError as e:  # anything else the decoder refuses
        raise ProjectError(f"not valid JSON ({_why(e)})") from None
    try:
        _check_strings(data)
        return from_dict(data)
    except ProjectError:
        raise
    except RecursionError:
        raise ProjectError("the file is nested too deeply") from None


def load(path: str | os.PathLike) -> Project:
    """Read a project file; media paths are resolved against its folder."""
    path = check_readable_file(path, MAX_PROJECT_BYTES, "project file", ProjectError)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_PROJECT_BYTES + 1)  # the file may have grown since the stat
    except OSError as e:
        raise ProjectError(f"{_short(path)}: cannot read ({e.strerror or e})") from None
    if len(raw) > MAX_PROJECT_BYTES:
        raise ProjectError(f"{path.name}: too large for a project file (limit {MAX_PROJECT_BYTES >> 20} MB)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProjectError(f"{path.name}: not a Dubline project (not UTF-8 text)") from None
    try:
        return loads(text)
    except ProjectError as e:
        raise ProjectError(f"{path.name}: {e}") from None


def _short(p: Path) -> str:
    s = str(p)
    return s if len(s) <= 80 else "..." + s[-77:]


def atomic_write_text(path: Path, text: str, backup: bool = True) -> None:
    """Write via a temp file in the same folder + fsync + rename; keep ``.bak``.

    A new file gets the usual permissions (0666 less the umask); a replaced file keeps its own.
    """
    path = Path(path)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise ProjectError(f"cannot save {path.name}: the text holds a lone surrogate character") from None
    if path.is_dir():
        raise ProjectError(f"cannot save {_short(path)}: it is a folder")
    try:
        with atomic_path(path, suffix=".tmp") as tmp:
            tmp.write_bytes(data)
            if backup and path.is_file():
                try:  # the previous version, also written atomically, with the project's permissions
                    atomic_write_bytes(path.with_name(path.name + ".bak"), path.read_bytes(), file_mode_for(path))
                except OSError:
                    pass  # a backup failure must not block the save
    except OSError as e:
        raise ProjectError(f"cannot save {_short(path)}: {e.strerror or e}") from None


def save(p: Project, path: str | os.PathLike, backup: bool = True) -> None:
    """Save atomically, keeping the previous file as ``NAME.dubline.bak``.

    The text is checked exactly as ``load`` would check it before anything is
    written (ProjectError, file untouched), and orphan temp files of an earlier
    killed save are removed.
    """
    path = Path(path)
    if p.media is not None:
        try:
            rebase_media(p, path.parent)
        except (OSError, ValueError) as e:
            raise ProjectError(f"cannot save {path.name}: the media path is unusable ({_why(e)})") from None
    text = dumps(p)
    try:
        loads(text)
    except ProjectError as e:
        raise ProjectError(f"cannot save {path.name}: {e}") from None
    clean_orphan_temps(path)
    atomic_write_text(path, text, backup=backup)


def clean_orphan_temps(path: Path, older_than: float = ORPHAN_TMP_SECONDS) -> list[Path]:
    """Remove ``.NAME.*.tmp`` files a killed save of ``path`` left behind (only ours, only old ones:
    a save in flight in another process is never touched)."""
    import time

    folder = path.parent if str(path.parent) else Path(".")
    removed = []
    now = time.time()
    try:
        candidates = list(folder.glob(f".{glob_escape(path.name)}.*.tmp"))
    except OSError:
        return removed
    for tmp in candidates:
        try:
            st = tmp.lstat()
            if stat.S_ISREG(st.st_mode) and now - st.st_mtime > older_than:
                tmp.unlink()
                removed.append(tmp)
        except OSError:
            pass
    return removed


def glob_escape(name: str) -> str:
    """``name`` with glob wildcards made literal."""
    import glob

    return glob.escape(name)


def rebase_media(p: Project, folder: Path) -> None:
    """Store the media path relative to ``folder`` where possible, absolute as fallback."""
    if p.media is None:
        return
    absolute = Path(p.media.abs_path or p.media.path)
    if not absolute.is_absolute():
        absolute = (folder / absolute).resolve()
    p.media.abs_path = str(absolute)
    try:
        p.media.path = os.path.relpath(absolute, folder.resolve())
    except ValueError:  # other drive on Windows
        p.media.path = str(absolute)


def resolve_media(p: Project, project_path: Path) -> Path | None:
    """Where the media is now: relative path, absolute path, or same name in the project folder
    (searched a few levels down, a bounded number of entries)."""
    if p.media is None:
        return None
    folder = Path(project_path).resolve().parent
    candidates = []
    if p.media.path:
        rel = Path(p.media.path)
        candidates.append(rel if rel.is_absolute() else folder / rel)
    if p.media.abs_path:
        candidates.append(Path(p.media.abs_path))
    name = Path(p.media.path or p.media.abs_path).name
    if name:
        candidates.append(folder / name)
    for c in candidates:
        if _is_regular_file(c):
            return c
    return _find_by_name(folder, name) if name else None


def _is_regular_file(p: Path) -> bool:
    try:
        return stat.S_ISREG(p.stat().st_mode)
    except (OSError, ValueError):  # too long a name, a NUL byte, no permission
        return False


def _find_by_name(folder: Path, name: str, max_depth: int = 3, max_entries: int = 20_000) -> Path | None:
    """A regular file called exactly ``name`` under ``folder`` (not following links out of it)."""
    seen = 0
    level = [folder]
    for _depth in range(max_depth + 1):
        nxt = []
        for d in level:
            try:
                with os.scandir(d) as it:
                    for e in it:
                        seen += 1
                        if seen > max_entries:
                            return None
                        try:
                            if e.name == name and e.is_file(follow_symlinks=False):
                                return Path(e.path)
                            if e.is_dir(follow_symlinks=False) and not e.name.startswith("."):
                                nxt.append(Path(e.path))
                        except OSError:
                            continue
            except OSError:
                continue
        level = nxt
    return None


def register_project_voices(project: Project, project_path: str | os.PathLike | None) -> list[str]:
    """Make the voices stored with the project available to the engine; returns the names missing on disk.

    A voice file must lie inside the project folder (a path leading out of it counts as missing).
    """
    from engine import voices as vl
    from project.errors import UnsafePathError
    from project.paths import confined

    vl.unregister_all()
    missing = []
    base = Path(project_path).parent if project_path else Path.cwd()
    for ref in project.voices:
        try:
            p = confined(base, ref.path) if ref.path else None
        except UnsafePathError:
            p = None
        if p is not None and _is_regular_file(p):
            vl.register(ref.name, p)
        else:
            missing.append(ref.name)
    return missing


def cache_dir_for(project_path: str | os.PathLike) -> Path:
    """The render cache next to the project: ``NAME.dubline-cache/``."""
    p = Path(project_path)
    return p.with_name(p.name + "-cache")
