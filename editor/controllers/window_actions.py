"""The main window's actions, menus and toolbar.

The actions stay attributes of the window (``win.act_save``...): its menus, its toolbar, its controllers and
the tests find them there, and Qt owns them with the window.  This builder only knows how to make them (one
method per group, each pointing at the controller that does the work) and where each one is shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QSlider, QStyle, QToolBar

from editor.actions import make_window_action

if TYPE_CHECKING:
    from editor.mainwindow import MainWindow

SP = QStyle.StandardPixmap


class WindowActions:
    def __init__(self, win: MainWindow):
        self.win = win

    def _act(self, text: str, slot, shortcuts=(), tip: str = "", icon=None, checkable: bool = False) -> QAction:
        return make_window_action(self.win, text, slot, shortcuts, tip, icon, checkable)

    def build_actions(self) -> None:
        self._file_actions()
        self._undo_actions()
        self._edit_actions()
        self._view_actions()
        self._transport_actions()
        self._marker_actions()
        self._render_actions()

    # ------------------------------------------------------------ actions, by group
    def _file_actions(self) -> None:
        w, act = self.win, self._act
        files, imports = w.files, w.imports
        w.act_new = act("&New Project", files.new_project, [QKeySequence.StandardKey.New], "Start an empty project",
                        SP.SP_FileIcon)
        w.act_new_media = act("New Project from &Media…", files.new_project_from_media, ["Ctrl+Shift+N"],
                              "Start a project for a video or audio file")
        w.act_open = act("&Open…", files.open_dialog, [QKeySequence.StandardKey.Open], "Open a Dubline project",
                         SP.SP_DialogOpenButton)
        w.act_save = act("&Save", files.save, [QKeySequence.StandardKey.Save], "Save the project",
                         SP.SP_DialogSaveButton)
        w.act_save_as = act("Save &As…", files.save_as, [QKeySequence.StandardKey.SaveAs],
                            "Save the project under a new name")
        w.act_relink = act("&Relink Media…", w.media.relink_dialog, [], "Point the project at its media file")
        w.act_import_subs = act("&Subtitles…", imports.import_subtitles_dialog, ["Ctrl+I"],
                                "Import SRT/ASS/SSA/VTT subtitles as regions on new tracks")
        w.act_import_text = act("&Plain Text…", imports.import_text_dialog, [],
                                "Import a text file: one region per line after the playhead")
        w.act_export = act("&Export…", w.exports.export_dialog, ["Ctrl+E"],
                           "Export WAV/FLAC, MP4/MKV, SRT, OTIO, stems or clips")
        w.act_quit = act("&Quit", w.close, [QKeySequence.StandardKey.Quit, "Ctrl+Q"], "Quit Dubline")
        w.act_transcribe = w.source.act_transcribe

    def _undo_actions(self) -> None:
        """The undo stack's own actions (their text follows the command), routed through the window so a
        pending burst of typing is committed first."""
        w = self.win
        stack = w.doc.undo_stack
        w.act_undo = stack.createUndoAction(w, "&Undo")
        w.act_undo.setShortcuts([QKeySequence(QKeySequence.StandardKey.Undo)])
        w.act_undo.setIcon(w.style().standardIcon(SP.SP_ArrowBack))
        w.act_undo.triggered.disconnect()  # commit a pending text edit first, then undo
        w.act_undo.triggered.connect(w.undo)
        w.act_redo = stack.createRedoAction(w, "&Redo")
        redo_keys = [QKeySequence(QKeySequence.StandardKey.Redo), QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
        uniq: list[QKeySequence] = []
        for k in redo_keys:
            if not k.isEmpty() and all(k != u for u in uniq):
                uniq.append(k)
        w.act_redo.setShortcuts(uniq)
        w.act_redo.setIcon(w.style().standardIcon(SP.SP_ArrowForward))
        w.act_redo.triggered.disconnect()
        w.act_redo.triggered.connect(w.redo)
        w.addAction(w.act_undo)
        w.addAction(w.act_redo)

    def _edit_actions(self) -> None:
        w, act, tl = self.win, self._act, self.win.timeline
        w.act_add_region = act("Add &Region at Playhead", tl.create_region_at_playhead, ["R", "Ins"],
                               "Add a 2 s region at the playhead on the active track")
        w.act_add_marker = act("Add &Marker", lambda: tl.add_marker(), ["M"], "Add a marker at the playhead")
        w.act_delete = act("&Delete", tl.delete_selected, [QKeySequence.StandardKey.Delete, "Backspace"],
                           "Delete the selected regions or marker")
        w.act_select_all = act("Select &All", w.doc.select_all, [QKeySequence.StandardKey.SelectAll],
                               "Select every region")
        w.act_add_track = act("Add Dub &Track", tl.add_track, [], "Add a dub track")
        w.act_prefs = act("&Preferences…", w.show_preferences, [QKeySequence.StandardKey.Preferences, "Ctrl+,"],
                          "Speech backend (embedded or IndexTTS2) and IndexTTS2's folders")
        w.act_prefs.setMenuRole(QAction.MenuRole.PreferencesRole)

    def _view_actions(self) -> None:
        w, act, tl = self.win, self._act, self.win.timeline
        w.act_zoom_in = act("Zoom &In", tl.zoom_in, ["=", "+", "Ctrl+="], "Zoom in on the timeline")
        w.act_zoom_out = act("Zoom &Out", tl.zoom_out, ["-", "Ctrl+-"], "Zoom out")
        w.act_zoom_fit = act("Zoom to &Fit", tl.zoom_fit, ["0", "\\"], "Show the whole timeline")
        w.act_history = w.history_dock.toggleViewAction()
        w.act_voices = w.voices_dock.toggleViewAction()
        w.act_history.setText("&History Panel")
        w.act_history.setShortcut(QKeySequence("Ctrl+H"))
        w.act_inspector = w.inspector_dock.toggleViewAction()
        w.act_inspector.setText("&Inspector")
        w.act_line_list = w.line_list_dock.toggleViewAction()
        w.act_line_list.setText("&Line List")
        w.act_line_list.setShortcut(QKeySequence("Ctrl+L"))
        w.act_proxies = act("Preview &Proxies", w.media.set_proxies, checkable=True,
                            tip="Build a small copy of HD videos in the background so seeking is instant")
        w.act_proxies.setChecked(w.media.use_proxies)

    def _transport_actions(self) -> None:
        w, act, pb = self.win, self._act, self.win.playback
        w.act_play = act("&Play / Pause", w.toggle_play, ["Space"], "Play from the playhead", SP.SP_MediaPlay)
        w.act_play_region = act("Play &Selected Region", w.play_selected_region, ["Shift+Space"],
                                "Play just the selected region")
        w.act_reverse = act("Shuttle &Reverse", pb.shuttle_reverse, ["J"], "Play backwards (again: faster)",
                            SP.SP_MediaSeekBackward)
        w.act_stop = act("&Stop", pb.pause, ["K"], "Stop", SP.SP_MediaPause)
        w.act_forward = act("Shuttle &Forward", pb.shuttle_forward, ["L"], "Play forwards (again: faster)",
                            SP.SP_MediaSeekForward)
        fps = lambda: w.doc.project.fps  # noqa: E731
        w.act_prev_frame = act("Previous Frame", lambda: pb.step_frames(-1, fps()), ["Left"], "One frame back")
        w.act_next_frame = act("Next Frame", lambda: pb.step_frames(1, fps()), ["Right"], "One frame forward")
        w.act_back_second = act("Back One Second", lambda: pb.step_seconds(-1.0), ["Shift+Left"], "One second back")
        w.act_fwd_second = act("Forward One Second", lambda: pb.step_seconds(1.0), ["Shift+Right"],
                               "One second forward")
        w.act_home = act("Go to Start", w.go_start, ["Home"], "Go to the start", SP.SP_MediaSkipBackward)
        w.act_end = act("Go to End", w.go_end, ["End"], "Go to the end", SP.SP_MediaSkipForward)

    def _marker_actions(self) -> None:
        w, act = self.win, self._act
        w.act_next_marker = act("&Next Marker", lambda: w.jump_marker(+1), ["Shift+M", "Alt+Right"],
                                "Move the playhead to the next marker or keyframe")
        w.act_prev_marker = act("&Previous Marker", lambda: w.jump_marker(-1), ["Ctrl+Shift+M", "Alt+Left"],
                                "Move the playhead to the previous marker")
        w.act_import_keyframes = act("&Keyframes (CSV/JSON)…", w.imports.import_keyframes_dialog, [],
                                     "Import a list of keyframes as markers")
        w.act_detect_keyframes = act("&Detect Keyframes in Video…", w.imports.detect_keyframes, [],
                                     "Find shot cuts and strong visual changes to use as keyframes")

    def _render_actions(self) -> None:
        w, act, r = self.win, self._act, self.win.renderer
        w.act_render_sel = act("Render &Selected", w.render_selected, ["Ctrl+R"], "Render the selected regions now")
        w.act_render_all = act("Render &All", r.render_all, ["Ctrl+Shift+R"],
                               "Render every region that is not ready (failed ones too)")
        w.act_cancel = act("&Cancel All", r.cancel_all, [], "Drop every waiting render")

    # ------------------------------------------------------------ menus
    def build_menus(self) -> None:
        w = self.win
        mb = w.menuBar()
        self._file_menu(mb.addMenu("&File"))
        self._edit_menu(mb.addMenu("&Edit"))
        m = mb.addMenu("&Markers")
        m.addActions([w.act_add_marker, w.act_next_marker, w.act_prev_marker])
        m.addSeparator()
        m.addActions([w.act_import_keyframes, w.act_detect_keyframes])
        m = mb.addMenu("&View")
        m.addActions([w.act_zoom_in, w.act_zoom_out, w.act_zoom_fit])
        m.addSeparator()
        m.addActions([w.act_inspector, w.act_line_list, w.act_history, w.act_voices])
        m.addSeparator()
        m.addAction(w.act_proxies)
        self._playback_menu(mb.addMenu("&Playback"))
        m = mb.addMenu("&Render")
        m.addActions([w.act_render_sel, w.act_render_all, w.act_cancel])

    def _file_menu(self, m) -> None:
        w = self.win
        m.addActions([w.act_new, w.act_new_media, w.act_open])
        w.recent_menu = m.addMenu("Open &Recent")
        w.recent_menu.aboutToShow.connect(lambda: w.files.fill_recent_menu(w.recent_menu))
        m.addSeparator()
        m.addActions([w.act_save, w.act_save_as])
        m.addSeparator()
        m.addAction(w.act_relink)
        w.import_menu = m.addMenu("&Import")
        w.import_menu.addActions([w.act_import_subs, w.act_import_text, w.act_import_keyframes])
        m.addAction(w.act_transcribe)
        m.addAction(w.act_export)
        m.addSeparator()
        m.addAction(w.act_quit)

    def _edit_menu(self, m) -> None:
        w = self.win
        m.addActions([w.act_undo, w.act_redo])
        m.addSeparator()
        m.addActions([w.act_add_region, w.act_add_marker, w.act_delete, w.act_select_all])
        m.addSeparator()
        for a in w.region_actions.actions():  # clipboard, duplicate, split, nudge, ripple delete
            m.addAction(a) if a is not None else m.addSeparator()
        m.addSeparator()
        m.addAction(w.act_add_track)
        m.addSeparator()
        m.addAction(w.act_prefs)

    def _playback_menu(self, m) -> None:
        w = self.win
        m.addActions([w.act_play, w.act_play_region])
        m.addSeparator()
        m.addActions([w.act_reverse, w.act_stop, w.act_forward])
        m.addSeparator()
        m.addActions([w.act_prev_frame, w.act_next_frame, w.act_back_second, w.act_fwd_second,
                      w.act_home, w.act_end])
        m.addSeparator()
        for a in w.sync_tools.actions():  # in/out, loop, scrubbing
            m.addAction(a) if a is not None else m.addSeparator()

    # ------------------------------------------------------------ toolbar
    def build_toolbar(self) -> None:
        w = self.win
        for a, short in ((w.act_home, "Start"), (w.act_reverse, "Reverse"), (w.act_play, "Play"),
                         (w.act_forward, "Forward"), (w.act_add_region, "Region"), (w.act_add_marker, "Marker"),
                         (w.act_zoom_out, "Zoom −"), (w.act_zoom_in, "Zoom +"), (w.act_zoom_fit, "Fit"),
                         (w.act_render_all, "Render All"), (w.act_cancel, "Cancel Renders")):
            a.setIconText(short)
        w.act_undo.setIconText("Undo")  # the menu shows "Undo <command>"; the toolbar stays short
        w.act_redo.setIconText("Redo")
        tb = QToolBar("Main", w)
        tb.setObjectName("mainToolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        w.addToolBar(tb)
        for group in ([w.act_open, w.act_save], [w.act_undo, w.act_redo],
                      [w.act_home, w.act_reverse, w.act_play, w.act_forward], [w.act_add_region, w.act_add_marker],
                      [w.act_zoom_out, w.act_zoom_in, w.act_zoom_fit], [w.act_render_all, w.act_cancel]):
            tb.addActions(group)
            tb.addSeparator()
        tb.addWidget(QLabel(" Source "))
        w.source_slider = QSlider(Qt.Orientation.Horizontal)
        w.source_slider.setRange(0, 100)
        w.source_slider.setValue(int(round(w.monitor_level * 100)))
        w.source_slider.setFixedWidth(90)
        w.source_slider.setToolTip("Level of the original audio while playing (dub lines duck it further)")
        w.source_slider.valueChanged.connect(w.set_monitor_level)
        tb.addWidget(w.source_slider)
