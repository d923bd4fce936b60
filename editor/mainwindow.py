"""The main window: preview on top, timeline below, inspector on the right.

It wires the pieces together and owns the desktop conventions: menus and
toolbar, the status bar (engine state, render queue, clock, messages), the
title with the modified marker, Save/Discard/Cancel on close, window geometry
in QSettings, recent files, clear dialogs for bad project files, and a banner
(not a modal dialog) for missing media with a Relink button.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import QDateTime, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSlider,
    QSplitter,
    QStyle,
    QToolBar,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from editor import autosave as asv
from editor import commands as cmd
from editor.actions import make_action
from editor.document import Document
from editor.inspector import InspectorWidget
from editor.playback import Playback
from editor.preview import PreviewWidget
from editor.proxy_job import ProxyJob
from editor.render_worker import EngineFactory, RenderController
from editor.source_actions import SourceActionsMixin
from editor.timeline import TimelineWidget
from project import model as pj
from project.mixer import plan_for
from project.timecode import format_tc

log = logging.getLogger(__name__)

MAX_RECENT = 8
MEDIA_FILTER = "Video or audio (*.mp4 *.mov *.mkv *.avi *.webm *.m4v *.wav *.flac *.mp3 *.m4a *.ogg *.aac);;All files (*)"
PROJECT_FILTER = f"Dubline projects (*{pj.SUFFIX});;All files (*)"


# ------------------------------------------------------------------ media loading (off the GUI thread)
class MediaLoader(QObject):
    """Decodes the source audio and builds its waveform pyramid in a background task (editor/tasks.py)."""

    loaded = Signal(int, object, int, object)  # generation, audio (or None), sample rate, pyramid (or None)
    failed = Signal(int, str)

    def __init__(self):
        super().__init__()
        self._gen = 0

    def load(self, path: str, sample_rate: int) -> int:
        from editor.tasks import run_task

        self._gen += 1
        gen = self._gen
        task = run_task(_load_media, path, sample_rate, owner=self, name="media")
        task.finished.connect(lambda res: self.loaded.emit(gen, res[0], sample_rate, res[1]))
        task.failed.connect(lambda msg: self.failed.emit(gen, msg))
        return gen


def _load_media(ctx, path: str, sample_rate: int):
    """(audio or None, waveform pyramid or None): the source as exports mix it (stereo; a mono file as
    one column, both sides being the same)."""
    from project.media import load_audio

    audio = load_audio(path, sample_rate=sample_rate, channels=2)
    if audio is None:
        return None, None
    audio = np.asarray(audio, np.float32)
    if np.array_equal(audio[:, 0], audio[:, 1]):
        audio = np.ascontiguousarray(audio[:, 0])
    try:
        from project.waveform import WaveformPyramid

        pyramid = WaveformPyramid(audio if audio.ndim == 1 else audio.mean(axis=1), sample_rate)
    except Exception as e:  # noqa: BLE001 - no waveform is better than no editor
        log.warning("waveform unavailable: %s", e)
        pyramid = None
    return audio, pyramid


class Banner(QFrame):
    """A dismissible notice above the preview (missing media, unreadable video...)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.setStyleSheet("#banner { background: #5a4a1c; border-bottom: 1px solid #7d6a3a; } "
                           "#banner QLabel { color: #fff2cc; }")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 4, 6, 4)
        self.label = QLabel()
        self.label.setWordWrap(True)
        lay.addWidget(self.label, 1)
        self.action_button = QPushButton()
        lay.addWidget(self.action_button)
        close = QPushButton("Dismiss")
        close.clicked.connect(self.hide)
        lay.addWidget(close)
        self._callback = None
        self.action_button.clicked.connect(lambda: self._callback and self._callback())
        self.hide()

    def show_message(self, text: str, action: str | None = None, callback=None) -> None:
        self.label.setText(text)
        self._callback = callback
        self.action_button.setVisible(bool(action))
        self.action_button.setText(action or "")
        self.show()


