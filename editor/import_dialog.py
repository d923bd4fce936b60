"""The small dialog for File > Import > Subtitles: default voice, one track per actor."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QWidget,
)

SUBTITLE_FILTER = "Subtitles (*.srt *.ass *.ssa *.vtt);;All files (*)"
TEXT_FILTER = "Plain text (*.txt);;All files (*)"


class ImportSubtitlesDialog(QDialog):
    def __init__(self, path: str | Path, voices: list[str], default_voice: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Import Subtitles")
        form = QFormLayout(self)
        form.addRow("File:", QLabel(Path(path).name))
        self.voice_combo = QComboBox()
        self.voice_combo.setEditable(True)  # the engine may not have loaded its voice list yet
        names = list(dict.fromkeys([default_voice, *voices]))
        self.voice_combo.addItems(names)
        self.voice_combo.setCurrentText(default_voice)
        form.addRow("Default voice:", self.voice_combo)
        self.per_actor = QCheckBox("One track per actor (ASS/SSA name field)")
        form.addRow("", self.per_actor)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, bool]:
        return self.voice_combo.currentText().strip(), self.per_actor.isChecked()
