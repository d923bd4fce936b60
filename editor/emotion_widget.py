"""The inspector's Emotion group: same as voice | sliders | text prompt | reference clip | from the line.

Every change is one undo command (``SetRegionEmotion``); a slider drag commits
when it is released.  A text prompt is resolved to its 8-dim vector off the
GUI thread (the sentence encoder takes a second to load) and the readout shows
what the engine understood.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from editor import commands as cmd
from editor.document import Document
from editor.tasks import run_task
from engine.types import EMOTIONS

MODES = (("voice", "Same as the voice"), ("vector", "Sliders"), ("text", "Text prompt"),
         ("audio", "Reference clip"), ("line", "From the line's text"), ("source", "From the original line"))
LABELS = {"happy": "happy 开心", "angry": "angry 愤怒", "sad": "sad 悲伤", "afraid": "afraid 害怕",
          "disgusted": "disgusted 厌恶", "melancholic": "melancholic 忧郁", "surprised": "surprised 惊讶",
          "calm": "calm 平静"}


def mode_of(emotion: dict) -> str:
    if emotion.get("from_source"):
        return "source"
    if emotion.get("vector") is not None:
        return "vector"
    if emotion.get("text"):
        return "text"
    if emotion.get("audio"):
        return "audio"
    if emotion.get("from_line"):
        return "line"
    return "voice"


def describe(vector) -> str:
    if not vector or sum(vector) <= 0:
        return "neutral (no emotion recognised)"
    parts = sorted(((w, n) for n, w in zip(EMOTIONS, vector, strict=True) if w > 0), reverse=True)
    return ", ".join(f"{n} {w:.1f}" for w, n in parts)


class PromptResolver(QObject):
    """Resolves text prompts to vectors in a background thread."""

    resolved = Signal(str, object)  # prompt, vector tuple (or None on failure)

    def request(self, prompt: str) -> None:
        task = run_task(_resolve_prompt, prompt, owner=self, name="emotion-prompt")
        # the readout is a convenience: a failure shows no vector (rendering reports real errors)
        task.finished.connect(lambda vec: self.resolved.emit(prompt, vec))
        task.failed.connect(lambda _msg: self.resolved.emit(prompt, None))


def _resolve_prompt(ctx, prompt: str):
    from engine.emotion.text_prompt import text_to_vector

    return text_to_vector(prompt)


class EmotionBox(QGroupBox):
    def __init__(self, doc: Document, parent: QWidget | None = None):
        super().__init__("Emotion", parent)
        self.doc = doc
        self.region_id: str | None = None
        self._loading = False
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.mode = QComboBox()
        for key, label in MODES:
            self.mode.addItem(label, key)
        self.mode.activated.connect(lambda _i: self._commit())
        row.addWidget(QLabel("Source"))
        row.addWidget(self.mode, 1)
        lay.addLayout(row)

        self.pages = QStackedWidget()
        self.pages.addWidget(QLabel("The voice's own delivery."))  # voice
        self.pages.addWidget(self._sliders_page())
        self.pages.addWidget(self._prompt_page())
        self.pages.addWidget(self._clip_page())
        self.pages.addWidget(QLabel("The engine reads the emotion from the line itself."))  # line
        src = QLabel("The original line's delivery (prosody only, not its voice).")
        src.setWordWrap(True)
        self.pages.addWidget(src)  # source
        lay.addWidget(self.pages)
        lay.addLayout(self._intensity_row_layout())
        self.resolver = PromptResolver()
        self.resolver.resolved.connect(self._on_resolved)
        self._clip = ""
        self.pages.currentChanged.connect(self._fit_page)
        self._fit_page(self.pages.currentIndex())

    # ------------------------------------------------------------ the pages, one per source
    def _sliders_page(self) -> QWidget:
        """A slider per emotion, each with a preset chip (only that emotion)."""
        sl = QWidget()
        grid = QGridLayout(sl)
        grid.setContentsMargins(0, 0, 0, 0)
        self.sliders: dict[str, QSlider] = {}
        for i, name in enumerate(EMOTIONS):
            chip = QPushButton(LABELS[name])
            chip.setFlat(True)
            chip.setToolTip(f"Only {name}")
            chip.clicked.connect(lambda _=False, n=name: self._preset(n))
            s = QSlider(Qt.Orientation.Horizontal)
            s.setRange(0, 100)
            s.sliderReleased.connect(self._commit)
            s.valueChanged.connect(lambda _v: None if self._loading or self._dragging() else self._commit())
            grid.addWidget(chip, i, 0)
            grid.addWidget(s, i, 1)
            self.sliders[name] = s
        return sl

    def _prompt_page(self) -> QWidget:
        tp = QWidget()
        tl = QVBoxLayout(tp)
        tl.setContentsMargins(0, 0, 0, 0)
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText("e.g. 焦急地催促, 疑惑, whispering nervously")
        self.prompt.editingFinished.connect(self._commit)
        self.readout = QLabel("")
        self.readout.setWordWrap(True)
        self.readout.setStyleSheet("color: palette(mid);")
        tl.addWidget(self.prompt)
        tl.addWidget(self.readout)
        return tp

    def _clip_page(self) -> QWidget:
        """A reference clip whose delivery is copied."""
        cp = QWidget()
        cl = QHBoxLayout(cp)
        cl.setContentsMargins(0, 0, 0, 0)
        self.clip_label = QLabel("(no clip)")
        self.clip_label.setWordWrap(True)
        pick = QPushButton("Choose…")
        pick.clicked.connect(self._choose_clip)
        cl.addWidget(self.clip_label, 1)
        cl.addWidget(pick)
        return cp

    def _intensity_row_layout(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("Intensity"))
        self.intensity = QSlider(Qt.Orientation.Horizontal)
        self.intensity.setRange(0, 100)
        self.intensity.setValue(80)
        self.intensity.sliderReleased.connect(self._commit)
        self.intensity.valueChanged.connect(self._on_intensity)
        self.intensity_label = QLabel("0.80")
        row.addWidget(self.intensity, 1)
        row.addWidget(self.intensity_label)
        self._intensity_row = [self.intensity, self.intensity_label, row.itemAt(0).widget()]
        return row

    def _fit_page(self, index: int) -> None:
        """Size the group to the page shown (a stacked widget otherwise takes its largest page's height)."""
        for i in range(self.pages.count()):
            pol = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            self.pages.widget(i).setSizePolicy(pol, pol)
        for w in self._intensity_row:
            w.setVisible(index != 0)  # no intensity for the voice's own delivery
        # updateGeometry, not adjustSize: adjustSize resized the group to a stale hint for a
        # moment (it collapsed to ~215 px whenever the source changed)
        self.pages.updateGeometry()
        self.updateGeometry()

    # ------------------------------------------------------------ model -> widgets
    def load(self, region_id: str | None) -> None:
        self.region_id = region_id
        region = self.doc.region(region_id) if region_id else None
        self.setEnabled(region is not None)
        if region is None:
            return
        e = region.emotion or {}
        self._loading = True
        try:
            m = mode_of(e)
            self.mode.setCurrentIndex([k for k, _ in MODES].index(m))
            self.pages.setCurrentIndex(self.mode.currentIndex())
            vec = e.get("vector") or [0.0] * len(EMOTIONS)
            for name, w in zip(EMOTIONS, vec, strict=False):
                self.sliders[name].setValue(int(round(float(w) * 100)))
            if self.prompt.text() != (e.get("text") or ""):
                self.prompt.setText(e.get("text") or "")
            self._clip = e.get("audio") or ""
            self.clip_label.setText(self._clip or "(no clip)")
            self.intensity.setValue(int(round(float(e.get("intensity", 0.8)) * 100)))
            self._on_intensity(self.intensity.value())
        finally:
            self._loading = False
        if m == "text" and e.get("text"):
            self.readout.setText("resolving…")
            self.resolver.request(e["text"])
        else:
            self.readout.setText("")

    # ------------------------------------------------------------ widgets -> model
    def value(self) -> dict:
        mode = self.mode.currentData()
        d: dict = {"intensity": round(self.intensity.value() / 100, 2)}
        if mode == "voice":
            return {}
        if mode == "vector":
            d["vector"] = [round(self.sliders[n].value() / 100, 2) for n in EMOTIONS]
        elif mode == "text":
            if not self.prompt.text().strip():
                return {}
            d["text"] = self.prompt.text().strip()
        elif mode == "audio":
            if not self._clip:
                return {}
            d["audio"] = self._clip
        elif mode == "line":
            d["from_line"] = True
        elif mode == "source":
            d["from_source"] = True
        return d

    def _commit(self) -> None:
        self.pages.setCurrentIndex(self.mode.currentIndex())
        if self._loading or self.region_id is None:
            return
        region = self.doc.region(self.region_id)
        if region is None:
            return
        new = self.value()
        if not new and self.mode.currentData() in ("text", "audio"):
            return  # the page waits for a prompt or a clip; the line keeps its emotion until then
        if new != (region.emotion or {}):
            self.doc.push(cmd.SetRegionEmotion(self.doc, self.region_id, new))
        if new.get("text"):
            self.readout.setText("resolving…")
            self.resolver.request(new["text"])

    def _dragging(self) -> bool:
        return any(s.isSliderDown() for s in self.sliders.values())

    def _preset(self, name: str) -> None:
        self._loading = True
        try:
            self.mode.setCurrentIndex([k for k, _ in MODES].index("vector"))
            for n, s in self.sliders.items():
                s.setValue(100 if n == name else 0)
        finally:
            self._loading = False
        self._commit()

    def _on_intensity(self, v: int) -> None:
        a = v / 100
        self.intensity_label.setText(f"{a:.2f}")
        self.intensity_label.setStyleSheet("color: #e67e22;" if a > 0.9 else "")
        self.intensity.setToolTip("Above 0.9 may sound exaggerated" if a > 0.9 else "0.6-0.8 sounds natural")
        if not self._loading and not self.intensity.isSliderDown():
            self._commit()

    def _choose_clip(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Emotion reference clip", "",
                                              "Audio (*.wav *.flac *.ogg *.mp3 *.m4a);;All files (*)")
        if path:
            self.set_clip(path)

    def set_clip(self, path: str) -> None:
        self._clip = path
        self.clip_label.setText(path)
        self.mode.setCurrentIndex([k for k, _ in MODES].index("audio"))
        self._commit()

    def _on_resolved(self, prompt: str, vec) -> None:
        if prompt != self.prompt.text().strip():
            return  # the user typed on meanwhile
        text = "Understood as: " + (describe(vec) if vec is not None else "(could not resolve)")
        if getattr(self.doc.project, "backend", "embedded") == "indextts2":
            text += " (IndexTTS2 reads the prompt again with its own emotion model when it renders)"
        self.readout.setText(text)
