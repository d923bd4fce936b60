"""Path safety for names and paths that come from project files and command lines.

Three rules, one place:

* identifiers read from a project (region, track and marker ids) are plain
  names (:func:`check_identifier`), checked when the file is read;
* every path built from project data is confined to its folder
  (:func:`confined`): it is resolved (symlinks included) and must stay inside;
* every file read whole is a regular file of bounded size (:func:`check_readable_file`),
  so ``/dev/zero``, a FIFO or a 40 GB file is refused before reading a byte;
* an output never replaces the project, its media or another input of the
  same command unless forced (:func:`guard_output`).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from project.errors import OutputError, UnsafePathError

#: Ids are what ``new_id()`` makes (12 hex digits) or what other tools write: letters,
#: digits, '-', '_' and '.', not starting with '.', at most 64 characters.
_ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$")

#: The longest path a project may store (Linux PATH_MAX).
MAX_PATH_CHARS = 4096


def check_identifier(value: str, where: str, error: type[Exception] = UnsafePathError) -> str:
    """``value`` if it is a plain name usable inside a file name, else ``error`` naming ``where``."""
    if not isinstance(value, str) or not _ID_RE.match(value) or ".." in value:
        shown = repr(value) if len(repr(value)) < 40 else repr(value)[:37] + "..."
        raise error(f"{where}: {shown} is not a valid id (use up to 64 letters, digits, '-', '_', '.')")
    return value


def confined(folder: str | os.PathLike, *parts: str) -> Path:
    """``folder / parts...`` resolved, or UnsafePathError when it would leave ``folder``.

    Absolute parts, ``..`` and symlinks pointing outside are all caught because the
    check is made on the resolved path.
    """
    base = Path(folder).resolve()
    try:
        target = base.joinpath(*parts).resolve()
    except (OSError, RuntimeError, ValueError) as e:  # symlink loop, NUL byte
        raise UnsafePathError(f"{os.path.join(*parts) if parts else folder}: not a usable path ({e})") from None
    if target != base and base not in target.parents:
        raise UnsafePathError(f"{os.path.join(*parts)}: points outside {base.name or base}")
    return target


def check_readable_file(path: str | os.PathLike, max_bytes: int, what: str = "file",
                        error: type[Exception] = OutputError) -> Path:
    """``path`` if it is an existing regular file of at most ``max_bytes``; else ``error`` with one line.

    Checked with one ``stat`` (no read), so devices, FIFOs and huge files are refused at once.
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise error(f"{what} {p.name or p}: no such file") from None
    except OSError as e:
        raise error(f"{what} {_short(p)}: cannot read ({e.strerror or e})") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{what} {p.name or p}: is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{what} {p.name or p}: not a regular file (a device or pipe cannot be read)")
    if st.st_size > max_bytes:
        raise error(f"{what} {p.name}: {st.st_size / 1e6:.0f} MB is too large (larger than the "
                    f"{max_bytes / 1e6:.0f} MB limit)")
    return p


def _short(p: Path) -> str:
    s = str(p)
    return s if len(s) <= 80 else "..." + s[-77:]


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Do ``a`` and ``b`` name the same existing file (hard links and symlinks included)?"""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        try:
            return Path(a).resolve() == Path(b).resolve()
        except (OSError, RuntimeError, ValueError):
            return False


def guard_output(out: str | os.PathLike, inputs: Iterable[tuple[str, str | os.PathLike | None]],
                 force: bool = False) -> None:
    """Refuse to write ``out`` over one of ``inputs`` (``(what, path)`` pairs) or over any Dubline project.

    ``force`` allows it (the user asked).  The message is one line and names the reason.
    """
    if force:
        return
    out = Path(out)
    if not out.exists():
        return
    if out.is_dir():
        return  # writing into a folder is checked file by file
    for what, p in inputs:
        if p and same_file(out, p):
            raise OutputError(f"refusing to overwrite {out.name}: it is {what} (use --force to replace it)")
    if is_project_file(out):
        raise OutputError(f"refusing to overwrite {out.name}: it is a Dubline project (use --force to replace it)")


def is_project_file(p: Path) -> bool:
    """A .dubline project (or its backup), by name or by content (its first bytes name the app)."""
    name = p.name.lower()
    if name.endswith((".dubline", ".dubline.bak")):
        return True
    try:
        with open(p, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and b'"app": "dubline"' in head
