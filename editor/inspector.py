"""The inspector: edits the selected region, every change an undo command.

Text is committed as one ``SetRegionText`` per burst of typing (after 600 ms
idle, on leaving the field, or before any other command runs).  The pinyin
helper lists the line's polyphonic characters with their readings (pypinyin
heteronyms); picking one writes the override syntax ``字[reading]`` into the
line.  The natural length comes from the render worker (never the engine in
the GUI thread), and the speed ratio it implies is shown, warning-styled
outside 0.7x-1.4x.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from editor import commands as cmd
from editor.document import Document
from project.timecode import TimecodeError, format_frames, format_tc, parse_tc

TEXT_IDLE_MS = 600
WARNING_COLOR = "#e8a33d"  # every warning in the inspector, whatever the render status colour
RATIO_OK = (0.7, 1.4)
MODES = (("fit", "Fit region exactly"), ("ratio", "Ratio of natural length"), ("free", "Free (natural length)"))


def seconds_up(seconds: float) -> float:
    """Rounded up to 1/100 s, as the engine's "needs at least" says (typing it back in is enough)."""
    return math.ceil(seconds * 100 - 1e-9) / 100


# ------------------------------------------------------------------ pinyin helper (pure)
def is_han(ch: str) -> bool:
    return len(ch) == 1 and ("CJK UNIFIED" in unicodedata.name(ch, "") or "\u3400" <= ch <= "\u9fff")


@dataclass
class Polyphone:
    index: int  # position of the character in the text
    char: str
    readings: list[str]
    predicted: str  # pypinyin's reading in context
    override: str | None  # the reading already written after it
    context: str


def _scan(text: str) -> tuple[list[tuple[int, str]], dict[int, tuple[int, int, int]]]:
    """Characters outside override brackets, and which Han ones are overridden.

    Returns (chars, overrides): ``overrides[char_index] = (open, close, syllable_no)``.
    """
    chars: list[tuple[int, str]] = []
    overrides: dict[int, tuple[int, int, int]] = {}
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "[【":
            close = text.find("]" if ch == "[" else "】", i + 1)
            if close == -1:
                break
            syllables = text[i + 1: close].split()
            han = [k for k, c in chars if is_han(c) and k not in overrides]
            targets = han[-len(syllables):] if syllables else []
            for n, k in enumerate(targets):
                overrides[k] = (i, close, n)
            i = close + 1
            continue
        chars.append((i, ch))
        i += 1
    return chars, overrides


def polyphones(text: str) -> list[Polyphone]:
    """The polyphonic Han characters of a line, with readings and any override."""
    from engine.text.zh import common_readings, dictionary_readings

    chars, overrides = _scan(text)
    out: list[Polyphone] = []
    # predicted readings per run of Han characters (phrase context matters: 银行 háng)
    runs: list[list[tuple[int, str]]] = []
    for k, c in chars:
        if is_han(c):
            if runs and runs[-1] and runs[-1][-1][0] == _prev_char_index(chars, k):
                runs[-1].append((k, c))
            else:
                runs.append([(k, c)])
    # What the engine itself will read (same front end, same phrase context), so the
    # helper never promises one reading while the line is spoken with another.
    predicted: dict[int, str] = {}
    for run in runs:
        got = dictionary_readings("".join(c for _, c in run))
        for n, (k, _) in enumerate(run):
            if n in got:
                predicted[k] = got[n]
    for k, c in chars:
        if not is_han(c):
            continue
        readings = common_readings(c)
        if predicted.get(k) and predicted[k] not in readings:
            readings.insert(0, predicted[k])
        if len(readings) < 2:
            continue
        ov = None
        if k in overrides:
            o, cl, n = overrides[k]
            syl = text[o + 1: cl].split()
            ov = syl[n] if n < len(syl) else None
        pos = [i for i, (kk, _) in enumerate(chars) if kk == k][0]
        ctx = "".join(cc for _, cc in chars[max(0, pos - 2): pos + 3])
        out.append(Polyphone(k, c, readings, predicted.get(k, readings[0]), ov, ctx))
    return out


def _prev_char_index(chars: list[tuple[int, str]], k: int) -> int | None:
    for i, (kk, _) in enumerate(chars):
        if kk == k:
            return chars[i - 1][0] if i > 0 else None
    return None


