"""The main window: preview on top, timeline below, inspector on the right.

It lays out the widgets and docks, wires them together and owns the desktop conventions: the status bar
(engine state, render queue, clock, messages), the title with the modified marker, Save/Discard/Cancel on
close, window geometry in QSettings, playback and the transport, and a banner (not a modal dialog) for
missing media with a Relink button.  The work behind the menus lives in controllers, one per concern
(``editor/controllers/``): the project file and recovery, the media and proxies, imports, exports, the
source's dialogue, and the actions, menus and toolbar themselves.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStyle,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from editor import autosave as asv
from editor.controllers.export_controller import ExportController
from editor.controllers.file_controller import FileController
from editor.controllers.import_controller import ImportController
from editor.controllers.media_controller import MediaController
from editor.controllers.source_controller import SourceController
from editor.controllers.window_actions import WindowActions
from editor.document import Document
from editor.inspector import InspectorWidget
from editor.playback import Playback
from editor.preview import PreviewWidget
from editor.render_worker import EngineFactory, RenderController
from editor.timeline import TimelineWidget
from project import model as pj
from project.mixer import plan_for
from project.timecode import format_tc


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


class MainWindow(QMainWindow):
    def __init__(self, engine_factory: EngineFactory | None = None, use_audio: bool = True,
                 settings: QSettings | None = None):
        super().__init__()
        self.settings = settings or QSettings()
        self.doc = Document(parent=self)
        self._fixed_engine_factory = engine_factory  # tests pass one; otherwise it follows the project's backend
        self.renderer = RenderController(self.doc, self._engine_factory(self.doc.project.backend), parent=self)
        self.playback = Playback(self.doc.project.sample_rate, use_audio=use_audio, parent=self)
        self.monitor_level = float(self.settings.value("playback/sourceLevel", 1.0))
        self._closing_done = False
        self.autosave = asv.Autosaver(self.doc, parent=self)
        self.autosave.failed.connect(lambda m: self.statusBar().showMessage(m, 10000))

        self.preview = PreviewWidget()
        self.timeline = TimelineWidget(self.doc)
        self.timeline.set_renderer(self.renderer)
        self.inspector = InspectorWidget(self.doc, self.renderer)
        self.banner = Banner()
        self._build_central()
        self._build_docks()

        self.files = FileController(self)
        self.media = MediaController(self, self.settings.value("preview/proxies", True, type=bool))
        self.imports = ImportController(self)
        self.exports = ExportController(self)
        self.source = SourceController(self)
        self._build_status_bar()
        self._build_edit_tools()
        actions = WindowActions(self)
        actions.build_actions()
        actions.build_menus()
        actions.build_toolbar()
        self._connect()
        self.resize(1400, 900)
        self._restore_window()
        self._on_project_replaced()
        self._update_title()

    # ------------------------------------------------------------ construction
    def _build_central(self) -> None:
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

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        """Inspector and voices (tabbed) and history on the right, the line list on the left."""
        from editor.line_list import LineListWidget
        from editor.voices_panel import VoicesPanel

        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector, right)
        self.history_view = QUndoView(self.doc.undo_stack)
        self.history_view.setEmptyLabel("<opened>")
        self.history_dock = self._dock("History", "historyDock", self.history_view, right)
        self.history_dock.hide()
        self.voices_panel = VoicesPanel(self.doc, self.renderer)
        self.voices_dock = self._dock("Voices", "voicesDock", self.voices_panel, right)
        self.tabifyDockWidget(self.inspector_dock, self.voices_dock)
        self.inspector_dock.raise_()
        self.line_list = LineListWidget(self.doc, self.renderer)
        self.line_list_dock = self._dock("Lines", "lineListDock", self.line_list, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.resizeDocks([self.line_list_dock], [400], Qt.Orientation.Horizontal)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.engine_label = QLabel("loading engine…")
        self.queue_label = QLabel("Render queue: 0")
        self.clock_label = QLabel("")
        self.time_label = QLabel("00:00:00:00")
        self.time_label.setStyleSheet("font-family: monospace;")
        for w in (self.media.proxy_label, self.clock_label, self.queue_label, self.engine_label, self.time_label):
            w.setContentsMargins(6, 0, 6, 0)
            sb.addPermanentWidget(w)

    def _build_edit_tools(self) -> None:
        """Region edits (clipboard, split, nudge...), the sync tools (in/out, loop, scrub) and the master meter."""
        from editor.meters import MasterMeter
        from editor.region_actions import RegionActions
        from editor.sync_tools import SyncTools

        self.region_actions = RegionActions(self.doc, lambda: self.timeline.playhead, self.renderer.ready_clip,
                                            self.inspector.commit_text, parent=self)
        self.region_actions.message.connect(lambda m: self.statusBar().showMessage(m, 5000))
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

    def _connect(self) -> None:
        d = self.doc
        d.modifiedChanged.connect(lambda _m: self._update_title())
        d.pathChanged.connect(self._update_title)
        d.projectReplaced.connect(self._on_project_replaced)
        d.backendChanged.connect(self._follow_backend)
        d.mediaChanged.connect(self.media.load)
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

        i = self.inspector
        i.renderRequested.connect(lambda ids: self.renderer.render(ids))
        i.playRegionRequested.connect(self.play_region)
        i.message.connect(lambda m: self.statusBar().showMessage(m, 5000))

        self.line_list.seekRequested.connect(self._seek_to_line)
        self.line_list.message.connect(lambda m: self.statusBar().showMessage(m, 5000))
        self.preview.server.failed.connect(lambda m: self.statusBar().showMessage(m, 10000))
        self.media.sourceChanged.connect(self._update_end)
        self.renderer.engineStateChanged.connect(lambda st: st == "ready" and self.voices_panel.refresh())
        self.voices_panel.voicesChanged.connect(self._on_voices_changed)

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
        self.settings.setValue("playback/sourceLevel", self.monitor_level)

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
            for status in (getattr(eng, "native_status", ""), getattr(eng, "zh_prosody_status", "")):
                if status:
                    tip += f"\n{status[0].upper()}{status[1:]}"
            self.engine_label.setToolTip(tip)
            self.timeline.set_voices(self.renderer.voices)
        elif state == "failed":
            self.engine_label.setText("engine failed")
            self.engine_label.setToolTip(self.renderer.engine_error)
            self.statusBar().showMessage(f"The speech engine could not load: {self.renderer.engine_error}", 0)
        else:
            self.engine_label.setText("loading engine…")

    # ------------------------------------------------------------ questions the controllers ask
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

    # ------------------------------------------------------------ the project file (FileController)
    def open_project(self, path: str | Path, ask: bool = True, demo: bool = False) -> bool:
        return self.files.open_project(path, ask, demo)

    def offer_untitled_recovery(self) -> bool:
        return self.files.offer_untitled_recovery()

    def new_project(self) -> None:
        self.files.new_project()

    def save(self) -> bool:
        return self.files.save()

    def maybe_save(self) -> bool:
        return self.files.maybe_save()

    @property
    def media_path(self) -> Path | None:
        """The project's media file as found on disk (None: no media, or missing)."""
        return self.media.media_path

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
        self.media.load()
        self._update_end()
        self.playback.seek(p.view.playhead)
        self._schedule_mix()
        self._update_actions()
        self._update_title()

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
                            source_gain_scale=self.monitor_level))
        self._update_end()

    def set_monitor_level(self, value: int) -> None:
        """The toolbar's Source slider (0-100): the original audio's level while playing."""
        self.monitor_level = value / 100.0
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

    def _on_voices_changed(self) -> None:
        self.timeline.set_voices(self.renderer.voices)
        self.inspector._fill_voices()

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
        for controller in (self.exports, self.media, self.source, self.imports):
            controller.shutdown()
        from editor import tasks

        tasks.wait_all(10000)  # export, detection, media loading, previews: cancelled and joined
        self.playback.shutdown()
        self.renderer.shutdown()
        self.preview.shutdown()
