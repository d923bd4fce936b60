"""The project file's life: new, open (offering a recovery copy the autosaver left), save and save as,
the Save/Discard/Cancel question before a project is closed, and the recent-files list."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime, QObject
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from editor import autosave as asv
from project import model as pj

if TYPE_CHECKING:
    from editor.mainwindow import MainWindow

MAX_RECENT = 8
MEDIA_FILTER = "Video or audio (*.mp4 *.mov *.mkv *.avi *.webm *.m4v *.wav *.flac *.mp3 *.m4a *.ogg *.aac);;All files (*)"
PROJECT_FILTER = f"Dubline projects (*{pj.SUFFIX});;All files (*)"


class FileController(QObject):
    """Opens, creates and saves the window's Document; every question it asks is parented to the window."""

    def __init__(self, win: MainWindow):
        super().__init__(win)
        self._win = win
        self.doc = win.doc
        self.settings = win.settings

    def _status(self, text: str, ms: int) -> None:
        self._win.statusBar().showMessage(text, ms)

    # ------------------------------------------------------------ recent files
    def recent_files(self) -> list[str]:
        v = self.settings.value("recentFiles", [])
        if isinstance(v, str):
            v = [v]
        return [str(x) for x in (v or [])]

    def add_recent(self, path: Path) -> None:
        p = str(Path(path).resolve())
        files = [p] + [f for f in self.recent_files() if f != p]
        self.settings.setValue("recentFiles", files[:MAX_RECENT])
        self.settings.setValue("lastProject", p)

    def fill_recent_menu(self, menu: QMenu) -> None:
        menu.clear()
        files = self.recent_files()
        if not files:
            a = menu.addAction("(none)")
            a.setEnabled(False)
            return
        for i, f in enumerate(files, 1):
            a = menu.addAction(f"&{i} {Path(f).name}")
            a.setToolTip(f)
            a.setStatusTip(f)
            a.triggered.connect(lambda _=False, f=f: self.open_project(f))
        menu.addSeparator()
        menu.addAction("Clear Menu", lambda: self.settings.setValue("recentFiles", []))

    # ------------------------------------------------------------ new and open
    def maybe_save(self) -> bool:
        """Ask to save unsaved changes; False when the user cancels."""
        if not self.doc.is_modified():
            return True
        choice = self._win._ask_unsaved()
        if choice == QMessageBox.StandardButton.Save:
            return self.save()
        return choice == QMessageBox.StandardButton.Discard

    def new_project(self) -> None:
        if not self.maybe_save():
            return
        self._win.inspector.commit_text()
        self.doc.is_demo = False
        self.doc.replace(pj.Project(), None)
        self._status("New project: drag on the dub track to add a line", 5000)

    def new_project_from_media(self) -> None:
        if not self.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(self._win, "Choose the video or audio to dub", "", MEDIA_FILTER)
        if path:
            self.create_project_for_media(path)

    def create_project_for_media(self, path: str) -> bool:
        try:
            from project.media import MediaError, probe
        except ImportError as e:
            self._win._error("Cannot use this media", f"Media support is not available in this build ({e}).")
            return False
        try:
            info = probe(path)
        except MediaError as e:
            self._win._error("Cannot use this media", f"{Path(path).name}: {e}")
            return False
        absolute = str(Path(path).resolve())
        project = pj.Project(fps=info.fps if info.has_video and info.fps else 25.0)
        project.media = pj.MediaRef(path=absolute, abs_path=absolute, has_video=info.has_video,
                                    duration=info.duration)
        self.doc.is_demo = False
        self.doc.replace(project, None)
        self._win.timeline.zoom_fit()
        return True

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        start = str(self.doc.path.parent) if self.doc.path else ""
        path, _ = QFileDialog.getOpenFileName(self._win, "Open project", start, PROJECT_FILTER)
        if path:
            self.open_project(path, ask=False)

    def open_project(self, path: str | Path, ask: bool = True, demo: bool = False) -> bool:
        """Open a project file; on a bad file show the problem and keep the current project."""
        if ask and not self.maybe_save():
            return False
        path = Path(path)
        recovered, declined = self._offer_recovery(path)
        project = recovered
        if project is None:
            try:
                project = pj.load(path)
            except pj.ProjectError as e:
                self._win._error("Cannot open project", f"{e}\n\nThe file was not changed.")
                if str(path.resolve()) in self.recent_files() and not path.exists():
                    self.settings.setValue("recentFiles",
                                           [f for f in self.recent_files() if f != str(path.resolve())])
                return False
        self._win.inspector.commit_text()
        self._win.playback.pause()
        self.doc.is_demo = demo
        self.doc.replace(project, path)
        if recovered is not None:
            self.doc.mark_modified()
            self._status(f"Recovered unsaved changes of {path.name}: save to keep them", 10000)
        elif declined is not None:
            self._win.autosave.keep_declined(declined)
        self.add_recent(path)
        if project.view.selected_region and self.doc.region(project.view.selected_region):
            self.doc.select([project.view.selected_region])
        if recovered is None:
            self._status(f"Opened {path.name}", 4000)
        return True

    # ------------------------------------------------------------ recovery
    def ask_recover(self, when: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved changes",
                          f"Recover unsaved changes from {when}?", QMessageBox.StandardButton.NoButton, self._win)
        box.setInformativeText("Dubline kept a recovery copy of changes that were never saved "
                               "(the editor may have crashed).")
        recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Open Saved Version", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(recover)
        box.exec()
        return box.clickedButton() is recover

    def _load_recovery(self, rec: Path) -> pj.Project | None:
        """The recovered project, or None after saying the recovery file is damaged (it is kept)."""
        try:
            return pj.load(rec)
        except pj.ProjectError as e:
            self._win._error("Cannot recover", f"The recovery file is damaged and was ignored:\n{e}\n\n"
                             f"It was kept at {rec}.")
            return None

    def _offer_recovery(self, path: Path) -> tuple[pj.Project | None, Path | None]:
        """(recovered project, None) or (None, declined recovery file) or (None, None)."""
        rec = asv.pending_recovery(path, self._win.autosave.folder)
        if rec is None:
            return None, None
        when = QDateTime.fromSecsSinceEpoch(int(rec.stat().st_mtime)).toString("yyyy-MM-dd HH:mm")
        if not self.ask_recover(when):
            return None, rec
        return self._load_recovery(rec), None

    def offer_untitled_recovery(self) -> bool:
        """At start: offer the newest recovery of an untitled project; True when it was restored."""
        found = asv.untitled_recoveries(self._win.autosave.folder)
        if not found:
            return False
        rec = found[0]
        when = QDateTime.fromSecsSinceEpoch(int(rec.stat().st_mtime)).toString("yyyy-MM-dd HH:mm")
        if not self.ask_recover(when):
            return False
        project = self._load_recovery(rec)
        if project is None:
            return False
        self.doc.is_demo = False
        self.doc.replace(project, None)
        self._win.autosave.adopt(rec)
        self.doc.mark_modified()
        self._status("Recovered an unsaved project: save it to keep it", 10000)
        return True

    # ------------------------------------------------------------ save
    def save(self) -> bool:
        if self.doc.path is None:
            return self.save_as()
        return self.save_to(self.doc.path)

    def save_as(self) -> bool:
        start = str(self.doc.path) if self.doc.path else str(self._default_project_folder() / f"Untitled{pj.SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self._win, "Save project as", start, PROJECT_FILTER)
        if not path:
            return False
        return self.save_to(Path(path))

    def _default_project_folder(self) -> Path:
        """Where an untitled project is first saved: next to its media (its relative path stays short)."""
        m = self.doc.project.media
        for p in (m.abs_path, m.path) if m else ():
            if p and Path(p).parent.is_dir():
                return Path(p).parent
        return Path.home()

    def save_to(self, path: Path) -> bool:
        self._win.inspector.commit_text()
        try:
            saved = self.doc.save(path)
        except pj.ProjectError as e:
            self._win._error("Cannot save project", str(e))
            return False
        self.add_recent(saved)
        self._status(f"Saved {saved.name}", 4000)
        return True
