"""Per-line gain and fades, per-track duck level: model (schema 2), playback mixer and export mix agree."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt

from editor.playback import Mixer
from project.mixer import plan_for
from project.model import Project, Region, Track, from_dict, load, save, to_dict
from project.render_core import db_to_gain, mix


def test_schema_1_files_migrate_and_levels_round_trip(tmp_path):
    p = Project()
    p.tracks[0].regions.append(Region(start=1.0, end=2.0, text="x", gain_db=-3.0, fade_in=0.1, fade_out=0.25))
    p.tracks[0].duck_db = -20.0
    path = tmp_path / "a.dubline"
    save(p, path)
    back = load(path)
    r = back.tracks[0].regions[0]
    assert (r.gain_db, r.fade_in, r.fade_out, back.tracks[0].duck_db) == (-3.0, 0.1, 0.25, -20.0)
    old = to_dict(Project())
    old["schema_version"] = 1
    for t in old["tracks"]:
        t.pop("duck_db")
    migrated = from_dict(json.loads(json.dumps(old)))
    assert migrated.tracks[0].duck_db is None


def test_export_mix_and_playback_mixer_apply_the_same_levels():
    p = Project(sample_rate=1000)
    t = p.tracks[0]
    t.duck_db = -20.0
    r = Region(start=1.0, end=2.0, text="x", gain_db=-6.0, fade_in=0.1, fade_out=0.1)
    t.regions.append(r)
    audio = np.full(1000, 0.5, np.float32)
    clip = type("C", (), {"audio": audio, "sample_rate": 1000})()
    source = np.full(3000, 0.1, np.float32)
    exported = mix(p, {r.id: clip}, source, 1000)
    m = Mixer(1000, channels=1)
    m.set_source(source, 1000)
    m.set_plan(plan_for(p, {r.id: clip}, m.source, sample_rate=1000, channels=1))
    played = m.render(0, 3000)
    g = db_to_gain(-6.0)
    assert exported[1500] == pytest.approx(0.5 * g + 0.1 * db_to_gain(-20.0), abs=1e-4)
    assert played[1500] == pytest.approx(exported[1500], abs=1e-4)
    dub = mix(p, {r.id: clip}, include_source=False)
    assert dub[1000] < 0.01 and dub[1050] == pytest.approx(0.5 * g * 0.5, abs=0.01)  # faded in from ~0
    assert exported[500] == pytest.approx(0.1, abs=1e-6) and played[500] == pytest.approx(0.1, abs=1e-6)


def test_inspector_level_controls_are_one_undo_step_each(qtbot, window, make_project):
    window.doc.replace(make_project(), None)
    rid = window.doc.project.tracks[0].regions[0].id
    window.doc.select([rid])
    ins = window.inspector
    n = window.doc.undo_stack.count()
    ins.gain.setFocus()
    ins.gain.selectAll()
    qtbot.keyClicks(ins.gain, "-4.5")
    qtbot.keyClick(ins.gain, Qt.Key.Key_Return)
    assert window.doc.region(rid).gain_db == -4.5
    qtbot.keyClick(ins.fade_in, Qt.Key.Key_Up)
    assert window.doc.region(rid).fade_in == pytest.approx(0.05)
    assert window.doc.undo_stack.count() == n + 2
    window.doc.undo_stack.undo()
    window.doc.undo_stack.undo()
    assert (window.doc.region(rid).gain_db, window.doc.region(rid).fade_in) == (0.0, 0.0)
    assert ins.gain.value() == 0.0


def test_track_levels_from_the_header_menu_show_in_the_header(qtbot, window, make_project, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from editor import commands as cmd

    window.doc.replace(make_project(), None)
    d = window.doc
    d.push(cmd.AddTrack(d, Track(name="B")))
    tid = d.project.tracks[1].id
    monkeypatch.setattr(QInputDialog, "getDouble", staticmethod(lambda *a, **k: (-30.0, True)))
    window.timeline.menus.ask_track_level(tid, "duck_db")
    assert d.track(tid).duck_db == -30.0
    d.undo_stack.undo()
    assert d.track(tid).duck_db is None
