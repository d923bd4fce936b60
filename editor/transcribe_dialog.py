"""File > Transcribe Source: the transcription (project/dub_from_source.py) on a worker thread with a
cancellable progress dialog; its result comes back to the GUI thread as tracks for one undo step."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget


class TranscribeWorker(QObject):
    progress = Signal(float, str)
    done = Signal(object)  # dub_from_source.SourceResult
    failed = Signal(str)  # "" when cancelled

    def __init__(self, media: str, fps: float, language: str, dub_language: str | None = None):
        super().__init__()
        self.media, self.fps, self.language, self.dub_language = media, fps, language, dub_language
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @Slot()
    def run(self) -> None:
        from project import dub_from_source as dfs
        from project.transcribe import Options, TranscribeCancelled, TranscribeError

        try:
            audio = dfs.load_source_audio(self.media)
            result = dfs.transcribe_source(audio, self.fps, Options(language=self.language),
                                           dub_language=self.dub_language, media_path=self.media,
                                           progress=self.progress.emit, cancelled=self._cancel.is_set)
        except TranscribeCancelled:
            self.failed.emit("")
            return
        except TranscribeError as e:
            self.failed.emit(str(e))
            return
        except Exception as e:  # a damaged file must not take the editor down
            self.failed.emit(f"transcription failed ({type(e).__name__}: {e})")
            return
        if self._cancel.is_set():
            self.failed.emit("")
        else:
            self.done.emit(result)


class _Relay(QObject):
    """GUI-thread end of the worker's signals (see keyframe_dialogs._DetectionRelay for why)."""

    def __init__(self, parent: QWidget, dlg: QProgressDialog, thread: QThread, worker: TranscribeWorker,
                 on_done, on_failed):
        super().__init__(parent)
        self._dlg, self._thread, self._worker = dlg, thread, worker
        self._on_done, self._on_failed = on_done, on_failed
        self._finished = False

    @Slot()
    def cancel(self) -> None:
        self._worker.cancel()

    @Slot(float, str)
    def progress(self, fraction: float, message: str) -> None:
        if not self._finished:
            self._dlg.setValue(int(1000 * fraction))
            self._dlg.setLabelText(f"Transcribing the source… {message}")

    @Slot(object)
    def done(self, result) -> None:
        if self._finish():
            self._on_done(result)

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


def run_transcription(parent: QWidget, media: str, fps: float, language: str, on_done, on_failed,
                      dub_language: str | None = None) -> tuple[QThread, TranscribeWorker, QProgressDialog]:
    """Start transcribing with a cancellable progress dialog; the callbacks run in the GUI thread."""
    thread = QThread(parent)
    worker = TranscribeWorker(media, fps, language, dub_language)
    worker.moveToThread(thread)
    dlg = QProgressDialog("Transcribing the source…", "Cancel", 0, 1000, parent)
    dlg.setWindowTitle("Transcribe Source")
    dlg.setWindowModality(Qt.WindowModality.WindowModal)
    dlg.setMinimumDuration(0)
    relay = _Relay(parent, dlg, thread, worker, on_done, on_failed)
    dlg.canceled.connect(relay.cancel)
    worker.progress.connect(relay.progress)
    worker.done.connect(relay.done)
    worker.failed.connect(relay.failed)
    thread.started.connect(worker.run)
    thread.finished.connect(worker.deleteLater)
    thread.finished.connect(relay.deleteLater)
    thread.start()
    return thread, worker, dlg
