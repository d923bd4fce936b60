"""The Voices panel: stock and cloned voices; clone one from a file or from the source audio.

Enrollment runs in a worker thread (it takes under a minute on two cores)
with a cancellable progress dialog; it uses the engine the render worker
loaded (the engine serialises its own calls).  Renaming a voice renames it in
the project too, as one undo step.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from editor import commands as cmd
from editor.document import Document
from editor.tasks import Task, TaskCancelled, run_task

PREVIEW_TEXT = "你好，这是我的声音。Hello, this is my voice."


def enroll_voice(ctx, engine, name: str, reference: str, consent: str) -> str:
    """The enrollment task (editor/tasks.py): fit ``reference`` as voice ``name`` and save it."""
    from engine import voices as vl

    if getattr(engine, "name", "") == "indextts2":
        # a template is the embedded engine's fit plus the cleaned reference speech,
        # which is what IndexTTS2 clones from: enroll with the embedded engine
        from engine.api import get_engine

        ctx.progress(0.0, "loading the embedded engine")
        engine = get_engine("embedded", "auto")
    try:
        t = vl.enroll(engine, name, reference, consent, progress=ctx.progress, cancelled=ctx.cancelled)
    except vl.Cancelled:
        raise TaskCancelled() from None
    vl.save(t)
    return name


class AddVoiceDialog(QDialog):
    """Name, reference and the consent note (a checkbox must confirm permission)."""

    def __init__(self, reference: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Clone a voice")
        form = QFormLayout(self)
        self.name = QLineEdit(Path(reference).stem[:40])
        self.consent = QLineEdit()
        self.consent.setPlaceholderText("who agreed, and for what (stored with the voice)")
        self.agree = QCheckBox("I have the speaker's permission to clone this voice")
        form.addRow("Reference", QLabel(Path(reference).name))
        form.addRow("Name", self.name)
        form.addRow("Consent note", self.consent)
        form.addRow(self.agree)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        for w in (self.name, self.consent):
            w.textChanged.connect(self._update)
        self.agree.toggled.connect(self._update)
        self._update()

    def _update(self) -> None:
        ok = bool(self.name.text().strip() and self.consent.text().strip() and self.agree.isChecked())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)


class VoicesPanel(QWidget):
    voicesChanged = Signal()
    previewed = Signal(str)  # the preview file (playing, where there is an audio output)

    def __init__(self, doc: Document, renderer, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc, self.renderer = doc, renderer
        self._job: Task | None = None  # the enrollment running
        self._progress: QProgressDialog | None = None
        self._job_name = ""
        lay = QVBoxLayout(self)
        self.list = QListWidget()
        lay.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.add_file = QPushButton("Add from file…")
        self.add_file.clicked.connect(self.add_from_file)
        self.add_source = QPushButton("From source")
        self.add_source.setToolTip("Clone the voice heard in the source audio under the selected region")
        self.add_source.clicked.connect(self.add_from_source)
        row.addWidget(self.add_file)
        row.addWidget(self.add_source)
        lay.addLayout(row)
        row = QHBoxLayout()
        self.keep = QPushButton("Keep with project")
        self.keep.setToolTip("Copy the voice into the project's voices/ folder, so the project travels with it")
        self.keep.clicked.connect(self.keep_with_project)
        row.addWidget(self.keep)
        lay.addLayout(row)
        row = QHBoxLayout()
        for text, slot in (("Preview", self.preview), ("Rename…", self.rename), ("Delete", self.delete)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            row.addWidget(b)
        lay.addLayout(row)
        self._effect = None
        self.refresh()

    # ------------------------------------------------------------ list
    def refresh(self) -> None:
        from engine import voices as vl

        self.list.clear()
        stock = [v for v in (self.renderer.voices or []) if vl.load(v) is None] if self.renderer else []
        for v in stock:
            it = QListWidgetItem(f"{v}   (stock)")
            it.setData(Qt.ItemDataRole.UserRole, (v, False))
            self.list.addItem(it)
        in_project = {v.name for v in self.doc.project.voices}
        for n in sorted(set(vl.names()) | set(vl.registered())):
            t = vl.load(n)
            if t is None:
                continue
            where = "cloned, with the project" if n in in_project else "cloned"
            it = QListWidgetItem(f"{n}   ({where}, similarity {t.meta.get('similarity', 0):.2f})")
            it.setToolTip(f"from {t.meta.get('source_name', '?')}, {t.meta.get('created', '')}\n"
                          f"consent: {t.meta.get('consent', '')}")
            it.setData(Qt.ItemDataRole.UserRole, (n, True))
            self.list.addItem(it)

    #: Called with the voice's name once an enrollment started by someone else (the actor tracks) succeeds.
    on_enrolled = None

    def select_voice(self, name: str) -> bool:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole)[0] == name:
                self.list.setCurrentRow(i)
                return True
        return False

    def selected(self) -> tuple[str, bool] | None:
        it = self.list.currentItem()
        return it.data(Qt.ItemDataRole.UserRole) if it is not None else None

    # ------------------------------------------------------------ add
    def _engine(self):
        eng = self.renderer.engine() if self.renderer is not None else None
        if eng is None:
            QMessageBox.information(self, "Voices", "The speech engine is still loading; try again in a moment.")
        return eng

    def add_from_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Voice reference", "",
                                              "Audio or video (*.wav *.flac *.mp3 *.ogg *.m4a *.mp4 *.mkv *.mov);;"
                                              "All files (*)")
        if path:
            self.add_from(path)

    def add_from_source(self) -> None:
        from project import model as pj
        from project.media import MediaError, load_audio

        region = self.doc.current_region()
        media = self.doc.project.media
        if region is None or media is None:
            QMessageBox.information(self, "Voices", "Select a region over the line whose voice to clone.")
            return
        found = pj.resolve_media(self.doc.project, self.doc.path or Path.cwd() / "untitled.dubline")
        try:
            audio = load_audio(found, 16000) if found else None
        except MediaError as e:
            QMessageBox.warning(self, "Voices", str(e))
            return
        if audio is None:
            QMessageBox.warning(self, "Voices", "The project's media has no audio to clone from.")
            return
        span = audio[int(region.start * 16000): int(region.end * 16000)]
        import soundfile as sf

        tmp = Path(tempfile.mkdtemp(prefix="dubline-ref-")) / "source_span.wav"
        sf.write(str(tmp), np.asarray(span, np.float32), 16000)
        self.add_from(str(tmp), temporary=True)

    def add_from(self, reference: str, name: str | None = None, consent: str | None = None,
                 temporary: bool = False) -> bool:
        """Enroll ``reference`` (asks for name and consent unless given); returns False if not started.

        ``temporary``: the reference is a file cut for this enrollment, alone in its own temporary folder;
        the folder is removed once the enrollment has ended (the voice keeps its own copy of the audio)."""
        started = self._start_enroll(reference, name, consent)
        if temporary:
            if started:
                self._job.done.connect(lambda: shutil.rmtree(Path(reference).parent, ignore_errors=True))
            else:
                shutil.rmtree(Path(reference).parent, ignore_errors=True)
        return started

    def _start_enroll(self, reference: str, name: str | None, consent: str | None) -> bool:
        from engine import voices as vl
        from engine.errors import RequestError

        if name is None or consent is None:
            dlg = AddVoiceDialog(reference, self)
            if dlg.exec() != QDialog.DialogCode.Accepted:
                return False
            name, consent = dlg.name.text().strip(), dlg.consent.text().strip()
        eng = self._engine()
        if eng is None:
            return False
        try:
            name = vl.check_name(name, eng.stock_voices())
        except RequestError as e:
            QMessageBox.warning(self, "Voices", str(e))
            return False
        dlg = QProgressDialog(f"Cloning {name}…", "Cancel", 0, 1000, self)
        dlg.setWindowTitle("Clone a voice")
        dlg.setMinimumDuration(0)
        task = run_task(enroll_voice, eng, name, reference, consent, owner=self, name="enroll")
        dlg.canceled.connect(task.cancel)
        task.progress.connect(self._on_enroll_progress)
        task.finished.connect(self._on_enrolled)
        task.failed.connect(self._on_enroll_failed)
        task.cancelled.connect(lambda: self._on_enroll_failed(""))
        self._job = task
        self._job_name = name
        self._progress = dlg
        return True

    @Slot(float, str)
    def _on_enroll_progress(self, f: float, msg: str) -> None:
        if self._progress is not None:
            self._progress.setValue(int(1000 * f))
            self._progress.setLabelText(f"{self._job_name}: {msg}")

    def _finish_job(self) -> None:
        if self._progress is not None:
            self._progress.reset()
        self._job = None

    @Slot(str)
    def _on_enrolled(self, name: str) -> None:
        self._finish_job()
        self._added(name)
        hook, self.on_enrolled = self.on_enrolled, None
        if hook is not None:  # e.g. "Clone this actor's voice": keep it with the project, give it to the track
            hook(name)

    @Slot(str)
    def _on_enroll_failed(self, msg: str) -> None:
        self._finish_job()
        self.on_enrolled = None
        if msg:
            QMessageBox.warning(self, "Voices", msg)

    def _added(self, name: str) -> None:
        if self.renderer is not None and name not in self.renderer.voices:
            self.renderer.voices.append(name)
        self.refresh()
        self.voicesChanged.emit()

    def keep_with_project(self) -> bool:
        """Copy the selected cloned voice next to the project and list it in the project (undoable)."""
        from engine import voices as vl
        from project import model as pj

        sel = self.selected()
        if not sel or not sel[1]:
            return False
        if self.doc.path is None:
            QMessageBox.information(self, "Voices", "Save the project first: its voices go in a folder beside it.")
            return False
        t = vl.load(sel[0])
        path = vl.save(t, Path(self.doc.path).parent / "voices")
        refs = [v for v in self.doc.project.voices if v.name != t.name] + [pj.VoiceRef(t.name, f"voices/{path.name}")]
        self.doc.push(cmd.SetProjectVoices(self.doc, refs, f"Keep voice {t.name} with the project"))
        self.refresh()
        return True

    # ------------------------------------------------------------ others
    def preview(self) -> None:
        """Speak a fixed sentence with the selected voice (rendered off the GUI thread, then played)."""
        sel = self.selected()
        eng = self._engine() if sel else None
        if eng is None:
            return
        from engine import SynthesisRequest
        from engine.audio_io import write_audio

        name = sel[0]
        out = Path(tempfile.gettempdir()) / f"dubline-preview-{hashlib.sha1(name.encode()).hexdigest()[:12]}.wav"

        def speak(ctx) -> str:
            res = eng.generate(SynthesisRequest(PREVIEW_TEXT, voice=name))
            write_audio(out, res.audio, res.sample_rate, comment=f"synthetic speech (Dubline, voice {name})")
            return str(out)

        task = run_task(speak, owner=self, name="voice-preview")
        task.finished.connect(self._play)
        task.failed.connect(self._preview_failed)

    @Slot(str)
    def _preview_failed(self, msg: str) -> None:
        QMessageBox.warning(self, "Preview", msg)

    def _play(self, path: str) -> None:
        try:
            from PySide6.QtMultimedia import QSoundEffect
        except ImportError:  # no audio system (e.g. libpulse missing): the preview file is still there
            self.setToolTip(f"No audio output: the preview was written to {path}")
            self.previewed.emit(path)
            return
        self._effect = QSoundEffect(self)
        self._effect.setSource(QUrl.fromLocalFile(path))
        self._effect.play()
        self.previewed.emit(path)

    def rename(self) -> None:
        from engine import voices as vl
        from engine.errors import RequestError

        sel = self.selected()
        if not sel or not sel[1]:
            return
        old = sel[0]
        new, ok = QInputDialog.getText(self, "Rename voice", "New name:", text=old)
        if not ok or not new.strip() or new.strip() == old:
            return
        try:
            new = vl.check_name(new, self.renderer.voices if self.renderer else [])
            t = vl.load(old)
            t.name = new
            vl.save(t)
            vl.remove(old)
        except RequestError as e:
            QMessageBox.warning(self, "Voices", str(e))
            return
        self.rename_in_project(old, new)
        if self.renderer is not None:
            self.renderer.voices = [new if v == old else v for v in self.renderer.voices]
        self.refresh()
        self.voicesChanged.emit()

    def rename_in_project(self, old: str, new: str) -> None:
        stack = self.doc.undo_stack
        stack.beginMacro(f"Rename voice {old} to {new}")
        for track in self.doc.project.tracks:
            if track.default_voice == old:
                self.doc.push(cmd.SetTrackProperty(self.doc, track.id, "default_voice", new))
            for r in track.regions:
                if r.voice == old:
                    self.doc.push(cmd.SetRegionVoice(self.doc, r.id, new))
        stack.endMacro()

    def delete(self) -> None:
        from engine import voices as vl

        sel = self.selected()
        if not sel or not sel[1]:
            return
        used = sum(1 for _, r in self.doc.project.all_regions() if r.voice == sel[0]) + sum(
            1 for t in self.doc.project.tracks if t.default_voice == sel[0])
        msg = f"Delete the voice {sel[0]}?" + (f" {used} region(s) or track(s) of this project use it." if used else "")
        if QMessageBox.question(self, "Delete voice", msg) != QMessageBox.StandardButton.Yes:
            return
        vl.remove(sel[0])
        if self.renderer is not None and sel[0] in self.renderer.voices:
            self.renderer.voices.remove(sel[0])
        self.refresh()
        self.voicesChanged.emit()
