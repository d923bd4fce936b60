"""The timeline's right-click menus: on a region (render, play, keyframe binding and word pins, the
transcribed line's actor and pins, delete), on a track's empty space (add a region, rename, the actor's
voice, default voice, gain, duck level, mute, solo, add/remove tracks) and on the marker lane."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu

from editor import commands as cmd

if TYPE_CHECKING:
    from editor.timeline.view import TimelineWidget

MARKER_COLOURS = (("Orange", "#f5a623"), ("Red", "#e74c3c"), ("Green", "#2ecc71"), ("Blue", "#3498db"),
                  ("Purple", "#9b59b6"), ("Grey", "#95a5a6"))


class TimelineMenus:
    """Builds and shows the menu for the point clicked; the dialogs it opens are the timeline's."""

    def __init__(self, tl: TimelineWidget):
        self.tl = tl
        self.doc = tl.doc

    def show(self, pos: QPointF, screen_pos) -> None:
        tl = self.tl
        hit = tl.hit_test(pos)
        t = max(0.0, tl.x2t(pos.x()))
        menu = QMenu(tl)
        if hit.lane == "track" and hit.region_id:
            self._region_menu(menu, hit.region_id, t)
        elif hit.lane == "track":
            self._track_menu(menu, hit.track_id, t)
        elif hit.lane == "markers":
            self._marker_menu(menu, hit.marker_id, t)
        else:
            return
        menu.exec(screen_pos if not isinstance(screen_pos, QPointF) else screen_pos.toPoint())

    def _region_menu(self, menu: QMenu, rid: str, t: float) -> None:
        tl = self.tl
        if rid not in self.doc.selected_ids:
            self.doc.select([rid], rid)
        menu.addAction("Render", lambda: tl.renderRequested.emit([rid]))
        menu.addAction("Play region", lambda: tl.playRegionRequested.emit(rid))
        menu.addSeparator()
        self.keyframe_menu(menu, rid, t)
        self.source_menu(menu, rid)
        menu.addSeparator()
        menu.addAction("Delete", tl.delete_selected)

    def _track_menu(self, menu: QMenu, track_id: str, t: float) -> None:
        tl, doc = self.tl, self.doc
        track = doc.track(track_id)
        menu.addAction("Add region here", lambda: tl.add_region_at(track_id, t))
        menu.addSeparator()
        menu.addAction("Rename track…", lambda: self.rename_track(track_id))
        clone = menu.addAction("Clone this actor's voice…", lambda: tl.cloneActorRequested.emit(track_id))
        clone.setEnabled(any(r.source is not None for r in track.regions))
        clone.setToolTip("Enroll a voice from this track's original lines (asks for the owner's consent)")
        voices = menu.addMenu("Default voice")
        for v in tl.voices or [track.default_voice]:
            a = QAction(v, voices, checkable=True, checked=(v == track.default_voice))
            a.triggered.connect(lambda _=False, v=v: doc.push(
                cmd.SetTrackProperty(doc, track_id, "default_voice", v)))
            voices.addAction(a)
        menu.addAction(f"Track gain ({track.gain_db:+.1f} dB)…", lambda: self.ask_track_level(track_id, "gain_db"))
        duck_now = track.duck_db if track.duck_db is not None else doc.project.mix.duck_db
        menu.addAction(f"Duck level under its lines ({duck_now:.1f} dB)…",
                       lambda: self.ask_track_level(track_id, "duck_db"))
        def toggle(prop: str):
            return lambda: doc.push(cmd.SetTrackProperty(doc, track_id, prop, not getattr(track, prop)))

        for label, prop in (("Mute", "mute"), ("Solo", "solo")):
            a = menu.addAction(label, toggle(prop))
            a.setCheckable(True)
            a.setChecked(getattr(track, prop))
        menu.addSeparator()
        menu.addAction("Add dub track", tl.add_track)
        rm = menu.addAction("Remove track", lambda: doc.push(cmd.RemoveTrack(doc, track_id)))
        rm.setEnabled(len(doc.project.tracks) > 1)

    def _marker_menu(self, menu: QMenu, mid: str | None, t: float) -> None:
        tl, doc = self.tl, self.doc
        if mid:
            menu.addAction("Rename marker…", lambda: tl.rename_marker(mid))
            colours = menu.addMenu("Colour")
            for name, hexa in MARKER_COLOURS:
                colours.addAction(name, lambda h=hexa: doc.push(cmd.SetMarkerColor(doc, mid, h)))
            menu.addAction("Delete marker", lambda: doc.push(cmd.DeleteMarker(doc, mid)))
        else:
            menu.addAction("Add marker here", lambda: tl.add_marker(t))

    def source_menu(self, menu: QMenu, rid: str) -> None:
        """A transcribed line: move it to another actor, pin its words to the original line."""
        tl = self.tl
        region = self.doc.region(rid)
        own = self.doc.track_of(rid)
        if region is None or own is None:
            return
        move = menu.addMenu("Move to actor")
        for tr in self.doc.project.tracks:
            if tr.id != own.id:
                move.addAction(tr.name or "(unnamed track)", lambda tid=tr.id: tl.moveToTrackRequested.emit(rid, tid))
        move.setEnabled(not move.isEmpty())
        if region.source is not None and region.source.words:
            menu.addAction("Pin first and last word to the original",
                           lambda: tl.pinToOriginalRequested.emit(rid, False))
            menu.addAction("Match original pauses", lambda: tl.pinToOriginalRequested.emit(rid, True))

    # ------------------------------------------------------------ keyframes and word pins
    def keyframe_menu(self, menu: QMenu, rid: str, t: float) -> None:
        """Binding to a keyframe pair, and pinning the word under the cursor to a keyframe."""
        tl, doc = self.tl, self.doc
        region = doc.region(rid)
        markers = sorted(doc.project.markers, key=lambda m: m.time)
        if region is None:
            return
        if region.bound_markers:
            menu.addAction("Unbind from keyframes", lambda: doc.push(cmd.BindRegion(doc, rid, None)))
        else:
            mid = region.start + 0.5 * (region.end - region.start)
            before = [m for m in markers if m.time <= mid]
            after = [m for m in markers if m.time > mid]
            act = menu.addAction("Bind to nearest keyframes", lambda: self._bind(rid, before[-1].id, after[0].id))
            act.setEnabled(bool(before and after))
            if before and after:
                act.setToolTip(f"{before[-1].name} – {after[0].name}: moving either keyframe moves this edge")
        clip = tl.clip_of(rid)
        units = [u for u in (clip.units if clip is not None else []) if u.kind not in ("space", "pause")]
        if units:
            # the unit whose start is nearest the click
            rel = t - region.start
            u = min(units, key=lambda u: abs(u.start_seconds - rel))
            pin = menu.addMenu(f"Pin “{u.text}” to")
            inside = [m for m in markers if region.start < m.time < region.end]
            for m in inside:
                pin.addAction(f"{m.name or 'marker'}  ({m.time - region.start:.2f} s)",
                              lambda m=m, u=u: tl.pin_unit(rid, u.src_start, m.time - region.start, u.text))
            if region.start < tl.playhead < region.end:
                pin.addAction(f"Playhead  ({tl.playhead - region.start:.2f} s)",
                              lambda u=u: tl.pin_unit(rid, u.src_start, tl.playhead - region.start, u.text))
            if pin.isEmpty():
                pin.addAction("(put a marker or the playhead inside the region)").setEnabled(False)
        if region.anchors:
            menu.addAction(f"Clear {len(region.anchors)} word pin{'s' if len(region.anchors) > 1 else ''}",
                           lambda: doc.push(cmd.SetRegionAnchors(doc, rid, [], "Clear word pins")))

    def _bind(self, rid: str, a: str, b: str) -> None:
        try:
            self.doc.push(cmd.BindRegion(self.doc, rid, (a, b)))
        except ValueError as e:
            self.tl.message.emit(str(e))

    # ------------------------------------------------------------ track dialogs
    def ask_track_level(self, track_id: str, prop: str) -> None:
        """Track gain (-96..+24 dB) or the duck level of the source under its lines (-96..0 dB)."""
        track = self.doc.track(track_id)
        if track is None:
            return
        if prop == "gain_db":
            now, lo, hi, label = track.gain_db, -96.0, 24.0, "Gain of the track's lines (dB):"
        else:
            now = track.duck_db if track.duck_db is not None else self.doc.project.mix.duck_db
            lo, hi, label = -96.0, 0.0, "Level of the original audio under this track's lines (dB):"
        value, ok = QInputDialog.getDouble(self.tl, track.name, label, now, lo, hi, 1)
        if ok and abs(value - now) > 1e-9:
            self.doc.push(cmd.SetTrackProperty(self.doc, track_id, prop, float(value)))

    def rename_track(self, track_id: str) -> None:
        track = self.doc.track(track_id)
        if track is None:
            return
        name, ok = QInputDialog.getText(self.tl, "Rename track", "Name:", text=track.name)
        if ok and name.strip() and name != track.name:
            self.doc.push(cmd.SetTrackProperty(self.doc, track_id, "name", name.strip()))
