"""Autosave and crash recovery: unsaved changes go to a per-user recovery file.

While the document has unsaved changes a timer (2 minutes by default) writes
the project, as the same JSON as a saved project (``project.dumps``), to
``AppDataLocation/recovery/``: one file per project, named from a hash of the
project's path (untitled projects get a file of their own).  Writes are
atomic (``project.atomic_write_text``) and never touch the user's project.

* A clean save deletes the recovery file of the saved project.
* Discarding (closing or replacing the project without saving, or undoing back
  to the saved state) deletes the files this session wrote.
* A recovery file the user declined to restore stays until the user saves; if
  autosave must write over it, the declined state is first moved aside to
  ``NAME.declined.dubline`` so it is not lost either.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal

from editor.document import Document
from project import model as pj

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_MS = 2 * 60 * 1000
UNTITLED_PREFIX = "untitled-"


def recovery_folder() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if base:
        root = Path(base)
    else:
        from engine.user_dirs import editor_data_fallback

        root = editor_data_fallback()
    return root / "recovery"


def recovery_name(project_path: str | os.PathLike) -> str:
    """``STEM-HASH.dubline``: the hash of the absolute path keeps same-named projects apart."""
    p = Path(project_path).expanduser().resolve()
    digest = hashlib.sha1(str(p).encode("utf-8")).hexdigest()[:16]
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in p.stem)[:40] or "project"
    return f"{stem}-{digest}{pj.SUFFIX}"


def recovery_path_for(project_path: str | os.PathLike, folder: Path | None = None) -> Path:
    return (folder or recovery_folder()) / recovery_name(project_path)


def declined_path(recovery: Path) -> Path:
    return recovery.with_name(recovery.stem + ".declined" + pj.SUFFIX)


def pending_recovery(project_path: str | os.PathLike, folder: Path | None = None) -> Path | None:
    """The recovery file for ``project_path`` when it is newer than the project (or the project is gone)."""
    rec = recovery_path_for(project_path, folder)
    if not rec.is_file():
        return None
    try:
        project_mtime = Path(project_path).stat().st_mtime
    except OSError:
        return rec
    return rec if rec.stat().st_mtime > project_mtime else None


def untitled_recoveries(folder: Path | None = None) -> list[Path]:
    """Recovery files of untitled projects, newest first."""
    f = folder or recovery_folder()
    if not f.is_dir():
        return []
    files = [p for p in f.glob(f"{UNTITLED_PREFIX}*{pj.SUFFIX}") if ".declined" not in p.name]
    return sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)


class Autosaver(QObject):
    """Writes the document's unsaved state to its recovery file on a timer and on request."""

    wrote = Signal(str)  # recovery file path
    failed = Signal(str)  # one-line message

    def __init__(self, doc: Document, interval_ms: int = DEFAULT_INTERVAL_MS, folder: Path | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.doc = doc
        self.folder = folder
        self._untitled_key = UNTITLED_PREFIX + uuid.uuid4().hex[:12]
        self._written: set[Path] = set()  # recovery files this session wrote for the current project
        self._last_text: str | None = None
        self._declined: Path | None = None  # a recovery file the user chose not to restore
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(lambda: self.write_now("timer"))
        doc.undo_stack.cleanChanged.connect(self._on_clean_changed)
        doc.saved.connect(self._on_saved)
        doc.projectReplaced.connect(self._on_replaced)

    # ------------------------------------------------------------ paths
    def set_interval(self, ms: int) -> None:
        self.timer.setInterval(ms)

    def recovery_path(self) -> Path:
        folder = self.folder or recovery_folder()
        if self.doc.path is None:
            return folder / f"{self._untitled_key}{pj.SUFFIX}"
        return recovery_path_for(self.doc.path, folder)

    def keep_declined(self, path: Path) -> None:
        """The user declined ``path``: keep it until a save, never write over it."""
        self._declined = Path(path)

    def adopt(self, path: Path) -> None:
        """A recovered untitled file now belongs to this session (deleted on save / discard)."""
        path = Path(path)
        if path.name.startswith(UNTITLED_PREFIX):
            self._untitled_key = path.stem
        self._written.add(path)

    # ------------------------------------------------------------ writing
    def write_now(self, reason: str = "") -> Path | None:
        """Write the recovery file if there are unsaved changes; its path, or None."""
        if not self.doc.is_modified():
            return None
        target = self.recovery_path()
        if self.doc.path is not None and target.resolve() == Path(self.doc.path).resolve():
            return None  # never the user's own project file
        text = pj.dumps(self.doc.project)
        if text == self._last_text and target.is_file():
            return target
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if self._declined is not None and self._declined == target and target.is_file():
                os.replace(target, declined_path(target))
                self._declined = None
            pj.atomic_write_text(target, text, backup=False)
        except (OSError, pj.ProjectError) as e:
            msg = f"Autosave failed: {e}"
            log.warning("%s", msg)
            self.failed.emit(msg)
            return None
        self._last_text = text
        self._written.add(target)
        log.debug("autosaved %s (%s)", target, reason)
        self.wrote.emit(str(target))
        return target

    def discard_written(self) -> None:
        """Delete the recovery files this session wrote (the user saved or discarded the changes)."""
        for p in list(self._written):
            _unlink(p)
        self._written.clear()
        self._last_text = None

    # ------------------------------------------------------------ document state
    def _on_clean_changed(self, clean: bool) -> None:
        if clean:
            self.timer.stop()
            self.discard_written()
        elif not self.timer.isActive():
            self.timer.start()

    def _on_saved(self, path: str) -> None:
        rec = recovery_path_for(path, self.folder or recovery_folder())
        _unlink(rec)
        _unlink(declined_path(rec))
        self.discard_written()
        self._declined = None

    def _on_replaced(self) -> None:
        self._written.clear()
        self._last_text = None
        self._declined = None
        if self.doc.path is None:
            self._untitled_key = UNTITLED_PREFIX + uuid.uuid4().hex[:12]
        if self.doc.is_modified():
            self.timer.start()
        else:
            self.timer.stop()


def _unlink(p: Path) -> None:
    try:
        p.unlink()
    except FileNotFoundError:
        pass
    except OSError as e:
        log.warning("cannot delete %s: %s", p, e)
