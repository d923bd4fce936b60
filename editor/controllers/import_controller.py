"""Bringing outside material into the project: subtitles (SRT/ASS/SSA/VTT) and plain text as regions,
keyframe lists as markers, and keyframes detected in the video (shot cuts, strong changes)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QFileDialog

from editor import commands as cmd
from project import model as pj

if TYPE_CHECKING:
    from editor.mainwindow import MainWindow


class ImportController(QObject):
    """File > Import and Markers > Detect Keyframes; each import is one undo step (an autosave first)."""

    def __init__(self, win: MainWindow):
        super().__init__(win)
        self._win = win
        self.doc = win.doc
        self.detect_job = None  # the keyframe detection Task while it runs

    def _status(self, text: str, ms: int) -> None:
        self._win.statusBar().showMessage(text, ms)

    def _start_folder(self) -> str:
        return str(self.doc.path.parent) if self.doc.path else ""

    # ------------------------------------------------------------ subtitles
    def import_subtitles_dialog(self) -> None:
        from editor.import_dialog import SUBTITLE_FILTER, ImportSubtitlesDialog

        path, _ = QFileDialog.getOpenFileName(self._win, "Import subtitles", self._start_folder(), SUBTITLE_FILTER)
        if not path:
            return
        voices = self._win.renderer.voices
        track = self.doc.active_track()
        default = track.default_voice if track else (voices[0] if voices else "jf_alpha")
        dlg = ImportSubtitlesDialog(path, list(voices), default, self._win)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        voice, per_actor = dlg.values()
        self.import_subtitles(path, voice or default, per_actor)

    def import_subtitles(self, path: str | Path, voice: str | None = None, per_actor: bool = False) -> bool:
        from project.importers import SubtitleImportError, import_subtitles

        self._win.inspector.commit_text()
        self._win.autosave.write_now("before import")
        try:
            report = import_subtitles(path, self.doc.project, voice, per_actor)
        except SubtitleImportError as e:
            self._win._error("Cannot import subtitles", str(e))
            return False
        if not report.tracks:
            self._win._error("Cannot import subtitles", f"{Path(path).name}: nothing to import")
            return False
        self.doc.push(cmd.ImportTracks(self.doc, report.tracks,
                                       f"Import {report.region_count} line(s) from {Path(path).name}",
                                       replace_empty=True))
        self._status("Imported: " + "; ".join(report.notes), 15000)
        return True

    # ------------------------------------------------------------ plain text
    def import_text_dialog(self) -> None:
        from editor.import_dialog import TEXT_FILTER

        path, _ = QFileDialog.getOpenFileName(self._win, "Import plain text", self._start_folder(), TEXT_FILTER)
        if not path:
            return
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            self._win._error("Cannot import text", f"{Path(path).name}: {e}")
            return
        self.import_plain_text(text, Path(path).name)

    def import_plain_text(self, text: str, source: str = "text") -> bool:
        from project.importers import plain_text_regions

        self._win.inspector.commit_text()
        self._win.autosave.write_now("before import")
        track = self.doc.active_track()
        voice = track.default_voice if track else "jf_alpha"
        # No engine call on the GUI thread: lengths are estimated from the text;
        # the user fits them (or switches the regions to "free") afterwards.
        regions = plain_text_regions(text, self._win.timeline.playhead, voice, None)
        if not regions:
            self._status(f"{source}: no lines to import", 5000)
            return False
        lo, hi = regions[0].start, regions[-1].end
        label = f"Import {len(regions)} line(s) from {source}"
        note = ""
        if track is None or any(r.start < hi and r.end > lo for r in track.regions):
            new = pj.Track(name=f"{Path(source).stem or 'Text'}", default_voice=voice)
            self.doc.push(cmd.ImportRegions(self.doc, None, regions, label, new_track=new))
            note = " on a new track (the active track has regions there)"
        else:
            self.doc.push(cmd.ImportRegions(self.doc, track.id, regions, label))
        self._status(f"Imported {len(regions)} line(s){note}, lengths estimated from the text", 10000)
        return True

    # ------------------------------------------------------------ keyframes
    def import_keyframes_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._win, "Import keyframes", self._start_folder(),
                                              "Keyframe lists (*.csv *.json *.txt);;All files (*)")
        if path:
            self.import_keyframes(path)

    def import_keyframes(self, path: str | Path) -> bool:
        from project.keyframes import KeyframeError, load_keyframes

        try:
            kfs = load_keyframes(path, self.doc.project.fps)
        except KeyframeError as e:
            self._win._error("Cannot import keyframes", str(e))
            return False
        self.add_keyframes([(k.seconds, k.name) for k in kfs], f"Import {len(kfs)} keyframe(s) from {Path(path).name}")
        return True

    def add_keyframes(self, items: list[tuple[float, str]], label: str) -> None:
        n0 = len(self.doc.project.markers)
        markers = [pj.Marker(time=t, name=name or f"K{n0 + i + 1}", kind="keyframe", color="#3498db")
                   for i, (t, name) in enumerate(items)]
        self.doc.push(cmd.AddMarkers(self.doc, markers, label))
        self._status(f"{len(markers)} keyframe(s) added", 5000)

    def detect_keyframes(self) -> None:
        from editor.keyframe_dialogs import SuggestionsDialog, run_detection

        media_path = self._win.media.media_path
        if media_path is None or not (self.doc.project.media and self.doc.project.media.has_video):
            self._win._error("Detect keyframes", "The project has no video to look at.")
            return
        fps = self.doc.project.fps

        def done(found) -> None:
            self.detect_job = None
            if not found:
                self._status("No shot cuts or strong changes found", 8000)
                return
            dlg = SuggestionsDialog(found, fps, self._win)
            if dlg.exec() == QDialog.DialogCode.Accepted and dlg.chosen():
                chosen = dlg.chosen()
                self.add_keyframes([(c.frame / fps, "cut" if c.kind == "cut" else "change") for c in chosen],
                                   f"Add {len(chosen)} detected keyframe(s)")

        def failed(msg: str) -> None:
            self.detect_job = None
            if msg:
                self._win._error("Detect keyframes", msg)

        self.detect_job = run_detection(self._win, str(media_path), done, failed)

    def shutdown(self) -> None:
        if self.detect_job is not None:
            self.detect_job.cancel()
