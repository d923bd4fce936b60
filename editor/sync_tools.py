"""Sync tools: in/out points, loop playback, audio scrubbing.

* I / O mark the in and out points at the playhead (shown as a band on the
  ruler), Alt+X clears them.  They are view state, like the playhead.
* Loop (Ctrl+Shift+L): while playing forward, reaching the end of the loop
  range goes on from its start, seamlessly: the audio device wraps there
  sample-exactly (editor/playback.py).  The range is in..out when both are
  set, else the selected region, and follows them while playing.
* Scrubbing: dragging on the ruler plays a short slice of the mix at each
  new position (when not playing), so a sync point can be found by ear.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction

from editor.actions import make_action

SCRUB_SECONDS = 0.07


class SyncTools(QObject):
    message = Signal(str)

    def __init__(self, doc, playback, timeline, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.playback = playback
        self.timeline = timeline
        self._scrub_home: float | None = None
        w = parent

        def act(text, slot, keys, tip, checkable=False):
            return make_action(w, text, slot, keys, tip, checkable)

        self.act_in = act("Mark &In", self.mark_in, ["I"], "Set the in point at the playhead")
        self.act_out = act("Mark &Out", self.mark_out, ["O"], "Set the out point at the playhead")
        self.act_clear = act("&Clear In/Out", self.clear_in_out, ["Alt+X"], "Remove the in and out points")
        self.act_loop = act("&Loop Playback", self.set_loop, ["Ctrl+Shift+L"],
                            "Loop the in/out range (else the selected region) while playing", checkable=True)
        self.act_scrub = act("Audio &Scrubbing", lambda on: None, [],
                             "Hear the audio while dragging the playhead on the ruler", checkable=True)
        self.act_scrub.setChecked(True)
        playback.playingChanged.connect(self._on_playing)
        # the range follows in/out (_set) and the selected region as they change, also while playing
        for sig in (doc.selectionChanged, doc.regionChanged, doc.regionsChanged, doc.projectReplaced):
            sig.connect(self._on_doc_change)
        timeline.scrubbed.connect(self.scrub)

    def actions(self) -> list[QAction]:
        return [self.act_in, self.act_out, self.act_clear, None, self.act_loop, self.act_scrub]

    # ------------------------------------------------------------ in / out
    def _set(self, which: str, t: float | None) -> None:
        setattr(self.timeline, which, t)
        self.timeline.ruler.update()
        self._sync_loop()

    def mark_in(self) -> None:
        t = self.playback.position
        self._set("in_point", t)
        if self.timeline.out_point is not None and self.timeline.out_point <= t:
            self._set("out_point", None)

    def mark_out(self) -> None:
        t = self.playback.position
        self._set("out_point", t)
        if self.timeline.in_point is not None and self.timeline.in_point >= t:
            self._set("in_point", None)

    def clear_in_out(self) -> None:
        self._set("in_point", None)
        self._set("out_point", None)

    # ------------------------------------------------------------ loop
    def loop_range(self) -> tuple[float, float] | None:
        a, b = self.timeline.in_point, self.timeline.out_point
        if a is not None and b is not None and b > a:
            return a, b
        r = self.doc.current_region()
        return (r.start, r.end) if r is not None else None

    def set_loop(self, on: bool) -> None:
        if on and self.loop_range() is None:
            self.message.emit("Set in and out points (I, O) or select a region to loop")
        elif on:
            a, b = self.loop_range()
            self.message.emit(f"Looping {b - a:.2f} s")
        self._sync_loop()

    def _on_doc_change(self, *_args) -> None:
        self._sync_loop()

    def _sync_loop(self) -> None:
        """Give the transport the range to repeat (None when looping is off); a no-op when unchanged."""
        self.playback.set_loop(self.loop_range() if self.act_loop.isChecked() else None)

    def _on_playing(self, playing: bool) -> None:
        if self._scrub_home is not None and not playing:  # the slice is over: back to where it was dragged
            home, self._scrub_home = self._scrub_home, None
            QTimer.singleShot(0, lambda: self.playback.is_playing() or self.playback.seek(home))

    # ------------------------------------------------------------ scrub
    def scrub(self, t: float) -> None:
        if not self.act_scrub.isChecked() or (self.playback.is_playing() and self._scrub_home is None):
            return
        self._scrub_home = t
        self.playback.play(start=t, stop_at=t + SCRUB_SECONDS)
