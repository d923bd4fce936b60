"""Keyframe detection in the background, and the dialog where the user accepts suggestions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from editor.tasks import Task, run_task
from project.keyframes import Candidate
from project.timecode import format_frames


def _detect(ctx, path: str) -> list[Candidate]:
    from project.keyframes import detect_keyframes

    return detect_keyframes(path, progress=lambda f: ctx.progress(f), cancelled=ctx.cancelled)


def run_detection(parent: QWidget, path: str, on_done, on_failed) -> Task:
    """Start detection (editor/tasks.py) with a cancellable progress dialog; ``on_done(candidates)`` or
    ``on_failed(message)`` (an empty message when cancelled) run in the GUI thread, after the dialog
    has gone."""
    dlg = QProgressDialog("Looking for shot cuts and strong changes…", "Cancel", 0, 1000, parent)
    dlg.setWindowTitle("Detect keyframes")
    dlg.setWindowModality(Qt.WindowModality.WindowModal)
    dlg.setMinimumDuration(300)
    task = run_task(_detect, path, owner=parent, name="keyframes")
    dlg.canceled.connect(task.cancel)

    def close_dialog(*_args) -> None:
        dlg.canceled.disconnect(task.cancel)
        dlg.reset()
        dlg.deleteLater()

    task.progress.connect(lambda f, _text: dlg.setValue(int(1000 * f)))
    for signal in (task.finished, task.failed, task.cancelled):
        signal.connect(close_dialog)  # first: the dialog is gone before the callbacks run
    task.finished.connect(on_done)
    task.failed.connect(on_failed)
    task.cancelled.connect(lambda: on_failed(""))
    return task


class SuggestionsDialog(QDialog):
    """Detected candidates with check boxes; the checked ones become keyframes."""

    def __init__(self, candidates: list[Candidate], fps: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyframe suggestions")
        self.candidates = list(candidates)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"{len(candidates)} candidate{'s' if len(candidates) != 1 else ''} found. "
                             "Checked ones become keyframe markers (one undo step)."))
        self.list = QListWidget()
        for c in self.candidates:
            label = "shot cut" if c.kind == "cut" else "visual change"
            it = QListWidgetItem(f"{format_frames(c.frame, fps)}   frame {c.frame}   {label}   strength {c.score:.0f}")
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked if c.kind == "cut" else Qt.CheckState.Unchecked)
            self.list.addItem(it)
        lay.addWidget(self.list)
        buttons = QDialogButtonBox()
        self.accept_btn = buttons.addButton("Add checked as keyframes", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Dismiss all", QDialogButtonBox.ButtonRole.RejectRole)
        all_btn = QPushButton("Check all")
        all_btn.clicked.connect(lambda: self._check_all(True))
        buttons.addButton(all_btn, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(460, 360)

    def _check_all(self, on: bool) -> None:
        for i in range(self.list.count()):
            self.list.item(i).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def chosen(self) -> list[Candidate]:
        return [c for i, c in enumerate(self.candidates)
                if self.list.item(i).checkState() == Qt.CheckState.Checked]
