"""File > Transcribe Source in the editor: background run with progress and cancel, one undo step, the
original line in the inspector, emotion from the original, moving a line to another actor, word pins, and
"Clone this actor's voice" from the track menu (with the real VAD, Whisper base and GE2E)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QProgressDialog

from editor import commands as cmd
from project.model import MediaRef

pytest.importorskip("faster_whisper", reason="needs the transcribe extra: pip install 'dubline[transcribe]'")

DATA = Path(__file__).resolve().parents[1] / "project" / "data"


@pytest.fixture
def win(qtbot, window, make_project, tmp_path, monkeypatch):
    from editor.controllers import source_controller

    window.doc.replace(make_project(), None)
    media = tmp_path / "dialogue.flac"
    shutil.copy(DATA / "dialogue.flac", media)
    window.doc.push(cmd.RelinkMedia(window.doc, MediaRef(path=str(media), abs_path=str(media), has_video=False,
                                                         duration=16.5), "media"))
    qtbot.waitUntil(lambda: window.media_path is not None, timeout=5000)
    # the language question, answered by the user
    monkeypatch.setattr(source_controller.QInputDialog, "getItem", lambda *a, **k: (a[3][0], True))
    window.errors = []
    monkeypatch.setattr(window, "_error", lambda title, text: window.errors.append(text))
    return window


def test_transcribe_source_is_one_undo_step(qtbot, win):
    before = [t.id for t in win.doc.project.tracks]
    n_before = win.doc.undo_stack.count()
    win.act_transcribe.trigger()
    assert win.source.job is not None
    qtbot.waitUntil(lambda: win.source.job is None, timeout=180000)
    assert win.errors == []
    tracks = win.doc.project.tracks
    actors = [t for t in tracks if t.id not in before]
    assert [t.name for t in actors] == ["Actor 1", "Actor 2"]
    regions = sorted((r for t in actors for r in t.regions), key=lambda r: r.start)
    assert len(regions) == 4 and all(r.source is not None and r.source.words for r in regions)
    assert win.doc.undo_stack.count() == n_before + 1
    assert win.act_undo.text().replace("&", "").startswith("Undo Transcribe 4 line(s), 2 actor(s)")

    # the line list shows the original beside the dub text, and its text filter finds lines by the original
    from editor.line_list import COL_ORIGINAL

    ll = win.line_list
    qtbot.waitUntil(lambda: len(ll.model.rows) >= 4, timeout=3000)
    assert not ll.table.isColumnHidden(COL_ORIGINAL)
    row = ll.model.row_of[regions[0].id]
    assert ll.model.data(ll.model.index(row, COL_ORIGINAL)) == regions[0].source.text
    # the Emotion column reads the emotion source as the inspector does
    from editor.line_list import COLUMNS

    assert ll.model.data(ll.model.index(row, COLUMNS.index("Emotion"))) == "from original"
    ll.proxy.set_filters(text=regions[0].source.text[:4])
    assert any(ll.proxy.mapToSource(ll.proxy.index(i, 0)).row() == row for i in range(ll.proxy.rowCount()))
    ll.proxy.set_filters()

    # the inspector shows the original line and its emotion source
    rid = regions[0].id
    win.doc.select([rid], rid)
    qtbot.waitUntil(lambda: win.inspector.source_box.isVisibleTo(win.inspector), timeout=3000)
    assert regions[0].source.text in win.inspector.source_label.text()
    assert win.inspector.emotion_box.mode.currentData() == "source"
    # switching the line to another emotion source is an ordinary edit
    box = win.inspector.emotion_box
    from editor.emotion_widget import MODES

    box.mode.setCurrentIndex([k for k, _ in MODES].index("voice"))
    box._commit()
    assert win.doc.region(rid).emotion == {}
    win.act_undo.trigger()
    assert win.doc.region(rid).emotion.get("from_source") is True

    # pin to the original, then move the line to the other actor (each one step)
    assert win.source.pin_to_original(rid)
    pins = win.doc.region(rid).anchors
    first = max(0.0, regions[0].source.words[0].start - regions[0].start)  # inside the frame-snapped region
    assert pins and pins[0][0] == 0 and pins[0][1] == pytest.approx(first, abs=1e-3)
    own = win.doc.track_of(rid).id
    other = next(t.id for t in actors if t.id != own)
    assert win.source.move_region_to_track(rid, other)
    assert win.doc.track_of(rid).id == other
    win.act_undo.trigger()
    assert win.doc.track_of(rid).id == own

    # the whole transcription goes in one undo
    for _ in range(2):
        win.act_undo.trigger()
    assert [t.id for t in win.doc.project.tracks] == before
    win.act_redo.trigger()
    assert len(win.doc.project.tracks) == len(before) + 2


def test_transcription_can_be_cancelled(qtbot, win):
    from project import dub_from_source

    dub_from_source._memo.clear()
    before = [t.id for t in win.doc.project.tracks]
    dialogs = set(win.findChildren(QProgressDialog))
    assert win.source.transcribe_source("auto")
    thread = win.source.job[0]
    (dlg,) = set(win.findChildren(QProgressDialog)) - dialogs
    dlg.canceled.emit()  # what its Cancel button sends
    qtbot.waitUntil(lambda: win.source.job is None, timeout=60000)
    qtbot.waitUntil(thread.isFinished, timeout=10000)
    assert [t.id for t in win.doc.project.tracks] == before
    assert "cancelled" in win.statusBar().currentMessage()


def test_clone_this_actors_voice_uses_their_original_lines(qtbot, win, monkeypatch):
    import json

    import soundfile as sf

    from project.dub_from_source import build_tracks
    from project.transcribe import Line, Transcript, Word

    # the fixture's known lines and speakers stand in for a transcription (tested above)
    truth = json.loads((DATA / "dialogue.json").read_text(encoding="utf-8"))
    lines = [Line(t["start"], t["end"], t["text"], "zh", [Word(t["text"], t["start"], t["end"])]) for t in truth]
    actors = [0 if t["voice"] == truth[0]["voice"] else 1 for t in truth]
    win.doc.push(cmd.ImportTracks(win.doc, build_tracks(Transcript(lines, "zh", 13.0, 16.5), actors, 25.0)))
    track = next(t for t in win.doc.project.tracks if t.name == "Actor 1")
    ref = win.source.actor_reference(track.id)
    spans = [r.source.end - r.source.start for r in track.regions]
    assert ref is not None and abs(sf.info(str(ref)).duration - (sum(spans) + 0.25 * (len(spans) - 1))) < 0.2
    started = []

    def fake_add_from(reference, name=None, consent=None, temporary=False):  # consent dialog and enrollment
        started.append((reference, temporary))
        shutil.rmtree(Path(reference).parent)
        win.voices_panel.on_enrolled("actor_one")
        return True

    monkeypatch.setattr(win.voices_panel, "add_from", fake_add_from)
    assert win.source.clone_actor_voice(track.id)
    shutil.rmtree(Path(ref).parent)
    assert started and started[0][1] and win.doc.track(track.id).default_voice == "actor_one"
    win.act_undo.trigger()
    assert win.doc.track(track.id).default_voice != "actor_one"
