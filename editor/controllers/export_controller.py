"""File > Export: the saved project written in a background task, with a progress dialog and Cancel."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QMessageBox, QProgressDialog

if TYPE_CHECKING:
    from editor.mainwindow import MainWindow


class ExportController(QObject):
    """One export at a time; export works from the saved file, so an unsaved project is saved first."""

    def __init__(self, win: MainWindow):
        super().__init__(win)
        self._win = win
        self.doc = win.doc
        self.task = None  # editor.tasks.Task while an export runs
        self._progress: QProgressDialog | None = None

    def _ensure_saved(self) -> bool:
        if self.doc.path is not None and not self.doc.is_modified():
            return True
        box = QMessageBox(QMessageBox.Icon.Information, "Save before exporting",
                          "Export works from the saved project file. Save the project first?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel, self._win)
        if self.doc.path is None:
            box.button(QMessageBox.StandardButton.Save).setText("Save As…")
        if box.exec() != QMessageBox.StandardButton.Save:
            return False
        return self._win.files.save()

    def export_dialog(self) -> None:
        from editor.export_dialog import ExportDialog

        self._win.inspector.commit_text()
        self._win.autosave.write_now("before export")
        if self.task is not None:
            self._win.statusBar().showMessage("An export is already running", 5000)
            return
        if not self._ensure_saved():
            return
        media = self.doc.project.media
        dlg = ExportDialog(self.doc.path, bool(media and media.has_video), self._win)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        fmt, out, keep = dlg.values()
        self.start_export(fmt, out, keep, dlg.options())

    def start_export(self, fmt: str, out: Path, keep_original: bool = False, options=None) -> None:
        """Export the saved project in a background task, with a progress dialog and Cancel."""
        from editor.export_dialog import export_task
        from editor.tasks import run_task

        assert self.doc.path is not None
        dlg = QProgressDialog(f"Exporting {fmt.upper()}…", "Cancel", 0, 0, self._win)
        dlg.setWindowTitle("Export")
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.setMinimumDuration(300)
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        task = run_task(export_task, self.doc.path, fmt, out, keep_original, options, owner=self._win, name="export")
        dlg.canceled.connect(task.cancel)
        dlg.canceled.connect(lambda: dlg.setLabelText("Cancelling…"))
        # the Task lives in the GUI thread: these run there
        task.progress.connect(lambda _f, text: dlg.setLabelText(text))
        task.finished.connect(self._done)
        task.failed.connect(lambda msg: self._done(("error", msg, None)))
        task.cancelled.connect(lambda: self._done(("cancelled", "", None)))
        self.task, self._progress = task, dlg
        dlg.show()

    def _done(self, result) -> None:
        status, text, report = result
        dlg = self._progress
        if dlg is not None:
            dlg.close()
            dlg.deleteLater()
        self.task = self._progress = None
        bar = self._win.statusBar()
        if status == "ok":
            summary = report.summary() if report is not None else ""
            bar.showMessage(f"Exported to {text}" + (f" — {summary}" if summary else ""), 0)
            if report is not None and report.warnings:
                QMessageBox.warning(self._win, "Exported, with warnings", "\n\n".join(report.warnings))
        elif status == "cancelled":
            bar.showMessage("Export cancelled: nothing was written", 8000)
        else:
            self._win._error("Export failed", text)

    def shutdown(self) -> None:
        if self.task is not None:
            self.task.cancel()
