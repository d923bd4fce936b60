"""Keyframe detection in the background, and the dialog where the user accepts suggestions."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
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

from project.keyframes import Candidate
from project.timecode import format_frames


class DetectWorker(QObject):
    """Runs :func:`project.keyframes.detect_keyframes` in its own thread."""

    progress = Signal(float)
    done = Signal(list)  # list[Candidate]
    failed = Signal(str)

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @Slot()
    def run(self) -> None:
        from project.keyframes import KeyframeError, detect_keyframes
        from project.media import MediaError

        try:
            found = detect_keyframes(self.path, progress=self.progress.emit, cancelled=self._cancel.is_set)
        except (KeyframeError, MediaError) as e:
            self.failed.emit("" if self._cancel.is_set() else str(e))
            return
        except Exception as e:  # a damaged file must not take the editor down
            self.failed.emit(f"keyframe detection failed ({type(e).__name__}: {e})")
            return
        self.done.emit(found)


class _DetectionRelay(QObject):
    """Lives in the GUI thread: the worker's signals reach the dialog and callbacks here.

    Signals of an object in another thread connected to plain Python callables run in the
    emitting thread; connected to this object's slots they are queued to the GUI thread.
    It owns nothing the worker uses and is deleted (deleteLater) only once the thread has
    finished, so no queued call can reach a deleted object.
    """

    def __init__(self, parent: QWidget, dlg: QProgressDialog, thread: QThread, worker: DetectWorker, on_done, on_failed):
        super().__init__(parent)
        self._dlg, self._thread, self._worker = dlg, thread, worker
        self._on_done, self._on_failed = on_done, on_failed
        self._finished = False

    @Slot()
    def cancel(self) -> None:  # direct: the worker thread is busy and runs no event loop
        self._worker.cancel()

    @Slot(float)
    def progress(self, fraction: float) -> None:
        if not self._finished:
            self._dlg.setValue(int(1000 * fraction))

    @Slot(list)
    def done(self, found: list) -> None:
        if self._finish():
            self._on_done(found)

    @Slot(str)
    def failed(self, msg: str) -> None:
        if self._finish():
            self._on_failed(msg)

    def _finish(self) -> bool:
        if self._finished:
            return False
        self._finished = True
        self._dlg.canceled.disconnect(self.cancel)
        self._dlg.reset()
        self._dlg.deleteLater()
        self._thread.quit()
        return True


def run_detection(parent: QWidget, path: str, on_done, on_failed) -> tuple[QThread, DetectWorker]:
    """Start detection with a cancellable progress dialog; callbacks run in the GUI thread."""
    thread = QThread(parent)
    worker = DetectWorker(path)
    worker.moveToThread(thread)
    dlg = QProgressDialog("Looking for shot cuts and strong changes…", "Cancel", 0, 1000, parent)
    dlg.setWindowTitle("Detect keyframes")
    dlg.setWindowModality(Qt.WindowModality.WindowModal)
    dlg.setMinimumDuration(300)
    relay = _DetectionRelay(parent, dlg, thread, worker, on_done, on_failed)
    dlg.canceled.connect(relay.cancel)
    worker.progress.connect(relay.progress)
    worker.done.connect(relay.done)
    worker.failed.connect(relay.failed)
    thread.started.connect(worker.run)
    thread.finished.connect(worker.deleteLater)
    thread.finished.connect(relay.deleteLater)
    thread.start()
    return thread, worker


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