def apply_reading(text: str, index: int, reading: str) -> str:
    """Write ``reading`` as the override of the character at ``index``."""
    _, overrides = _scan(text)
    if index in overrides:
        o, cl, n = overrides[index]
        syl = text[o + 1: cl].split()
        syl[n] = reading
        return text[: o + 1] + " ".join(syl) + text[cl:]
    return text[: index + 1] + f"[{reading}]" + text[index + 1:]


# ------------------------------------------------------------------ widget
class _FocusOut(QObject):
    def __init__(self, callback):
        super().__init__()
        self.callback = callback

    def eventFilter(self, obj, ev) -> bool:
        if ev.type() == QEvent.Type.FocusOut:
            self.callback()
        return False


class InspectorWidget(QWidget):
    renderRequested = Signal(list)
    playRegionRequested = Signal(str)
    message = Signal(str)
    pinToOriginalRequested = Signal(str, bool)  # region id, also the pauses

    def __init__(self, doc: Document, renderer=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.renderer = renderer
        self.region_id: str | None = None
        self._loading = False
        self._dirty = False
        self._natural_token = 0
        self._natural: float | None = None
        self._natural_error = ""
        self._shortest: float | None = None

        lay = self._build_pages()
        self._build_header(lay)
        self._build_source_box(lay)
        self._build_text(lay)
        self._build_pinyin(lay)
        self._build_form(lay)
        from editor.emotion_widget import EmotionBox

        self.emotion_box = EmotionBox(self.doc)
        lay.addWidget(self.emotion_box)
        self._build_buttons(lay)
        lay.addStretch(1)
        self._connect(doc, renderer)
        self._on_selection()

    # ------------------------------------------------------------ construction, one section each
    def _build_pages(self) -> QVBoxLayout:
        """The empty page and the region page in a scrolling stack; returns the region page's layout."""
        self.stack = QStackedWidget()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        # the pages scroll: a tall page (Emotion > Sliders) must never raise the window's minimum height
        self.scroll = QScrollArea()
        self.scroll.setObjectName("inspectorScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        holder = QWidget()
        hl = QVBoxLayout(holder)
        hl.setContentsMargins(6, 6, 6, 6)
        hl.addWidget(self.stack)
        self.scroll.setWidget(holder)
        outer.addWidget(self.scroll)
        empty = QLabel("Select a region on a dub track to edit it.\n\nDrag on empty track space to draw one, "
                       "or press R to add one at the playhead.")
        empty.setWordWrap(True)
        empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        empty.setStyleSheet("color: palette(mid); padding: 8px;")
        self.stack.addWidget(empty)
        page = QWidget()
        self.stack.addWidget(page)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        return lay

    def _build_header(self, lay: QVBoxLayout) -> None:
        self.header = QLabel()
        self.header.setStyleSheet("font-weight: bold;")
        lay.addWidget(self.header)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.status_label)
        self.warnings_label = QLabel()
        self.warnings_label.setObjectName("inspectorWarnings")
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setStyleSheet(f"color: {WARNING_COLOR}; font-weight: bold;")
        self.warnings_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warnings_label.hide()
        lay.addWidget(self.warnings_label)

    def _build_text(self, lay: QVBoxLayout) -> None:
        lay.addWidget(QLabel("Line"))
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("Type the line; pinyin overrides like 出发[chū fā] are allowed")
        self.text.setTabChangesFocus(True)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.text.setMaximumHeight(90)
        self._focus_filter = _FocusOut(self.commit_text)
        self.text.installEventFilter(self._focus_filter)
        self.text.textChanged.connect(self._on_text_edited)
        lay.addWidget(self.text)
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(TEXT_IDLE_MS)
        self._idle.timeout.connect(self.commit_text)

    def _build_pinyin(self, lay: QVBoxLayout) -> None:
        self.pinyin_box = QGroupBox("Pinyin helper: polyphonic characters")
        pl = QVBoxLayout(self.pinyin_box)
        self.pinyin_tree = QTreeWidget()
        self.pinyin_tree.setHeaderHidden(True)
        self.pinyin_tree.setRootIsDecorated(True)
        self.pinyin_tree.setMaximumHeight(130)
        self.pinyin_tree.itemActivated.connect(self._on_reading_picked)
        self.pinyin_tree.itemClicked.connect(self._on_reading_picked)
        pl.addWidget(self.pinyin_tree)
        self.pinyin_hint = QLabel("Click a reading to pin it.")
        self.pinyin_hint.setStyleSheet("color: palette(mid);")
        pl.addWidget(self.pinyin_hint)
        lay.addWidget(self.pinyin_box)
        self._pinyin_timer = QTimer(self)
        self._pinyin_timer.setSingleShot(True)
        self._pinyin_timer.setInterval(250)
        self._pinyin_timer.timeout.connect(self._refresh_pinyin)

    def _build_form(self, lay: QVBoxLayout) -> None:
        form = QFormLayout()
        self._build_timing_rows(form)
        self._build_level_rows(form)
        lay.addLayout(form)

    def _build_timing_rows(self, form: QFormLayout) -> None:
        """Voice, duration mode and ratio, the natural length and the result, start/end/length."""
        self.voice = QComboBox()
        self.voice.activated.connect(self._on_voice_picked)
        form.addRow("Voice", self.voice)
        self.mode = QComboBox()
        for key, label in MODES:
            self.mode.addItem(label, key)
        self.mode.activated.connect(self._on_mode_picked)
        form.addRow("Duration", self.mode)
        self.ratio = QDoubleSpinBox()
        self.ratio.setRange(0.2, 5.0)
        self.ratio.setSingleStep(0.05)
        self.ratio.setDecimals(2)
        self.ratio.setSuffix("× natural")
        self.ratio.setKeyboardTracking(False)
        self.ratio.valueChanged.connect(self._on_ratio_changed)
        form.addRow("Ratio", self.ratio)
        self.natural_label = QLabel("—")
        self.natural_label.setWordWrap(True)
        form.addRow("Natural", self.natural_label)
        self.speed_label = QLabel("—")
        self.speed_label.setWordWrap(True)
        form.addRow("Result", self.speed_label)
        self.start_edit = QLineEdit()
        self.end_edit = QLineEdit()
        self.dur_edit = QLineEdit()
        for w, which in ((self.start_edit, "start"), (self.end_edit, "end"), (self.dur_edit, "duration")):
            w.setToolTip("HH:MM:SS:FF, or seconds like 12.5")
            w.editingFinished.connect(lambda which=which: self._on_time_edited(which))
        form.addRow("Start", self.start_edit)
        form.addRow("End", self.end_edit)
        form.addRow("Length", self.dur_edit)

    def _build_level_rows(self, form: QFormLayout) -> None:
        """The line's level in the mix (playback and export; no re-render)."""
        level = QHBoxLayout()
        self.gain = QDoubleSpinBox()
        self.gain.setRange(-96.0, 24.0)
        self.gain.setDecimals(1)
        self.gain.setSingleStep(0.5)
        self.gain.setSuffix(" dB")
        self.gain.setToolTip("Level of this line in the mix")
        self.fade_in = QDoubleSpinBox()
        self.fade_out = QDoubleSpinBox()
        for w, tip in ((self.fade_in, "Fade in (seconds)"), (self.fade_out, "Fade out (seconds)")):
            w.setRange(0.0, 10.0)
            w.setDecimals(2)
            w.setSingleStep(0.05)
            w.setSuffix(" s")
            w.setToolTip(tip)
        for w, key in ((self.gain, "gain_db"), (self.fade_in, "fade_in"), (self.fade_out, "fade_out")):
            w.setKeyboardTracking(False)
            w.valueChanged.connect(lambda v, key=key: self._on_level(key, v))
        level.addWidget(self.gain, 1)
        form.addRow("Level", level)
        fades = QHBoxLayout()
        fades.addWidget(self.fade_in, 1)
        fades.addWidget(QLabel("to"))
        fades.addWidget(self.fade_out, 1)
        form.addRow("Fade in/out", fades)

    def _build_buttons(self, lay: QVBoxLayout) -> None:
        buttons = QHBoxLayout()
        self.render_button = QPushButton("Render")
        self.render_button.setToolTip("Render this region now (it jumps the queue)")
        self.render_button.clicked.connect(lambda: self.region_id and self.renderRequested.emit([self.region_id]))
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play just this region (Shift+Space)")
        self.play_button.clicked.connect(lambda: self.region_id and self.playRegionRequested.emit(self.region_id))
        buttons.addWidget(self.render_button)
        buttons.addWidget(self.play_button)
        lay.addLayout(buttons)

    def _connect(self, doc: Document, renderer) -> None:
        doc.selectionChanged.connect(self._on_selection)
        doc.regionChanged.connect(self._on_region_changed)
        doc.regionsChanged.connect(lambda _tid: self._on_selection())
        doc.tracksChanged.connect(self._reload)
        doc.projectReplaced.connect(self._on_selection)
        # bound methods, not lambdas: Qt drops them with this widget (a lambda outlives it and
        # fired into deleted labels while the window was torn down)
        doc.undo_stack.indexChanged.connect(self._reload_if_clean)
        if renderer is not None:
            renderer.statusChanged.connect(self._on_status)
            renderer.naturalReady.connect(self._on_natural)
            renderer.minimumReady.connect(self._on_minimum)
            renderer.engineStateChanged.connect(self._fill_voices)

    # ------------------------------------------------------------ API
    def focus_text(self) -> None:
        if self.region_id:
            self.text.setFocus(Qt.FocusReason.OtherFocusReason)
            self.text.selectAll()

    def commit_text(self) -> bool:
        """Push the typed text as one undo step (no-op when unchanged). True when pushed."""
        self._idle.stop()
        if not self._dirty or self.region_id is None:
            return False
        self._dirty = False
        region = self.doc.region(self.region_id)
        new = self.text.toPlainText()
        if region is None or new == region.text:
            return False
        self.doc.push(cmd.SetRegionText(self.doc, self.region_id, new))
        return True

    # ------------------------------------------------------------ loading
    def _on_selection(self) -> None:
        rid = self.doc.current_region_id
        if rid != self.region_id:
            self.commit_text()
            self.region_id = rid
            self._natural = None
            self._shortest = None
        if rid is None or self.doc.region(rid) is None:
            self.region_id = None
            self.stack.setCurrentIndex(0)
            return
        self.stack.setCurrentIndex(1)
        self._reload()

    def _on_region_changed(self, rid: str) -> None:
        if rid == self.region_id:
            self._reload()

    def _reload_if_clean(self, _index: int = 0) -> None:
        if self.region_id and not self._dirty:
            self._reload()

    def _reload(self) -> None:
        region = self.doc.region(self.region_id) if self.region_id else None
        track = self.doc.track_of(self.region_id) if self.region_id else None
        if region is None or track is None:
            return
        fps = self.doc.project.fps
        self._loading = True
        try:
            n = len(self.doc.selected_ids)
            idx = track.regions.index(region) + 1
            self.header.setText(f"{track.name} · region {idx}" + (f"   ({n} selected)" if n > 1 else ""))
            if not self._dirty and self.text.toPlainText() != region.text:
                cursor = self.text.textCursor().position()
                self.text.setPlainText(region.text)
                c = self.text.textCursor()
                c.setPosition(min(cursor, len(region.text)))
                self.text.setTextCursor(c)
            self._fill_voices()
            self.mode.setCurrentIndex(max(0, [m for m, _ in MODES].index(region.duration_mode)))
            self.ratio.setValue(region.ratio)
            self.ratio.setEnabled(region.duration_mode == "ratio")
            self.start_edit.setText(format_tc(region.start, fps))
            self.end_edit.setText(format_tc(region.end, fps))
            self.dur_edit.setText(format_frames(round(region.duration * fps), fps))
            self.gain.setValue(region.gain_db)
            self.fade_in.setValue(region.fade_in)
            self.fade_out.setValue(region.fade_out)
            self.emotion_box.load(self.region_id)
            self._show_source(region)
        finally:
            self._loading = False
        self._on_status(self.region_id)
        self._pinyin_timer.start()
        self._ask_natural()

    # ------------------------------------------------------------ the original line (transcribed source)
    def _build_source_box(self, lay: QVBoxLayout) -> None:
        from PySide6.QtWidgets import QGroupBox, QPushButton

        self.source_box = QGroupBox("Original")
        sl = QVBoxLayout(self.source_box)
        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        sl.addWidget(self.source_label)
        row = QHBoxLayout()
        self.pin_source_button = QPushButton("Pin to original")
        self.pin_source_button.setToolTip("Pin the first and last word to where the original's first and last "
                                          "spoken words start")
        self.pin_source_button.clicked.connect(lambda: self.pinToOriginalRequested.emit(self.region_id, False))
        self.pauses_button = QPushButton("Match pauses")
        self.pauses_button.setToolTip("Also pin the words after the original's long pauses")
        self.pauses_button.clicked.connect(lambda: self.pinToOriginalRequested.emit(self.region_id, True))
        row.addWidget(self.pin_source_button)
        row.addWidget(self.pauses_button)
        sl.addLayout(row)
        self.source_box.setVisible(False)
        lay.addWidget(self.source_box)

    def _show_source(self, region) -> None:
        src = region.source
        self.source_box.setVisible(src is not None)
        if src is None:
            return
        lang = {"zh": "Chinese", "en": "English"}.get(src.language, src.language or "?")
        fps = self.doc.project.fps
        self.source_label.setText(f"{src.text or '(no words)'}\n{lang}, {format_tc(src.start, fps)} – "
                                  f"{format_tc(src.end, fps)}, {len(src.words)} word(s)")
        has_words = bool(src.words)
        self.pin_source_button.setEnabled(has_words)
        self.pauses_button.setEnabled(has_words)

    def _fill_voices(self, _state: str = "") -> None:
        region = self.doc.region(self.region_id) if self.region_id else None
        track = self.doc.track_of(self.region_id) if self.region_id else None
        if region is None or track is None:
            return
        voices = list(self.renderer.voices) if self.renderer is not None and self.renderer.voices else []
        for v in (track.default_voice, region.voice):
            if v and v not in voices:
                voices.append(v)
        was = self._loading
        self._loading = True
        self.voice.clear()
        self.voice.addItem(f"(track default: {track.default_voice})", None)
        for v in voices:
            self.voice.addItem(v, v)
        self.voice.setCurrentIndex(max(0, self.voice.findData(region.voice) if region.voice else 0))
        self._loading = was

    def _on_status(self, rid: str) -> None:
        if rid != self.region_id or self.renderer is None:
            return
        status = self.renderer.status(rid)
        err = self.renderer.error(rid)
        from editor.timeline.lanes import STATUS_COLORS, STATUS_LABELS

        color = STATUS_COLORS.get(status)
        text = f"Status: {STATUS_LABELS.get(status, status)}"
        if status == "failed" and err:
            text += f" — {err}"
        clip = self.renderer.clip(rid)
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {color.lighter(150).name()};" if color else "")
        warnings = list(clip.warnings) if clip is not None and status == "ready" else []
        self.warnings_label.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.warnings_label.setVisible(bool(warnings))
        if clip is not None and status == "ready":
            # the render's own natural length (its emotion's pacing included) is the one to show
            self._natural = clip.natural_seconds
            self._show_ratio()

    # ------------------------------------------------------------ natural length and ratio
    def _ask_natural(self) -> None:
        region = self.doc.region(self.region_id) if self.region_id else None
        track = self.doc.track_of(self.region_id) if self.region_id else None
        if region is None or track is None or self.renderer is None:
            return
        text = self.text.toPlainText() if self._dirty else region.text
        if not text.strip():
            self._natural = None
            self.natural_label.setText("— (no text)")
            self._show_ratio()
            return
        if self._natural is None:
            self.natural_label.setText("measuring…")
        self._natural_token = self.renderer.request_natural(text, region.voice or track.default_voice,
                                                            region.emotion or None)

    def _on_minimum(self, token: int, seconds: float) -> None:
        if token == self._natural_token:
            self._shortest = seconds if seconds > 0 else None

    def _on_natural(self, token: int, seconds: float, error: str) -> None:
        if token != self._natural_token:
            return
        if seconds < 0:
            self._natural = None
            self.natural_label.setText(f"— {error}")
        else:
            self._natural = seconds
        self._show_ratio()

    def _show_ratio(self) -> None:
        region = self.doc.region(self.region_id) if self.region_id else None
        if region is None:
            return
        nat = self._natural
        if nat is None or nat <= 0:
            self.speed_label.setText("—")
            self.speed_label.setStyleSheet("")
            return
        shortest = self._shortest
        self.natural_label.setText(f"{nat:.2f} s" + (f"  (shortest {seconds_up(shortest):.2f} s)" if shortest else ""))
        if region.duration_mode == "fit":
            result = region.duration
        elif region.duration_mode == "ratio":
            result = region.ratio * nat
        else:
            result = nat
        ratio = result / nat
        text = f"{result:.2f} s = {ratio:.2f}× natural length"
        if ratio < RATIO_OK[0]:
            text += f"\n⚠ much faster than natural (below {RATIO_OK[0]}×): may sound rushed"
        elif ratio > RATIO_OK[1]:
            text += f"\n⚠ much slower than natural (above {RATIO_OK[1]}×): may sound dragged"
        warn = not (RATIO_OK[0] <= ratio <= RATIO_OK[1])
        if region.duration_mode == "fit" and shortest and region.duration < shortest - 1e-6:
            # the same rule and figure the render applies ("... is too short for this text")
            text += f"\n⚠ too short for this text: it needs at least {seconds_up(shortest):.2f} s"
            warn = True
        self.speed_label.setText(text)
        self.speed_label.setStyleSheet(f"color: {WARNING_COLOR}; font-weight: bold;" if warn else "")
        self.speed_label.setProperty("warning", warn)

    # ------------------------------------------------------------ edits
    def _on_text_edited(self) -> None:
        if self._loading:
            return
        self._dirty = True
        self._idle.start()
        self._pinyin_timer.start()

    def _on_voice_picked(self, index: int) -> None:
        if self._loading or self.region_id is None:
            return
        self.commit_text()
        voice = self.voice.itemData(index)
        region = self.doc.region(self.region_id)
        if region is not None and voice != region.voice:
            self.doc.push(cmd.SetRegionVoice(self.doc, self.region_id, voice))

    def _on_mode_picked(self, index: int) -> None:
        if self._loading or self.region_id is None:
            return
        self.commit_text()
        mode = self.mode.itemData(index)
        region = self.doc.region(self.region_id)
        if region is not None and mode != region.duration_mode:
            self.doc.push(cmd.SetRegionDurationMode(self.doc, self.region_id, mode, self.ratio.value()))

    def _on_ratio_changed(self, value: float) -> None:
        if self._loading or self.region_id is None:
            return
        region = self.doc.region(self.region_id)
        if region is not None and abs(value - region.ratio) > 1e-9:
            self.doc.push(cmd.SetRegionDurationMode(self.doc, self.region_id, region.duration_mode, value))

    def _on_level(self, key: str, value: float) -> None:
        if self._loading or self.region_id is None:
            return
        region = self.doc.region(self.region_id)
        if region is not None and abs(getattr(region, key) - value) > 1e-9:
            from editor.edit_commands import SetRegionLevel

            self.doc.push(SetRegionLevel(self.doc, self.region_id, **{key: float(value)}))

    def _on_time_edited(self, which: str) -> None:
        if self._loading or self.region_id is None:
            return
        region = self.doc.region(self.region_id)
        if region is None:
            return
        fps = self.doc.project.fps
        edit = {"start": self.start_edit, "end": self.end_edit, "duration": self.dur_edit}[which]
        try:
            t = parse_tc(edit.text(), fps)
        except TimecodeError as e:
            self.message.emit(str(e))
            self._reload()
            return
        if which == "start":
            start, end, mode = t, t + region.duration, "move"
        elif which == "end":
            start, end, mode = region.start, t, "end"
        else:
            start, end, mode = region.start, region.start + t, "end"
        c = cmd.MoveResizeRegion(self.doc, self.region_id, start, end, mode)
        if c.after != (region.start, region.end):
            self.doc.push(c)
        if c.clamped:
            self.message.emit("Regions on a track cannot overlap: the time was pushed back to the neighbour")
        self._reload()

    # ------------------------------------------------------------ pinyin
    def _refresh_pinyin(self) -> None:
        from engine.text.frontend import is_warm, warm_up

        if not is_warm():
            # Importing the pinyin dictionaries takes seconds: never in the GUI thread.
            warm_up(background=True)
            self.pinyin_hint.setText("Loading the pinyin dictionaries…")
            self._pinyin_timer.start(300)
            return
        self.pinyin_tree.clear()
        text = self.text.toPlainText()
        try:
            items = polyphones(text)
        except Exception as e:  # pypinyin missing or broken: the helper is optional
            self.pinyin_hint.setText(f"pinyin helper unavailable ({e})")
            return
        for ph in items:
            state = f"pinned {ph.override}" if ph.override else f"reads {ph.predicted}"
            top = QTreeWidgetItem([f"{ph.char}  in “{ph.context}”  — {state}"])
            top.setData(0, Qt.ItemDataRole.UserRole, None)
            for r in ph.readings:
                mark = "✓ " if r == ph.override else ("• " if r == ph.predicted and not ph.override else "   ")
                child = QTreeWidgetItem([f"{mark}{ph.char}[{r}]"])
                child.setData(0, Qt.ItemDataRole.UserRole, (ph.index, r))
                top.addChild(child)
            self.pinyin_tree.addTopLevelItem(top)
            top.setExpanded(len(items) <= 3)
        self.pinyin_hint.setText("Click a reading to pin it." if items else "No polyphonic characters in this line.")

    def _on_reading_picked(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        data = item.data(0, Qt.ItemDataRole.UserRole)
        if not data or self.region_id is None:
            return
        index, reading = data
        text = apply_reading(self.text.toPlainText(), index, reading)
        self._loading = True
        self.text.setPlainText(text)
        self._loading = False
        self._dirty = True
        self.commit_text()
        self._refresh_pinyin()
