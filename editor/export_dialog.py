"""File > Export: the dialog choosing format and destination, and the worker that exports.

``run_export`` is the whole job (no Qt): it calls ``project.export.export_project``
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
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

#: Loudness choices in the dialog: (label, value for ExportOptions.make).
LOUDNESS_CHOICES = (
    ("Measure only", None),
    ("EBU R128: -23 LUFS, -1 dBTP", "ebu"),
    ("ATSC A/85: -24 LKFS, -2 dBTP", "atsc"),
    ("Web / streaming: -16 LUFS, -1 dBTP", "web"),
    ("Custom…", "custom"),
)
AUDIO_FORMATS = ("wav", "flac", "mp4", "mkv", "stems")


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
    ExportFormat("vtt", "Subtitles of the dub (WebVTT)", ".vtt", "WebVTT subtitles (*.vtt)"),
    ExportFormat("ass", "Subtitles of the dub (ASS)", ".ass", "Advanced SubStation Alpha (*.ass)"),
    ExportFormat("otio", "Timeline (OpenTimelineIO)", ".otio", "OpenTimelineIO (*.otio)"),
    ExportFormat("fcpxml", "Timeline (Final Cut Pro X XML)", ".fcpxml", "FCP X XML (*.fcpxml)"),
    ExportFormat("xml", "Timeline (FCP 7 XML: Premiere, Resolve)", ".xml", "FCP 7 XML (*.xml)"),
    ExportFormat("edl", "Timeline (CMX 3600 EDL)", ".edl", "CMX 3600 EDL (*.edl)"),
    ExportFormat("aaf", "Timeline (AAF: Avid)", ".aaf", "AAF (*.aaf)"),
    ExportFormat("stems", "Stems (folder of WAVs)", "", ""),
    ExportFormat("clips", "Per-region clips (folder of WAVs)", "", ""),
)


def one_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0]


def run_export(project_path: Path, fmt: str, out: Path, keep_original: bool = False,
               progress: Callable[[str], None] | None = None,
               cancelled: Callable[[], bool] | None = None, options=None,
               on_report: Callable[[object], None] | None = None) -> tuple[str, str]:
    """Export; ``("ok", path)``, ``("cancelled", "")`` or ``("error", one-line message)``.

    ``on_report`` receives the :class:`project.export.ExportReport` (loudness readings, warnings)."""
    from engine.errors import EngineError
    from project.errors import DublineError
    from project.export import ExportCancelled, export_project

    def report(msg: str) -> None:
        if cancelled is not None and cancelled():
            raise ExportCancelled("export cancelled")
        if progress is not None:
            progress(msg)

    try:
        result = export_project(Path(project_path), fmt, Path(out), report, cancelled, keep_original,
                                options=options)
    except ExportCancelled:
        return "cancelled", ""
    except (DublineError, EngineError) as e:  # project, render, export, media: one line each
        return "error", one_line(e)
    except OSError as e:
        return "error", f"cannot write {out}: {e.strerror or e}"
    if on_report is not None:
        on_report(result)
    return "ok", str(result.path)


class ExportWorker(QObject):
    """Runs :func:`run_export` in its thread; one job per worker."""

    progress = Signal(str)
    finished = Signal(str, str)  # status, text (see run_export)

    def __init__(self, project_path: Path, fmt: str, out: Path, keep_original: bool = False, options=None):
        super().__init__()
        self.project_path = Path(project_path)
        self.fmt = fmt
        self.out = Path(out)
        self.keep_original = keep_original
        self.options = options
        #: the export's report (loudness readings, warnings) once it has finished well
        self.report = None
        self._cancel = threading.Event()

    def cancel(self) -> None:  # any thread
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    @Slot()
    def run(self) -> None:
        try:
            status, text = run_export(self.project_path, self.fmt, self.out, self.keep_original,
                                      self.progress.emit, self.is_cancelled, self.options,
                                      lambda r: setattr(self, "report", r))
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
        self.loudness_combo = QComboBox()
        for label, value in LOUDNESS_CHOICES:
            self.loudness_combo.addItem(label, value)
        self.loudness_combo.setToolTip("Every audio export is measured (ITU-R BS.1770-4: integrated loudness, "
                                       "loudness range, true peak); a target also normalises it, with a "
                                       "true-peak limiter at the ceiling")
        self.custom_lufs = QDoubleSpinBox()
        self.custom_lufs.setRange(-60.0, 0.0)
        self.custom_lufs.setDecimals(1)
        self.custom_lufs.setValue(-20.0)
        self.custom_lufs.setSuffix(" LUFS")
        self.ceiling = QDoubleSpinBox()
        self.ceiling.setRange(-20.0, 0.0)
        self.ceiling.setDecimals(1)
        self.ceiling.setValue(-1.0)
        self.ceiling.setSuffix(" dBTP")
        self.ceiling.setToolTip("True-peak ceiling of the limiter")
        lrow = QHBoxLayout()
        lrow.addWidget(self.loudness_combo, 1)
        lrow.addWidget(self.custom_lufs)
        lrow.addWidget(self.ceiling)
        form.addRow("Loudness:", lrow)
        self.rate_combo = QComboBox()
        for sr in (48000, 44100, 96000, 24000):
            self.rate_combo.addItem(f"{sr / 1000:g} kHz", sr)
        self.depth_combo = QComboBox()
        for label, bits in (("24-bit", 24), ("16-bit", 16), ("32-bit float", 32)):
            self.depth_combo.addItem(label, bits)
        self.channels_combo = QComboBox()
        self.channels_combo.addItem("Stereo", 2)
        self.channels_combo.addItem("Mono", 1)
        arow = QHBoxLayout()
        for w in (self.rate_combo, self.depth_combo, self.channels_combo):
            arow.addWidget(w)
        form.addRow("Audio:", arow)
        self.loudness_combo.currentIndexChanged.connect(self._on_loudness)
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
        self._on_loudness()

    def _on_loudness(self) -> None:
        from engine.loudness import DEFAULT_CEILING_DBTP, PRESETS

        value = self.loudness_combo.currentData()
        self.custom_lufs.setVisible(value == "custom")
        if value in PRESETS:
            self.ceiling.setValue(PRESETS[value][1])
        elif value is None:
            self.ceiling.setValue(DEFAULT_CEILING_DBTP)

    def options(self):
        """The delivery options chosen (an :class:`project.export.ExportOptions`)."""
        from project.export import ExportOptions

        value = self.loudness_combo.currentData()
        if value == "custom":
            value = self.custom_lufs.value()
        fmt = self.current_format().fmt
        return ExportOptions.make(value, self.ceiling.value(), self.rate_combo.currentData(),
                                  self.depth_combo.currentData(), self.channels_combo.currentData(),
                                  self.keep_original.isChecked() and fmt in ("mp4", "mkv"))

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
        audio = f.fmt in AUDIO_FORMATS
        for w in (self.loudness_combo, self.custom_lufs, self.ceiling, self.rate_combo, self.channels_combo):
            w.setEnabled(audio)
        self.depth_combo.setEnabled(audio or f.fmt in ("clips", "otio", "fcpxml", "xml", "edl", "aaf"))
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