class MainWindow(SourceActionsMixin, QMainWindow):
    def __init__(self, engine_factory: EngineFactory | None = None, use_audio: bool = True,
                 settings: QSettings | None = None):
        super().__init__()
        self.settings = settings or QSettings()
        self.doc = Document(parent=self)
        self._fixed_engine_factory = engine_factory  # tests pass one; otherwise it follows the project's backend
        self.renderer = RenderController(self.doc, self._engine_factory(self.doc.project.backend), parent=self)
        self.playback = Playback(self.doc.project.sample_rate, use_audio=use_audio, parent=self)
        self.media_path: Path | None = None
        self._media_gen = 0
        self._monitor_level = float(self.settings.value("playback/sourceLevel", 1.0))
        self._closing_done = False
        self.autosave = asv.Autosaver(self.doc, parent=self)
        self.autosave.failed.connect(lambda m: self.statusBar().showMessage(m, 10000))
        self._export_task = None  # editor.tasks.Task while an export runs
        self._export_progress: QProgressDialog | None = None

        self.preview = PreviewWidget()
        self.timeline = TimelineWidget(self.doc)
        self.timeline.set_renderer(self.renderer)
        self.inspector = InspectorWidget(self.doc, self.renderer)
        self.banner = Banner()
        self.media_loader = MediaLoader()
        self.proxy_job = ProxyJob(self)
        self._detect_job = None  # the keyframe detection Task while it runs

        central = QWidget()
        cl = QVBoxLayout(central)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(0)
        cl.addWidget(self.banner)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.preview)
        self.splitter.addWidget(self.timeline)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        cl.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.inspector_dock = QDockWidget("Inspector", self)
        self.inspector_dock.setObjectName("inspectorDock")
        self.inspector_dock.setWidget(self.inspector)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.inspector_dock)
        self.history_view = QUndoView(self.doc.undo_stack)
        self.history_view.setEmptyLabel("<opened>")
        self.history_dock = QDockWidget("History", self)
        self.history_dock.setObjectName("historyDock")
        self.history_dock.setWidget(self.history_view)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.history_dock)
        self.history_dock.hide()
        from editor.voices_panel import VoicesPanel

        self.voices_panel = VoicesPanel(self.doc, self.renderer)
        self.voices_dock = QDockWidget("Voices", self)
        self.voices_dock.setObjectName("voicesDock")
        self.voices_dock.setWidget(self.voices_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.voices_dock)
        self.tabifyDockWidget(self.inspector_dock, self.voices_dock)
        self.inspector_dock.raise_()

        self._build_status_bar()
        self._build_actions()
        self._build_issue17_parts()
        self._build_menus()
        self._build_toolbar()
        self._connect()
        self.resize(1400, 900)
        self._restore_window()
        self._on_project_replaced()
        self._update_title()

    # ------------------------------------------------------------ construction
    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.engine_label = QLabel("loading engine…")
        self.queue_label = QLabel("Render queue: 0")
        self.clock_label = QLabel("")
        self.time_label = QLabel("00:00:00:00")
        self.time_label.setStyleSheet("font-family: monospace;")
        self.proxy_label = QLabel("")
        self.proxy_label.setToolTip("A small copy of the video that makes scrubbing instant (View > Preview Proxies)")
        for w in (self.proxy_label, self.clock_label, self.queue_label, self.engine_label, self.time_label):
            w.setContentsMargins(6, 0, 6, 0)
            sb.addPermanentWidget(w)

    def _act(self, text: str, slot, shortcuts=(), tip: str = "", icon=None, checkable: bool = False) -> QAction:
        a = make_action(self, text, slot, shortcuts, tip, checkable)
        if icon is not None:
            a.setIcon(self.style().standardIcon(icon))
        if tip:
            seqs = a.shortcuts()
            a.setToolTip(f"{text.replace('&', '').rstrip('…')} ({seqs[0].toString()})" if seqs else tip)
        return a

    def _build_actions(self) -> None:
        SP = QStyle.StandardPixmap
        self.act_new = self._act("&New Project", self.new_project, [QKeySequence.StandardKey.New],
                                 "Start an empty project", SP.SP_FileIcon)
        self.act_new_media = self._act("New Project from &Media…", self.new_project_from_media, ["Ctrl+Shift+N"],
                                       "Start a project for a video or audio file")
        self.act_open = self._act("&Open…", self.open_dialog, [QKeySequence.StandardKey.Open],
                                  "Open a Dubline project", SP.SP_DialogOpenButton)
        self.act_save = self._act("&Save", self.save, [QKeySequence.StandardKey.Save], "Save the project",
                                  SP.SP_DialogSaveButton)
        self.act_save_as = self._act("Save &As…", self.save_as, [QKeySequence.StandardKey.SaveAs],
                                     "Save the project under a new name")
        self.act_relink = self._act("&Relink Media…", self.relink_media, [], "Point the project at its media file")
        self.act_import_subs = self._act("&Subtitles…", self.import_subtitles_dialog, ["Ctrl+I"],
                                         "Import SRT/ASS/SSA/VTT subtitles as regions on new tracks")
        self.act_import_text = self._act("&Plain Text…", self.import_text_dialog, [],
                                         "Import a text file: one region per line after the playhead")
        self.act_export = self._act("&Export…", self.export_dialog, ["Ctrl+E"],
                                    "Export WAV/FLAC, MP4/MKV, SRT, OTIO, stems or clips")
        self.act_quit = self._act("&Quit", self.close, [QKeySequence.StandardKey.Quit, "Ctrl+Q"], "Quit Dubline")

        stack = self.doc.undo_stack
        self.act_undo = stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcuts([QKeySequence(QKeySequence.StandardKey.Undo)])
        self.act_undo.setIcon(self.style().standardIcon(SP.SP_ArrowBack))
        self.act_undo.triggered.disconnect()  # commit a pending text edit first, then undo
        self.act_undo.triggered.connect(self.undo)
        self.act_redo = stack.createRedoAction(self, "&Redo")
        redo_keys = [QKeySequence(QKeySequence.StandardKey.Redo), QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
        uniq: list[QKeySequence] = []
        for k in redo_keys:
            if not k.isEmpty() and all(k != u for u in uniq):
                uniq.append(k)
        self.act_redo.setShortcuts(uniq)
        self.act_redo.setIcon(self.style().standardIcon(SP.SP_ArrowForward))
        self.act_redo.triggered.disconnect()
        self.act_redo.triggered.connect(self.redo)
        self.addAction(self.act_undo)
        self.addAction(self.act_redo)

        self.act_add_region = self._act("Add &Region at Playhead", self.timeline.create_region_at_playhead,
                                        ["R", "Ins"], "Add a 2 s region at the playhead on the active track")
        self.act_add_marker = self._act("Add &Marker", lambda: self.timeline.add_marker(), ["M"],
                                        "Add a marker at the playhead")
        self.act_delete = self._act("&Delete", self.timeline.delete_selected, [QKeySequence.StandardKey.Delete,
                                                                               "Backspace"],
                                    "Delete the selected regions or marker")
        self.act_select_all = self._act("Select &All", self.doc.select_all, [QKeySequence.StandardKey.SelectAll],
                                        "Select every region")
        self.act_add_track = self._act("Add Dub &Track", self.timeline.add_track, [], "Add a dub track")
        self.act_prefs = self._act("&Preferences…", self.show_preferences, [QKeySequence.StandardKey.Preferences,
                                   "Ctrl+,"], "Speech backend (embedded or IndexTTS2) and IndexTTS2's folders")
        self.act_prefs.setMenuRole(QAction.MenuRole.PreferencesRole)

        self.act_zoom_in = self._act("Zoom &In", self.timeline.zoom_in, ["=", "+", "Ctrl+="], "Zoom in on the timeline")
        self.act_zoom_out = self._act("Zoom &Out", self.timeline.zoom_out, ["-", "Ctrl+-"], "Zoom out")
        self.act_zoom_fit = self._act("Zoom to &Fit", self.timeline.zoom_fit, ["0", "\\"], "Show the whole timeline")
        self.act_history = self.history_dock.toggleViewAction()
        self.act_voices = self.voices_dock.toggleViewAction()
        self.act_history.setText("&History Panel")
        self.act_history.setShortcut(QKeySequence("Ctrl+H"))
        self.act_inspector = self.inspector_dock.toggleViewAction()
        self.act_inspector.setText("&Inspector")

        self.act_play = self._act("&Play / Pause", self.toggle_play, ["Space"], "Play from the playhead",
                                  SP.SP_MediaPlay)
        self.act_play_region = self._act("Play &Selected Region", self.play_selected_region, ["Shift+Space"],
                                         "Play just the selected region")
        self.act_reverse = self._act("Shuttle &Reverse", self.playback.shuttle_reverse, ["J"],
                                     "Play backwards (again: faster)", SP.SP_MediaSeekBackward)
        self.act_stop = self._act("&Stop", self.playback.pause, ["K"], "Stop", SP.SP_MediaPause)
        self.act_forward = self._act("Shuttle &Forward", self.playback.shuttle_forward, ["L"],
                                     "Play forwards (again: faster)", SP.SP_MediaSeekForward)
        fps = lambda: self.doc.project.fps  # noqa: E731
        self.act_prev_frame = self._act("Previous Frame", lambda: self.playback.step_frames(-1, fps()), ["Left"],
                                        "One frame back")
        self.act_next_frame = self._act("Next Frame", lambda: self.playback.step_frames(1, fps()), ["Right"],
                                        "One frame forward")
        self.act_back_second = self._act("Back One Second", lambda: self.playback.step_seconds(-1.0), ["Shift+Left"],
                                         "One second back")
        self.act_fwd_second = self._act("Forward One Second", lambda: self.playback.step_seconds(1.0),
                                        ["Shift+Right"], "One second forward")
        self.act_home = self._act("Go to Start", self.go_start, ["Home"], "Go to the start", SP.SP_MediaSkipBackward)
        self.act_next_marker = self._act("&Next Marker", lambda: self.jump_marker(+1), ["Shift+M", "Alt+Right"],
                                         "Move the playhead to the next marker or keyframe")
        self.act_prev_marker = self._act("&Previous Marker", lambda: self.jump_marker(-1),
                                         ["Ctrl+Shift+M", "Alt+Left"], "Move the playhead to the previous marker")
        self.act_import_keyframes = self._act("&Keyframes (CSV/JSON)…", self.import_keyframes_dialog, [],
                                              "Import a list of keyframes as markers")
        self.act_detect_keyframes = self._act("&Detect Keyframes in Video…", self.detect_keyframes, [],
                                              "Find shot cuts and strong visual changes to use as keyframes")
        self.build_source_actions()
        self.act_end = self._act("Go to End", self.go_end, ["End"], "Go to the end", SP.SP_MediaSkipForward)

        self.act_render_sel = self._act("Render &Selected", self.render_selected, ["Ctrl+R"],
                                        "Render the selected regions now")
        self.act_render_all = self._act("Render &All", self.renderer.render_all, ["Ctrl+Shift+R"],
                                        "Render every region that is not ready (failed ones too)")
        self.act_cancel = self._act("&Cancel All", self.renderer.cancel_all, [], "Drop every waiting render")

    def _build_issue17_parts(self) -> None:
        """Region edits (clipboard, split, nudge...) and the line list dock."""
        from editor.region_actions import RegionActions

        self.region_actions = RegionActions(self.doc, lambda: self.timeline.playhead, self.renderer.ready_clip,
                                            self.inspector.commit_text, parent=self)
        self.region_actions.message.connect(lambda m: self.statusBar().showMessage(m, 5000))
        from editor.line_list import LineListWidget

        self.line_list = LineListWidget(self.doc, self.renderer)
        self.line_list_dock = QDockWidget("Lines", self)
        self.line_list_dock.setObjectName("lineListDock")
        self.line_list_dock.setWidget(self.line_list)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.line_list_dock)
        self.resizeDocks([self.line_list_dock], [400], Qt.Orientation.Horizontal)
        self.line_list.seekRequested.connect(self._seek_to_line)
        self.line_list.message.connect(lambda m: self.statusBar().showMessage(m, 5000))
        self.act_line_list = self.line_list_dock.toggleViewAction()
        self.act_line_list.setText("&Line List")
        self.act_line_list.setShortcut(QKeySequence("Ctrl+L"))
        from editor.meters import MasterMeter
        from editor.sync_tools import SyncTools

        self.sync_tools = SyncTools(self.doc, self.playback, self.timeline, parent=self)
        self.sync_tools.message.connect(lambda m: self.statusBar().showMessage(m, 5000))
        self.master_meter = MasterMeter(self.playback)
        self.statusBar().addPermanentWidget(self.master_meter)

    def _seek_to_line(self, t: float) -> None:
        """A line chosen in the line list: the playhead goes to its start, the timeline shows it."""
        if not self.playback.is_playing():
            self.playback.seek(t)
        self.timeline.ensure_visible(t, page=False)
        track = self.doc.track_of(self.doc.current_region_id) if self.doc.current_region_id else None
        if track is not None:
            self.timeline.ensure_track_visible(track.id)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addActions([self.act_new, self.act_new_media, self.act_open])
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        m.addSeparator()
        m.addActions([self.act_save, self.act_save_as])
        m.addSeparator()
        m.addAction(self.act_relink)
        self.import_menu = m.addMenu("&Import")
        self.import_menu.addActions([self.act_import_subs, self.act_import_text, self.act_import_keyframes])
        m.addAction(self.act_transcribe)
        m.addAction(self.act_export)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&Edit")
        m.addActions([self.act_undo, self.act_redo])
        m.addSeparator()
        m.addActions([self.act_add_region, self.act_add_marker, self.act_delete, self.act_select_all])
        m.addSeparator()
        for a in self.region_actions.actions():  # clipboard, duplicate, split, nudge, ripple delete
            m.addAction(a) if a is not None else m.addSeparator()
        m.addSeparator()
        m.addAction(self.act_add_track)
        m.addSeparator()
        m.addAction(self.act_prefs)
        m = mb.addMenu("&Markers")
        m.addActions([self.act_add_marker, self.act_next_marker, self.act_prev_marker])
        m.addSeparator()
        m.addActions([self.act_import_keyframes, self.act_detect_keyframes])
        m = mb.addMenu("&View")
        m.addActions([self.act_zoom_in, self.act_zoom_out, self.act_zoom_fit])
        m.addSeparator()
        m.addActions([self.act_inspector, self.act_line_list, self.act_history, self.act_voices])
        m.addSeparator()
        self.act_proxies = self._act("Preview &Proxies", self._toggle_proxies, checkable=True,
                                     tip="Build a small copy of HD videos in the background so seeking is instant")
        self.act_proxies.setChecked(self.settings.value("preview/proxies", True, type=bool))
        self.preview.server.use_proxies = self.act_proxies.isChecked()
        m.addAction(self.act_proxies)
        m = mb.addMenu("&Playback")
        m.addActions([self.act_play, self.act_play_region])
        m.addSeparator()
        m.addActions([self.act_reverse, self.act_stop, self.act_forward])
        m.addSeparator()
        m.addActions([self.act_prev_frame, self.act_next_frame, self.act_back_second, self.act_fwd_second,
                      self.act_home, self.act_end])
        m.addSeparator()
        for a in self.sync_tools.actions():  # in/out, loop, scrubbing
            m.addAction(a) if a is not None else m.addSeparator()
        m = mb.addMenu("&Render")
        m.addActions([self.act_render_sel, self.act_render_all, self.act_cancel])

    def _build_toolbar(self) -> None:
        for a, short in ((self.act_home, "Start"), (self.act_reverse, "Reverse"), (self.act_play, "Play"),
                         (self.act_forward, "Forward"), (self.act_add_region, "Region"), (self.act_add_marker, "Marker"),
                         (self.act_zoom_out, "Zoom −"), (self.act_zoom_in, "Zoom +"), (self.act_zoom_fit, "Fit"),
                         (self.act_render_all, "Render All"), (self.act_cancel, "Cancel Renders")):
            a.setIconText(short)
        self.act_undo.setIconText("Undo")  # the menu shows "Undo <command>"; the toolbar stays short
        self.act_redo.setIconText("Redo")
        tb = QToolBar("Main", self)
        tb.setObjectName("mainToolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(tb)
        tb.addActions([self.act_open, self.act_save])
        tb.addSeparator()
        tb.addActions([self.act_undo, self.act_redo])
        tb.addSeparator()
        tb.addActions([self.act_home, self.act_reverse, self.act_play, self.act_forward])
        tb.addSeparator()
        tb.addActions([self.act_add_region, self.act_add_marker])
        tb.addSeparator()
        tb.addActions([self.act_zoom_out, self.act_zoom_in, self.act_zoom_fit])
        tb.addSeparator()
        tb.addActions([self.act_render_all, self.act_cancel])
        tb.addSeparator()
        tb.addWidget(QLabel(" Source "))
        self.source_slider = QSlider(Qt.Orientation.Horizontal)
        self.source_slider.setRange(0, 100)
        self.source_slider.setValue(int(round(self._monitor_level * 100)))
        self.source_slider.setFixedWidth(90)
        self.source_slider.setToolTip("Level of the original audio while playing (dub lines duck it further)")
        self.source_slider.valueChanged.connect(self._on_source_level)
        tb.addWidget(self.source_slider)

    def _connect(self) -> None:
        d = self.doc
        d.modifiedChanged.connect(lambda _m: self._update_title())
        d.pathChanged.connect(self._update_title)
        d.projectReplaced.connect(self._on_project_replaced)
        d.backendChanged.connect(self._follow_backend)
        d.mediaChanged.connect(self._load_media)
        d.regionsChanged.connect(lambda _t: self._update_end())
        d.regionChanged.connect(lambda _r: self._update_end())
        d.markersChanged.connect(self._update_end)
        d.tracksChanged.connect(self._schedule_mix)
        d.regionChanged.connect(lambda _r: self._schedule_mix())  # a line's level and fades
        d.selectionChanged.connect(self._update_actions)

        r = self.renderer
        r.engineStateChanged.connect(self._on_engine_state)
        r.engineMessage.connect(lambda msg: self.engine_label.setText(msg) if r.engine_state == "loading" else None)
        r.queueCountChanged.connect(lambda n: self.queue_label.setText(f"Render queue: {n}"))
        r.clipsChanged.connect(self._schedule_mix)
        self._mix_timer = QTimer(self)
        self._mix_timer.setSingleShot(True)
        self._mix_timer.setInterval(30)
        self._mix_timer.timeout.connect(self._rebuild_mix)

        p = self.playback
        p.positionChanged.connect(self._on_position)
        p.playingChanged.connect(self._on_playing)
        p.message.connect(lambda m: self.statusBar().showMessage(m, 8000))
        p.clockChanged.connect(lambda c: self.clock_label.setText("" if c == "audio" else "playing silently"))

        t = self.timeline
        t.seekRequested.connect(self.playback.seek)
        t.message.connect(lambda m: self.statusBar().showMessage(m, 5000))
        t.regionActivated.connect(self._activate_region)
        t.playRegionRequested.connect(self.play_region)
        t.renderRequested.connect(lambda ids: self.renderer.render(ids))
        self.connect_source_signals()

        i = self.inspector
        i.renderRequested.connect(lambda ids: self.renderer.render(ids))
        i.playRegionRequested.connect(self.play_region)
        i.message.connect(lambda m: self.statusBar().showMessage(m, 5000))

        self.preview.server.opened.connect(self._on_video_opened)
        self.preview.server.failed.connect(lambda m: self.statusBar().showMessage(m, 10000))
        self.media_loader.loaded.connect(self._on_audio_loaded)
        self.proxy_job.progress.connect(lambda f: self.proxy_label.setText(f"Building proxy {100 * f:.0f}%"))
        self.proxy_job.finished.connect(self._on_proxy_built)
        self.renderer.engineStateChanged.connect(lambda st: st == "ready" and self.voices_panel.refresh())
        self.voices_panel.voicesChanged.connect(self._on_voices_changed)
        self.proxy_job.failed.connect(self._on_proxy_failed)
        self.preview.server.proxyChanged.connect(
            lambda on: self.proxy_label.setText("Proxy" if on else ""))
        self.media_loader.failed.connect(self._on_audio_failed)

    # ------------------------------------------------------------ settings
    def _restore_window(self) -> None:
        geo = self.settings.value("window/geometry")
        if geo is not None:
            self.restoreGeometry(geo)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        split = self.settings.value("window/splitter")
        if split is not None:
            self.splitter.restoreState(split)

    def _save_window(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue("playback/sourceLevel", self._monitor_level)

    def recent_files(self) -> list[str]:
        v = self.settings.value("recentFiles", [])
        if isinstance(v, str):
            v = [v]
        return [str(x) for x in (v or [])]

    def _add_recent(self, path: Path) -> None:
        p = str(Path(path).resolve())
        files = [p] + [f for f in self.recent_files() if f != p]
        self.settings.setValue("recentFiles", files[:MAX_RECENT])
        self.settings.setValue("lastProject", p)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        if not files:
            a = self.recent_menu.addAction("(none)")
            a.setEnabled(False)
            return
        for i, f in enumerate(files, 1):
            a = self.recent_menu.addAction(f"&{i} {Path(f).name}")
            a.setToolTip(f)
            a.setStatusTip(f)
            a.triggered.connect(lambda _=False, f=f: self.open_project(f))
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear Menu", lambda: self.settings.setValue("recentFiles", []))

    # ------------------------------------------------------------ title / state
    def _update_title(self) -> None:
        name = self.doc.display_name()
        if self.doc.is_demo and "demo" not in name.lower():
            name += " (demo)"
        self.setWindowTitle(f"{name}[*] — Dubline")
        self.setWindowModified(self.doc.is_modified())

    def _update_actions(self) -> None:
        has_sel = bool(self.doc.selected_ids)
        self.act_render_sel.setEnabled(has_sel)
        self.act_play_region.setEnabled(has_sel)

    def _on_engine_state(self, state: str) -> None:
        if state == "ready":
            from editor.preferences import engine_label

            eng = self.renderer.engine()
            self.engine_label.setText(engine_label(eng) or "engine ready")
            tip = f"Speech engine: {self.renderer.model_version}"
            if getattr(eng, "native_status", ""):
                tip += f"\n{eng.native_status[0].upper()}{eng.native_status[1:]}"
            self.engine_label.setToolTip(tip)
            self.timeline.set_voices(self.renderer.voices)
        elif state == "failed":
            self.engine_label.setText("engine failed")
            self.engine_label.setToolTip(self.renderer.engine_error)
            self.statusBar().showMessage(f"The speech engine could not load: {self.renderer.engine_error}", 0)
        else:
            self.engine_label.setText("loading engine…")

    # ------------------------------------------------------------ file operations
    def maybe_save(self) -> bool:
        """Ask to save unsaved changes; False when the user cancels."""
        if not self.doc.is_modified():
            return True
        choice = self._ask_unsaved()
        if choice == QMessageBox.StandardButton.Save:
            return self.save()
        return choice == QMessageBox.StandardButton.Discard

    def _ask_unsaved(self) -> QMessageBox.StandardButton:
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                          f"Save the changes to “{self.doc.display_name()}” before closing it?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.setInformativeText("Your changes will be lost if you don't save them.")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        return QMessageBox.StandardButton(box.exec())

    def _error(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    def new_project(self) -> None:
        if not self.maybe_save():
            return
        self.inspector.commit_text()
        self.doc.is_demo = False
        self.doc.replace(pj.Project(), None)
        self.statusBar().showMessage("New project: drag on the dub track to add a line", 5000)

    def new_project_from_media(self) -> None:
        if not self.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Choose the video or audio to dub", "", MEDIA_FILTER)
        if path:
            self.create_project_for_media(path)

    def create_project_for_media(self, path: str) -> bool:
        try:
            from project.media import MediaError, probe
        except ImportError as e:
            self._error("Cannot use this media", f"Media support is not available in this build ({e}).")
            return False
        try:
            info = probe(path)
        except MediaError as e:
            self._error("Cannot use this media", f"{Path(path).name}: {e}")
            return False
        absolute = str(Path(path).resolve())
        project = pj.Project(fps=info.fps if info.has_video and info.fps else 25.0)
        project.media = pj.MediaRef(path=absolute, abs_path=absolute, has_video=info.has_video,
                                    duration=info.duration)
        self.doc.is_demo = False
        self.doc.replace(project, None)
        self.timeline.zoom_fit()
        return True

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        start = str(self.doc.path.parent) if self.doc.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open project", start, PROJECT_FILTER)
        if path:
            self.open_project(path, ask=False)

    def open_project(self, path: str | Path, ask: bool = True, demo: bool = False) -> bool:
        """Open a project file; on a bad file show the problem and keep the current project."""
        if ask and not self.maybe_save():
            return False
        path = Path(path)
        recovered, declined = self._offer_recovery(path)
        project = recovered
        if project is None:
            try:
                project = pj.load(path)
            except pj.ProjectError as e:
                self._error("Cannot open project", f"{e}\n\nThe file was not changed.")
                if str(path.resolve()) in self.recent_files() and not path.exists():
                    self.settings.setValue("recentFiles",
                                           [f for f in self.recent_files() if f != str(path.resolve())])
                return False
        self.inspector.commit_text()
        self.playback.pause()
        self.doc.is_demo = demo
        self.doc.replace(project, path)
        if recovered is not None:
            self.doc.mark_modified()
            self.statusBar().showMessage(f"Recovered unsaved changes of {path.name}: save to keep them", 10000)
        elif declined is not None:
            self.autosave.keep_declined(declined)
        self._add_recent(path)
        if project.view.selected_region and self.doc.region(project.view.selected_region):
            self.doc.select([project.view.selected_region])
        if recovered is None:
            self.statusBar().showMessage(f"Opened {path.name}", 4000)
        return True

    # ------------------------------------------------------------ recovery
    def _ask_recover(self, when: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved changes",
                          f"Recover unsaved changes from {when}?", QMessageBox.StandardButton.NoButton, self)
        box.setInformativeText("Dubline kept a recovery copy of changes that were never saved "
                               "(the editor may have crashed).")
        recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Open Saved Version", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(recover)
        box.exec()
        return box.clickedButton() is recover

    def _load_recovery(self, rec: Path) -> pj.Project | None:
        """The recovered project, or None after saying the recovery file is damaged (it is kept)."""
        try:
            return pj.load(rec)
        except pj.ProjectError as e:
            self._error("Cannot recover", f"The recovery file is damaged and was ignored:\n{e}\n\n"
                        f"It was kept at {rec}.")
            return None

    def _offer_recovery(self, path: Path) -> tuple[pj.Project | None, Path | None]:
        """(recovered project, None) or (None, declined recovery file) or (None, None)."""
        rec = asv.pending_recovery(path, self.autosave.folder)
        if rec is None:
            return None, None
        when = QDateTime.fromSecsSinceEpoch(int(rec.stat().st_mtime)).toString("yyyy-MM-dd HH:mm")
        if not self._ask_recover(when):
            return None, rec
        return self._load_recovery(rec), None

    def offer_untitled_recovery(self) -> bool:
        """At start: offer the newest recovery of an untitled project; True when it was restored."""
        found = asv.untitled_recoveries(self.autosave.folder)
        if not found:
            return False
        rec = found[0]
        when = QDateTime.fromSecsSinceEpoch(int(rec.stat().st_mtime)).toString("yyyy-MM-dd HH:mm")
        if not self._ask_recover(when):
            return False
        project = self._load_recovery(rec)
        if project is None:
            return False
        self.doc.is_demo = False
        self.doc.replace(project, None)
        self.autosave.adopt(rec)
        self.doc.mark_modified()
        self.statusBar().showMessage("Recovered an unsaved project: save it to keep it", 10000)
        return True

    def save(self) -> bool:
        if self.doc.path is None:
            return self.save_as()
        return self._save_to(self.doc.path)

    def save_as(self) -> bool:
        start = str(self.doc.path) if self.doc.path else str(self._default_project_folder() / f"Untitled{pj.SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save project as", start, PROJECT_FILTER)
        if not path:
            return False
        return self._save_to(Path(path))

    def _default_project_folder(self) -> Path:
        """Where an untitled project is first saved: next to its media (its relative path stays short)."""
        m = self.doc.project.media
        for p in (m.abs_path, m.path) if m else ():
            if p and Path(p).parent.is_dir():
                return Path(p).parent
        return Path.home()

    def _save_to(self, path: Path) -> bool:
        self.inspector.commit_text()
        try:
            saved = self.doc.save(path)
        except pj.ProjectError as e:
            self._error("Cannot save project", str(e))
            return False
        self._add_recent(saved)
        self.statusBar().showMessage(f"Saved {saved.name}", 4000)
        return True

    # ------------------------------------------------------------ media
    # ------------------------------------------------------------ speech backend
    def _engine_factory(self, backend: str):
        if self._fixed_engine_factory is not None:
            return self._fixed_engine_factory
        from editor.preferences import engine_factory

        return engine_factory(backend, self.settings)

    def _follow_backend(self, force: bool = False) -> None:
        """Render with the project's backend (after opening a project, a switch, or new IndexTTS2 settings)."""
        backend = self.doc.project.backend or "embedded"
        old = self.renderer.backend
        if backend == old and not force:
            return
        self.engine_label.setText("loading engine…")
        self.renderer.switch_engine(self._engine_factory(backend), backend)
        if old == "indextts2" and backend != "indextts2":
            from engine.api import unload

            unload("indextts2")  # its worker process ends: the GPU memory is free again

    def show_preferences(self) -> None:
        from editor import commands as cmd
        from editor.preferences import PreferencesDialog, indextts2_settings, store_indextts2_settings

        before = indextts2_settings(self.settings)
        dlg = PreferencesDialog(self.doc.project.backend, before, self)
        if dlg.exec() != PreferencesDialog.DialogCode.Accepted:
            return
        after = dlg.chosen_settings()
        store_indextts2_settings(self.settings, after)
        backend = dlg.chosen_backend()
        if backend != self.doc.project.backend:
            self.doc.push(cmd.SetProjectBackend(self.doc, backend))  # follows through backendChanged
        elif backend == "indextts2" and after != before:
            self._follow_backend(force=True)

    def _on_project_replaced(self) -> None:
        p = self.doc.project
        self._follow_backend()
        missing = pj.register_project_voices(p, self.doc.path)
        if missing:
            self.statusBar().showMessage(f"Voices stored with the project are missing: {', '.join(missing)}", 10000)
        self.playback.pause()
        self.playback.mixer.sample_rate = p.sample_rate
        self.banner.hide()
        self._load_media()
        self._update_end()
        self.playback.seek(p.view.playhead)
        self._schedule_mix()
        self._update_actions()
        self._update_title()

    def _project_path_for_media(self) -> Path:
        return self.doc.path if self.doc.path else Path.cwd() / f"untitled{pj.SUFFIX}"

    def _load_media(self) -> None:
        p = self.doc.project
        self.media_path = None
        self.playback.mixer.set_source(None)
        self.proxy_job.cancel()
        self.proxy_label.setText("")
        if p.media is None:
            self.preview.set_media(None, False, p.fps, "No media: File > New Project from Media… to dub a video")
            self.timeline.set_source(None, 0.0, "Source audio", "no media")
            return
        found = pj.resolve_media(p, self._project_path_for_media())
        name = Path(p.media.path or p.media.abs_path).name
        if found is None:
            self.preview.set_media(None, False, p.fps, f"Media missing: {name}")
            self.timeline.set_source(None, p.media.duration, name, "media missing")
            self.banner.show_message(f"The media file “{name}” is missing (looked next to the project and at "
                                     f"{p.media.abs_path or p.media.path}). The project is open; relink the media "
                                     f"to see and hear it.", "Relink…", self.relink_media)
            self.statusBar().showMessage(f"Media missing: {name}", 10000)
            return
        stored = Path(p.media.abs_path) if p.media.abs_path else None
        if stored is not None and stored.resolve() != found.resolve():
            # found by name after a move: remember the new place (undoable, marks the project modified)
            media = pj.MediaRef(path=str(found.resolve()), abs_path=str(found.resolve()), has_video=p.media.has_video,
                                duration=p.media.duration)
            self.doc.push(cmd.RelinkMedia(self.doc, media, "Relink media (found by name)"))
            self.statusBar().showMessage(f"Media found at {found}: save to remember the new place", 10000)
            return  # mediaChanged reloads
        self.media_path = found
        self.preview.set_media(str(found), p.media.has_video, p.fps)
        self.timeline.set_source(None, p.media.duration, name, "loading waveform…")
        self._media_gen = self.media_loader.load(str(found), p.sample_rate)

    def relink_media(self) -> None:
        start = str(self.doc.path.parent) if self.doc.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Relink media", start, MEDIA_FILTER)
        if not path:
            return
        self.relink_to(path)

    # ------------------------------------------------------------ import
    def import_subtitles_dialog(self) -> None:
        from editor.import_dialog import SUBTITLE_FILTER, ImportSubtitlesDialog

        start = str(self.doc.path.parent) if self.doc.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Import subtitles", start, SUBTITLE_FILTER)
        if not path:
            return
        track = self.doc.active_track()
        default = track.default_voice if track else (self.renderer.voices[0] if self.renderer.voices else "jf_alpha")
        dlg = ImportSubtitlesDialog(path, list(self.renderer.voices), default, self)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        voice, per_actor = dlg.values()
        self.import_subtitles(path, voice or default, per_actor)

    def import_subtitles(self, path: str | Path, voice: str | None = None, per_actor: bool = False) -> bool:
        from project.importers import SubtitleImportError, import_subtitles

        self.inspector.commit_text()
        self.autosave.write_now("before import")
        try:
            report = import_subtitles(path, self.doc.project, voice, per_actor)
        except SubtitleImportError as e:
            self._error("Cannot import subtitles", str(e))
            return False
        if not report.tracks:
            self._error("Cannot import subtitles", f"{Path(path).name}: nothing to import")
            return False
        self.doc.push(cmd.ImportTracks(self.doc, report.tracks,
                                       f"Import {report.region_count} line(s) from {Path(path).name}",
                                       replace_empty=True))
        self.statusBar().showMessage("Imported: " + "; ".join(report.notes), 15000)
        return True

    def import_text_dialog(self) -> None:
        from editor.import_dialog import TEXT_FILTER

        start = str(self.doc.path.parent) if self.doc.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Import plain text", start, TEXT_FILTER)
        if not path:
            return
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            self._error("Cannot import text", f"{Path(path).name}: {e}")
            return
        self.import_plain_text(text, Path(path).name)

    def import_plain_text(self, text: str, source: str = "text") -> bool:
        from project.importers import plain_text_regions

        self.inspector.commit_text()
        self.autosave.write_now("before import")
        track = self.doc.active_track()
        voice = track.default_voice if track else "jf_alpha"
        # No engine call on the GUI thread: lengths are estimated from the text;
        # the user fits them (or switches the regions to "free") afterwards.
        regions = plain_text_regions(text, self.timeline.playhead, voice, None)
        if not regions:
            self.statusBar().showMessage(f"{source}: no lines to import", 5000)
            return False
        lo, hi = regions[0].start, regions[-1].end
        label = f"Import {len(regions)} line(s) from {source}"
        note = ""
        if track is None or any(r.start < hi and r.end > lo for r in track.regions):
            new = pj.Track(name=f"{Path(source).stem or 'Text'}", default_voice=voice)
            self.doc.push(cmd.ImportRegions(self.doc, None, regions, label, new_track=new))
            note = " on a new track (the active track has regions there)"
        else:
            self.doc.push(cmd.ImportRegions(self.doc, track.id, regions, label))
        self.statusBar().showMessage(f"Imported {len(regions)} line(s){note}, lengths estimated from the text", 10000)
        return True

    # ------------------------------------------------------------ export
    def _ensure_saved_for_export(self) -> bool:
        if self.doc.path is not None and not self.doc.is_modified():
            return True
        box = QMessageBox(QMessageBox.Icon.Information, "Save before exporting",
                          "Export works from the saved project file. Save the project first?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel, self)
        if self.doc.path is None:
            box.button(QMessageBox.StandardButton.Save).setText("Save As…")
        if box.exec() != QMessageBox.StandardButton.Save:
            return False
        return self.save()

    def export_dialog(self) -> None:
        from editor.export_dialog import ExportDialog

        self.inspector.commit_text()
        self.autosave.write_now("before export")
        if self._export_task is not None:
            self.statusBar().showMessage("An export is already running", 5000)
            return
        if not self._ensure_saved_for_export():
            return
        media = self.doc.project.media
        dlg = ExportDialog(self.doc.path, bool(media and media.has_video), self)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        fmt, out, keep = dlg.values()
        self.start_export(fmt, out, keep, dlg.options())

    def start_export(self, fmt: str, out: Path, keep_original: bool = False, options=None) -> None:
        """Export the saved project in a background task, with a progress dialog and Cancel."""
        from editor.export_dialog import export_task
        from editor.tasks import run_task

        assert self.doc.path is not None
        dlg = QProgressDialog(f"Exporting {fmt.upper()}…", "Cancel", 0, 0, self)
        dlg.setWindowTitle("Export")
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.setMinimumDuration(300)
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        task = run_task(export_task, self.doc.path, fmt, out, keep_original, options, owner=self, name="export")
        dlg.canceled.connect(task.cancel)
        dlg.canceled.connect(lambda: dlg.setLabelText("Cancelling…"))
        # the Task lives in the GUI thread: these run there
        task.progress.connect(lambda _f, text: dlg.setLabelText(text))
        task.finished.connect(self._export_done)
        task.failed.connect(lambda msg: self._export_done(("error", msg, None)))
        task.cancelled.connect(lambda: self._export_done(("cancelled", "", None)))
        self._export_task, self._export_progress = task, dlg
        dlg.show()

    def _export_done(self, result) -> None:
        status, text, report = result
        dlg = self._export_progress
        if dlg is not None:
            dlg.close()
            dlg.deleteLater()
        self._export_task = self._export_progress = None
        if status == "ok":
            summary = report.summary() if report is not None else ""
            self.statusBar().showMessage(f"Exported to {text}" + (f" — {summary}" if summary else ""), 0)
            if report is not None and report.warnings:
                QMessageBox.warning(self, "Exported, with warnings", "\n\n".join(report.warnings))
        elif status == "cancelled":
            self.statusBar().showMessage("Export cancelled: nothing was written", 8000)
        else:
            self._error("Export failed", text)

    def relink_to(self, path: str) -> bool:
        p = self.doc.project
        has_video, duration = (p.media.has_video, p.media.duration) if p.media else (True, 0.0)
        try:
            from project.media import MediaError, probe

            info = probe(path)
            has_video, duration = info.has_video, info.duration
        except ImportError:
            pass
        except MediaError as e:
            self._error("Cannot use this media", f"{Path(path).name}: {e}")
            return False
        absolute = str(Path(path).resolve())
        self.autosave.write_now("before relink")
        self.doc.push(cmd.RelinkMedia(self.doc, pj.MediaRef(path=absolute, abs_path=absolute, has_video=has_video,
                                                             duration=duration)))
        self.banner.hide()
        return True

    def _on_audio_loaded(self, gen: int, audio, sr: int, pyramid) -> None:
        if gen != self._media_gen:
            return
        p = self.doc.project
        name = Path(p.media.path or p.media.abs_path).name if p.media else ""
        if audio is None:
            self.timeline.set_source(None, p.media.duration if p.media else 0.0, name, "the media has no audio track")
            self.statusBar().showMessage(f"{name} has no audio track: only the dub will play", 8000)
            return
        self.playback.mixer.set_source(audio, sr)
        note = "" if pyramid is not None else "waveform unavailable"
        self.timeline.set_source(pyramid, len(audio) / sr, name, note)
        self._update_end()

    def _on_audio_failed(self, gen: int, message: str) -> None:
        if gen != self._media_gen:
            return
        p = self.doc.project
        name = Path(p.media.path or p.media.abs_path).name if p.media else ""
        self.timeline.set_source(None, p.media.duration if p.media else 0.0, name, "audio unreadable")
        self.statusBar().showMessage(f"Cannot read the audio of {name}: {message}", 10000)

    def _on_voices_changed(self) -> None:
        self.timeline.set_voices(self.renderer.voices)
        self.inspector._fill_voices()

    # ------------------------------------------------------------ proxies
    def _maybe_build_proxy(self, height: int) -> None:
        from project.proxy import find_proxy, wants_proxy

        src = self.media_path
        if src is None or not self.act_proxies.isChecked() or not wants_proxy(height):
            return
        if self.proxy_job.running and self.proxy_job.source == str(src):
            return
        if find_proxy(src) is None:
            self.proxy_label.setText("Building proxy…")
            self.proxy_job.start(str(src))

    def _toggle_proxies(self, on: bool) -> None:
        self.settings.setValue("preview/proxies", bool(on))
        self.preview.server.use_proxies = bool(on)
        if on:
            from project.proxy import find_proxy

            found = find_proxy(self.media_path) if self.media_path is not None else None
            if found is not None:
                self.preview.server.attach_proxy(str(self.media_path), str(found))
            else:
                self._maybe_build_proxy(self.preview.video_size.height())
        else:
            self.proxy_job.cancel()
            self.preview.server.detach_proxy()
            self.proxy_label.setText("")

    def _on_proxy_built(self, source: str, proxy: str) -> None:
        self.proxy_label.setText("")
        if self.media_path is not None and str(self.media_path) == source:
            self.preview.server.attach_proxy(source, proxy)
            self.statusBar().showMessage("Preview proxy ready: seeking is now instant", 5000)

    def _on_proxy_failed(self, source: str, message: str) -> None:
        self.proxy_label.setText("")
        if self.media_path is not None and str(self.media_path) == source:
            self.statusBar().showMessage(f"No preview proxy: {message}", 10000)

    def _on_video_opened(self, fps: float, count: int, w: int, h: int, vfr: bool) -> None:
        self._maybe_build_proxy(h)
        if vfr:
            self.banner.show_message("This video has a variable frame rate: frame positions are approximate. "
                                     "Converting it to a constant frame rate gives exact frames.")
        if fps > 0 and abs(fps - self.doc.project.fps) > 1e-3:
            self.statusBar().showMessage(f"The video runs at {fps:g} fps; the project uses "
                                         f"{self.doc.project.fps:g} fps", 8000)

    # ------------------------------------------------------------ playback
    def _update_end(self) -> None:
        end = max(self.doc.project.end_time(), self.playback.mixer.source_seconds)
        self.playback.set_end(end)

    def _schedule_mix(self) -> None:
        self._mix_timer.start()

    def _rebuild_mix(self) -> None:
        """Playback reads project.mixer's plan, the one every export writes from (same samples)."""
        p = self.doc.project
        clips = {r.id: c for _, r in p.all_regions() if (c := self.renderer.ready_clip(r.id)) is not None}
        m = self.playback.mixer
        m.set_plan(plan_for(p, clips, m.source, sample_rate=m.sample_rate, channels=m.channels,
                            source_gain_scale=self._monitor_level))
        self._update_end()

    def _on_source_level(self, value: int) -> None:
        self._monitor_level = value / 100.0
        self._rebuild_mix()

    def _on_position(self, t: float) -> None:
        self.timeline.set_playhead(t, follow=self.playback.is_playing())
        self.preview.show_time(t)
        self.time_label.setText(format_tc(t, self.doc.project.fps))

    def _on_playing(self, playing: bool) -> None:
        SP = QStyle.StandardPixmap
        self.act_play.setIcon(self.style().standardIcon(SP.SP_MediaPause if playing else SP.SP_MediaPlay))

    def toggle_play(self) -> None:
        if not self.playback.is_playing():
            self.playback.seek(self.timeline.playhead)
        self.playback.toggle()

    def play_region(self, rid: str) -> None:
        region = self.doc.region(rid)
        if region is None:
            return
        clip = self.renderer.ready_clip(rid)
        end = region.end
        if clip is not None:
            end = max(end, region.start + len(clip.audio) / clip.sample_rate)
        self.playback.play(start=region.start, stop_at=end)

    def play_selected_region(self) -> None:
        if self.doc.current_region_id:
            self.play_region(self.doc.current_region_id)

    # ------------------------------------------------------------ markers and keyframes
    def jump_marker(self, direction: int) -> None:
        now = self.playback.position
        times = sorted(m.time for m in self.doc.project.markers)
        eps = 0.5 / max(1.0, self.doc.project.fps)
        target = (next((t for t in times if t > now + eps), None) if direction > 0
                  else next((t for t in reversed(times) if t < now - eps), None))
        if target is None:
            self.statusBar().showMessage("No marker " + ("after" if direction > 0 else "before") + " the playhead", 3000)
            return
        self.playback.pause()
        self.playback.seek(target)

    def import_keyframes_dialog(self) -> None:
        start = str(self.doc.path.parent) if self.doc.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Import keyframes", start,
                                              "Keyframe lists (*.csv *.json *.txt);;All files (*)")
        if path:
            self.import_keyframes(path)

    def import_keyframes(self, path: str | Path) -> bool:
        from project.keyframes import KeyframeError, load_keyframes

        try:
            kfs = load_keyframes(path, self.doc.project.fps)
        except KeyframeError as e:
            self._error("Cannot import keyframes", str(e))
            return False
        self.add_keyframes([(k.seconds, k.name) for k in kfs], f"Import {len(kfs)} keyframe(s) from {Path(path).name}")
        return True

    def add_keyframes(self, items: list[tuple[float, str]], label: str) -> None:
        n0 = len(self.doc.project.markers)
        markers = [pj.Marker(time=t, name=name or f"K{n0 + i + 1}", kind="keyframe", color="#3498db")
                   for i, (t, name) in enumerate(items)]
        self.doc.push(cmd.AddMarkers(self.doc, markers, label))
        self.statusBar().showMessage(f"{len(markers)} keyframe(s) added", 5000)

    def detect_keyframes(self) -> None:
        from editor.keyframe_dialogs import SuggestionsDialog, run_detection

        if self.media_path is None or not (self.doc.project.media and self.doc.project.media.has_video):
            self._error("Detect keyframes", "The project has no video to look at.")
            return
        fps = self.doc.project.fps

        def done(found) -> None:
            self._detect_job = None
            if not found:
                self.statusBar().showMessage("No shot cuts or strong changes found", 8000)
                return
            dlg = SuggestionsDialog(found, fps, self)
            if dlg.exec() == QDialog.DialogCode.Accepted and dlg.chosen():
                chosen = dlg.chosen()
                self.add_keyframes([(c.frame / fps, "cut" if c.kind == "cut" else "change") for c in chosen],
                                   f"Add {len(chosen)} detected keyframe(s)")

        def failed(msg: str) -> None:
            self._detect_job = None
            if msg:
                self._error("Detect keyframes", msg)

        self._detect_job = run_detection(self, str(self.media_path), done, failed)

    def go_start(self) -> None:
        self.playback.pause()
        self.playback.seek(0.0)

    def go_end(self) -> None:
        """The last frame (the one showing the end's last sample), not the instant after it."""
        self.playback.pause()
        fps = self.doc.project.fps
        end = self.playback.end_seconds
        last = max(0, math.ceil(end * fps - 1e-6) - 1)
        self.playback.seek(last / fps)

    # ------------------------------------------------------------ edit
    def undo(self) -> None:
        self.inspector.commit_text()  # a pending burst of typing becomes the step that is undone
        self.doc.undo_stack.undo()

    def redo(self) -> None:
        self.inspector.commit_text()
        self.doc.undo_stack.redo()

    def render_selected(self) -> None:
        self.renderer.render(list(self.doc.selected_ids))

    def _activate_region(self, rid: str) -> None:
        self.inspector_dock.show()
        self.inspector_dock.raise_()
        self.inspector.focus_text()

    # ------------------------------------------------------------ closing
    def closeEvent(self, ev: QCloseEvent) -> None:
        self.inspector.commit_text()
        if not self.maybe_save():
            ev.ignore()
            return
        self.autosave.discard_written()  # saved, or the user chose to discard
        self._save_window()
        self.hide()  # a render in progress finishes before the worker stops: don't show a frozen window
        self.shutdown()
        ev.accept()

    def shutdown(self) -> None:
        """Stop the worker threads (idempotent)."""
        if self._closing_done:
            return
        self._closing_done = True
        # nothing may react to the model any more: the undo stack emits while the window's
        # children are destroyed, and slots then reached deleted labels and a deleted worker
        self.doc.undo_stack.blockSignals(True)
        self.doc.blockSignals(True)
        self.autosave.timer.stop()
        if self._export_task is not None:
            self._export_task.cancel()
        self.proxy_job.cancel()
        self.stop_source_jobs()
        if self._detect_job is not None:
            self._detect_job.cancel()
        from editor import tasks

        tasks.wait_all(10000)  # export, detection, media loading, previews: cancelled and joined
        self.playback.shutdown()
        self.renderer.shutdown()
        self.preview.shutdown()


def app_instance() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return app
