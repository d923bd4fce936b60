"""Preferences: which speech backend renders the project, and where IndexTTS2's files are.

The backend is recorded in the project (switching is one undo step and
re-renders every line); the IndexTTS2 folders, precision and Python are the
user's, kept in QSettings (the ``DUBLINE_INDEXTTS2_*`` environment variables
fill what is not set).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.api import BACKEND_LABELS, BACKENDS
from engine.indextts2.setup import IndexTTS2Settings, check_files

KEYS = {"checkpoints": "indextts2/checkpoints", "hf_cache": "indextts2/hfCache", "fp16": "indextts2/fp16",
        "python": "indextts2/python"}


def indextts2_settings(qs: QSettings) -> IndexTTS2Settings:
    env = IndexTTS2Settings.from_env()
    fp16 = qs.value(KEYS["fp16"], None)
    return env.merged(
        checkpoints=str(qs.value(KEYS["checkpoints"], "") or ""),
        hf_cache=str(qs.value(KEYS["hf_cache"], "") or ""),
        python=str(qs.value(KEYS["python"], "") or ""),
        fp16=None if fp16 is None else str(fp16).lower() in ("1", "true"),
    )


def store_indextts2_settings(qs: QSettings, s: IndexTTS2Settings) -> None:
    qs.setValue(KEYS["checkpoints"], s.checkpoints)
    qs.setValue(KEYS["hf_cache"], s.hf_cache)
    qs.setValue(KEYS["fp16"], bool(s.fp16))
    qs.setValue(KEYS["python"], s.python)


def engine_factory(backend: str, qs: QSettings):
    """A render-worker engine factory for ``backend`` with the user's settings."""
    settings = indextts2_settings(qs) if backend == "indextts2" else None
    if settings is not None:
        settings.to_env()  # an export in this process then shares the loaded model

    def make(progress):
        from engine.api import get_engine

        return get_engine(backend, "auto", progress=progress, settings=settings)

    return make


def engine_label(engine) -> str:
    """Status-bar text: which backend and which device render, e.g. "IndexTTS2 · CUDA fp16"."""
    if engine is None:
        return ""
    name = "IndexTTS2" if getattr(engine, "name", "") == "indextts2" else "Embedded"
    device = str(getattr(engine, "device", "cpu")).upper()
    info = getattr(engine, "info", None) or {}
    if info.get("fp16"):
        device += " fp16"
    return f"{name} · {device}"


class _PathRow(QWidget):
    def __init__(self, text: str, placeholder: str, pick_dir: bool = True, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(text)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        btn = QPushButton("Browse…")
        btn.clicked.connect(self._browse)
        lay.addWidget(self.edit, 1)
        lay.addWidget(btn)
        self._dir = pick_dir

    def _browse(self) -> None:
        if self._dir:
            p = QFileDialog.getExistingDirectory(self, "Choose a folder", self.edit.text())
        else:
            p, _ = QFileDialog.getOpenFileName(self, "Choose the IndexTTS2 Python", self.edit.text())
        if p:
            self.edit.setText(p)

    def text(self) -> str:
        return self.edit.text().strip()


class PreferencesDialog(QDialog):
    """Backend of this project + IndexTTS2 set-up, with a file check that names what is missing."""

    def __init__(self, backend: str, settings: IndexTTS2Settings, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(620)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.backend = QComboBox()
        for b in BACKENDS:
            self.backend.addItem(BACKEND_LABELS[b], b)
        self.backend.setCurrentIndex(max(0, BACKENDS.index(backend) if backend in BACKENDS else 0))
        self.backend.setToolTip("Recorded in the project. Switching renders every line again; "
                                "leaving IndexTTS2 frees its GPU memory.")
        form.addRow("Speech backend (this project):", self.backend)
        lay.addLayout(form)

        box = QGroupBox("IndexTTS2")
        f2 = QFormLayout(box)
        self.checkpoints = _PathRow(settings.checkpoints, "folder with config.yaml, gpt.pth, s2mel.pth, …")
        self.hf_cache = _PathRow(settings.hf_cache, "Hugging Face cache with w2v-bert-2.0, MaskGCT, campplus, BigVGAN")
        self.python = _PathRow(settings.python, "automatic (.venv-indextts2)", pick_dir=False)
        self.fp16 = QCheckBox("Half precision (fp16) on the GPU: faster, less memory")
        self.fp16.setChecked(bool(settings.fp16))
        f2.addRow("Checkpoint folder:", self.checkpoints)
        f2.addRow("Hugging Face cache:", self.hf_cache)
        f2.addRow("", self.fp16)
        f2.addRow("IndexTTS2 Python:", self.python)
        row = QHBoxLayout()
        self.check_btn = QPushButton("Check files")
        self.check_btn.clicked.connect(self.check)
        row.addWidget(self.check_btn)
        row.addStretch(1)
        f2.addRow(row)
        self.report = QLabel("")
        self.report.setWordWrap(True)
        self.report.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        f2.addRow(self.report)
        note = QLabel("Dubline never downloads: get the checkpoints and the four auxiliary models on a machine "
                      "with internet (see the README, \u201cIndexTTS2 on a GPU\u201d).")
        note.setWordWrap(True)
        f2.addRow(note)
        lay.addWidget(box)
        lay.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def chosen_backend(self) -> str:
        return str(self.backend.currentData())

    def chosen_settings(self) -> IndexTTS2Settings:
        return IndexTTS2Settings(checkpoints=self.checkpoints.text(), hf_cache=self.hf_cache.text(),
                                 fp16=self.fp16.isChecked(), python=self.python.text())

    def check(self) -> list[str]:
        from engine.errors import ModelError
        from engine.indextts2.setup import find_python

        s = self.chosen_settings()
        missing = check_files(s.checkpoints, s.hf_cache)
        try:
            env = f"IndexTTS2 environment: {find_python(s.python)}"
        except ModelError as e:
            missing.append(str(e))
            env = ""
        if missing:
            self.report.setText("<b>Missing:</b><br>" + "<br>".join(_esc(m) for m in missing))
        else:
            self.report.setText("All IndexTTS2 files are in place. " + _esc(env))
        return missing

    def _accept(self) -> None:
        if self.chosen_backend() == "indextts2" and self.check():
            return  # the report says what is missing; the dialog stays open
        self.accept()


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
