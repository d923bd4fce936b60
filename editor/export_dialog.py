"""File > Export: the dialog choosing format and destination, and the worker that exports.

``run_export`` is the whole job (no Qt): it calls ``editor.export.export_project``
and turns every outcome into ``(status, text)``.  ``ExportWorker`` runs it in a
``QThread`` and reports through signals; cancelling sets an event that both the
``cancelled`` callable and the progress callback check, so a cancel also stops
between region renders, not only between export steps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)


@dataclass(frozen=True)
class ExportFormat:
    fmt: str
    label: str
    suffix: str  # "" for a folder
    filter: str


EXPORT_FORMATS = (
    ExportFormat("wav", "Mixed audio (WAV)", ".wav", "WAV audio (*.wav)"),
    ExportFormat("flac", "Mixed audio (FLAC)", ".flac", "FLAC audio (*.flac)"),
    ExportFormat("mp4", "Video with dub (MP4)", ".mp4", "MP4 video (*.mp4)"),
    ExportFormat("mkv", "Video with dub (MKV)", ".mkv", "Matroska video (*.mkv)"),
    ExportFormat("srt", "Subtitles of the dub (SRT)", ".srt", "SubRip subtitles (*.srt)"),
    ExportFormat("otio", "Timeline (OpenTimelineIO)", ".otio", "OpenTimelineIO (*.otio)"),
    ExportFormat("stems", "Stems (folder of WAVs)", "", ""),
    ExportFormat("clips", "Per-region clips (folder of WAVs)", "", ""),
)


def one_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0]


def run_export(project_path: Path, fmt: str, out: Path, keep_original: bool = False,
               progress: Callable[[str], None] | None = None,
               cancelled: Callable[[], bool] | None = None) -> tuple[str, str]:
    """Export; ``("ok", path)``, ``("cancelled", "")`` or ``("error", one-line message)``."""
    from editor.errors import DublineError
    from editor.export import ExportCancelled, export_project
    from engine.errors import EngineError

    def report(msg: str) -> None:
        if cancelled is not None and cancelled():
            raise ExportCancelled("export cancelled")
        if progress is not None:
            progress(msg)

    try:
        result = export_project(Path(project_path), fmt, Path(out), report, cancelled, keep_original)
    except ExportCancelled:
        return "cancelled", ""
    except (DublineError, EngineError) as e:  # project, render, export, media: one line each
        return "error", one_line(e)
    except OSError as e:
        return "error", f"cannot write {out}: {e.strerror or e}"
    if isinstance(result, list):  # stems / clips: a folder of files
        return "ok", str(out)
    return "ok", str(result if result is not None else out)


class ExportWorker(QObject):
    """Runs :func:`run_export` in its thread; one job per worker."""

    progress = Signal(str)
    finished = Signal(str, str)  # status, text (see run_export)

    def __init__(self, project_path: Path, fmt: str, out: Path, keep_original: bool = False):
        super().__init__()
        self.project_path = Path(project_path)
        self.fmt = fmt
        self.out = Path(out)
        self.keep_original = keep_original
        self._cancel = threading.Event()

    def cancel(self) -> None:  # any thread
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    @Slot()
    def run(self) -> None:
        try:
            status, text = run_export(self.project_path, self.fmt, self.out, self.keep_original,
                                      self.progress.emit, self.is_cancelled)
        except Exception as e:  # noqa: BLE001 - never let a worker die silently
            status, text = "error", f"export failed ({type(e).__name__}: {one_line(e)})"
        self.finished.emit(status, text)


class ExportDialog(QDialog):
    def __init__(self, project_path: Path, has_video: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.project_path = Path(project_path)
        form = QFormLayout(self)
        self.format_combo = QComboBox()
        for f in EXPORT_FORMATS:
            self.format_combo.addItem(f.label, f.fmt)
        form.addRow("Format:", self.format_combo)
        self.keep_original = QCheckBox("Keep the original audio as a second track")
        form.addRow("", self.keep_original)
        row = QHBoxLayout()
        self.dest_edit = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.dest_edit, 1)
        row.addWidget(browse)
        form.addRow("Save to:", row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self._has_video = has_video
        self.format_combo.currentIndexChanged.connect(self._on_format)
        self.dest_edit.textChanged.connect(self._validate)
        self._on_format()

    def current_format(self) -> ExportFormat:
        return EXPORT_FORMATS[self.format_combo.currentIndex()]

    def set_format(self, fmt: str) -> None:
        self.format_combo.setCurrentIndex(self.format_combo.findData(fmt))

    def default_destination(self, f: ExportFormat) -> Path:
        stem = self.project_path.with_suffix("")
        if not f.suffix:
            return stem.with_name(f"{stem.name}_{f.fmt}")
        return stem.with_name(stem.name + f.suffix)

    def _on_format(self) -> None:
        f = self.current_format()
        video = f.fmt in ("mp4", "mkv")
        self.keep_original.setEnabled(video)
        self.keep_original.setToolTip("" if video else "Only for MP4/MKV")
        old = self.dest_edit.text().strip()
        # follow the format while the destination is still a default one
        if not old or any(old == str(self.default_destination(g)) for g in EXPORT_FORMATS):
            self.dest_edit.setText(str(self.default_destination(f)))
        self._validate()

    def _validate(self) -> None:
        f = self.current_format()
        ok = bool(self.dest_edit.text().strip()) and (self._has_video or f.fmt not in ("mp4", "mkv"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        if not self._has_video and f.fmt in ("mp4", "mkv"):
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setToolTip("The project has no video")

    def _browse(self) -> None:
        f = self.current_format()
        if f.suffix:
            path, _ = QFileDialog.getSaveFileName(self, "Export to", self.dest_edit.text(), f.filter)
        else:
            path = QFileDialog.getExistingDirectory(self, "Export into folder", str(self.project_path.parent))
        if path:
            if f.suffix and not path.lower().endswith(f.suffix):
                path += f.suffix
            self.dest_edit.setText(path)

    def values(self) -> tuple[str, Path, bool]:
        f = self.current_format()
        return f.fmt, Path(self.dest_edit.text().strip()).expanduser(), (
            self.keep_original.isChecked() and f.fmt in ("mp4", "mkv"))
