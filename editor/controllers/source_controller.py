"""The main window's actions on the source's own dialogue: File > Transcribe Source (background, progress,
cancel, one undo step), "Clone this actor's voice" from a track's original lines, moving a line to another
actor, and word pins from the original line."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QInputDialog, QMessageBox

from editor import commands as cmd
from editor.actions import make_window_action

if TYPE_CHECKING:
    from editor.mainwindow import MainWindow

LANGUAGE_CHOICES = (("auto", "Find out (Chinese or English)"), ("zh", "Chinese"), ("en", "English"))


class SourceController(QObject):
    """Transcription of the media and the actions on transcribed lines (the timeline's and inspector's
    requests arrive here)."""

    def __init__(self, win: MainWindow):
        super().__init__(win)
        self._win = win
        self.doc = win.doc
        self.job = None  # (thread, worker, dialog) while a transcription runs
        self.act_transcribe = make_window_action(win, "&Transcribe Source…", lambda: self.transcribe_source(), [],
                                                 "Turn the media's dialogue into regions: one per original line, "
                                                 "one track per actor")
        win.timeline.cloneActorRequested.connect(self.clone_actor_voice)
        win.timeline.moveToTrackRequested.connect(self.move_region_to_track)
        win.timeline.pinToOriginalRequested.connect(self.pin_to_original)
        win.inspector.pinToOriginalRequested.connect(self.pin_to_original)

    @property
    def media_path(self) -> Path | None:
        return self._win.media.media_path

    # ------------------------------------------------------------ File > Transcribe Source
    def transcribe_source(self, language: str | None = None) -> bool:
        """Ask the language (unless given) and start; the tracks arrive as one undo step."""
        from editor.transcribe_dialog import run_transcription
        from project.transcribe import TranscribeError, check_available

        if self.job is not None:
            return False
        if self.media_path is None:
            self._win._error("Transcribe Source",
                             "The project has no media to transcribe: open a video or audio first.")
            return False
        try:
            check_available()
        except TranscribeError as e:
            self._win._error("Transcribe Source", str(e))
            return False
        if language is None:
            labels = [label for _, label in LANGUAGE_CHOICES]
            picked, ok = QInputDialog.getItem(self._win, "Transcribe Source", "Language of the original dialogue:",
                                              labels, 0, False)
            if not ok:
                return False
            language = LANGUAGE_CHOICES[labels.index(picked)][0]
        self._win.inspector.commit_text()
        name = Path(self.media_path).name

        def done(result) -> None:
            self.job = None
            if not result.tracks:
                self._win.statusBar().showMessage(f"No speech found in {name}", 8000)
                return
            n = sum(len(t.regions) for t in result.tracks)
            self._win.autosave.write_now("before transcription")
            self.doc.push(cmd.ImportTracks(self.doc, result.tracks,
                                           f"Transcribe {n} line(s), {len(result.tracks)} actor(s) from {name}"))
            self._win.statusBar().showMessage(f"Transcribed {n} line(s) of {name} onto {len(result.tracks)} "
                                              "actor track(s)", 10000)

        def failed(msg: str) -> None:
            self.job = None
            if msg:
                self._win._error("Transcribe Source", msg)
            else:
                self._win.statusBar().showMessage("Transcription cancelled", 5000)

        self.job = run_transcription(self._win, str(self.media_path), self.doc.project.fps, language, done, failed)
        return True

    def shutdown(self) -> None:
        if self.job is not None:
            thread, worker, _dlg = self.job
            worker.cancel()
            thread.quit()
            thread.wait(10000)

    # ------------------------------------------------------------ actors
    def actor_reference(self, track_id: str) -> Path | None:
        """The track's original lines (the longest, up to 25 s) as one 16 kHz WAV, or None."""
        import soundfile as sf

        from project.actors import reference_audio
        from project.originals import decode_span

        track = self.doc.track(track_id)
        spans = [(r.source.start, r.source.end) for r in (track.regions if track else []) if r.source is not None]
        if not spans or self.media_path is None:
            return None
        chosen = sorted(spans, key=lambda s: s[0] - s[1])[:12]
        pieces = []
        base = min(a for a, _ in chosen)
        for a, b in sorted(chosen):
            audio = decode_span(str(self.media_path), a, b)
            if audio is not None:
                pieces.append((a - base, b - base, audio))
        if not pieces:
            return None
        total = np.zeros(int((max(b for _, b, _ in pieces) + 1) * 16000), np.float32)
        for a, _b, audio in pieces:
            total[int(a * 16000): int(a * 16000) + len(audio)] = audio[: len(total) - int(a * 16000)]
        ref = reference_audio(total, [(a, b) for a, b, _ in pieces])
        if len(ref) < 16000:
            return None
        out = Path(tempfile.mkdtemp(prefix="dubline-actor-")) / f"{track.name or 'actor'}.wav".replace("/", "_")
        sf.write(str(out), ref, 16000)
        return out

    def clone_actor_voice(self, track_id: str) -> bool:
        """Enroll the actor's voice from their original lines (the voices panel's checks and consent dialog);
        when it is done the voice is kept with the project and becomes the track's default voice."""
        track = self.doc.track(track_id)
        if track is None:
            return False
        if not any(r.source is not None for r in track.regions):
            self._win._error("Clone this actor's voice", f"{track.name} has no original lines: transcribe the "
                                                         "source first (File > Transcribe Source).")
            return False
        ref = self.actor_reference(track_id)
        if ref is None:
            self._win._error("Clone this actor's voice", f"{track.name}'s original lines are too short or cannot "
                                                         "be read from the media.")
            return False

        def adopt(name: str) -> None:
            if self.doc.path is not None and self._win.voices_panel.select_voice(name):
                self._win.voices_panel.keep_with_project()
            if self.doc.track(track_id) is not None:
                self.doc.push(cmd.SetTrackProperty(self.doc, track_id, "default_voice", name))

        panel = self._win.voices_panel
        panel.on_enrolled = adopt
        if not panel.add_from(str(ref), temporary=True):
            panel.on_enrolled = None
            return False
        return True

    def move_region_to_track(self, region_id: str, track_id: str) -> bool:
        region = self.doc.region(region_id)
        target = self.doc.track(track_id)
        if region is None or target is None:
            return False
        if any(r.start < region.end and region.start < r.end for r in target.regions):
            self._win.statusBar().showMessage(f"{target.name} already has a line there", 6000)
            return False
        self.doc.push(cmd.MoveRegionToTrack(self.doc, region_id, track_id))
        return True

    # ------------------------------------------------------------ word pins from the original line
    def pin_to_original(self, region_id: str, pauses: bool = False) -> bool:
        from project.dub_from_source import anchors_from_source

        region = self.doc.region(region_id)
        if region is None or region.source is None:
            return False
        pins = anchors_from_source(region, pauses)
        if not pins:
            QMessageBox.information(self._win, "Pin to the original",
                                    "The line needs text and an original line with word timings.")
            return False
        label = "Match original pauses" if pauses else "Pin first and last word to the original"
        self.doc.push(cmd.SetRegionAnchors(self.doc, region_id, pins, label))
        if region.duration_mode != "fit":
            self.doc.push(cmd.SetRegionDurationMode(self.doc, region_id, "fit"))
        return True
