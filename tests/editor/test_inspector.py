"""The inspector: text bursts as one undo step, the pinyin helper, times, duration mode."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from editor.inspector import TEXT_IDLE_MS, apply_reading, polyphones


@pytest.fixture
def win(window, make_project):
    window.doc.replace(make_project(), None)
    rid = window.doc.project.tracks[0].regions[0].id
    window.doc.select([rid])
    return window


def test_a_burst_of_typing_is_one_undo_step(qtbot, win):
    ins = win.inspector
    ins.text.setFocus()
    ins.text.moveCursor(ins.text.textCursor().MoveOperation.End)
    qtbot.keyClicks(ins.text, " and friends")
    assert win.doc.undo_stack.count() == 0  # still typing
    qtbot.wait(TEXT_IDLE_MS + 150)
    assert win.doc.undo_stack.count() == 1
    assert win.doc.current_region().text == "你好 and friends"
    assert win.act_undo.text().replace("&", "").startswith("Undo Edit text")
    win.act_undo.trigger()
    assert win.doc.current_region().text == "你好"
    assert ins.text.toPlainText() == "你好"


def test_leaving_the_field_commits_at_once(qtbot, win):
    ins = win.inspector
    ins.text.setFocus()
    qtbot.keyClicks(ins.text, "X")
    win.timeline.view.setFocus()
    QApplication.processEvents()
    assert win.doc.undo_stack.count() == 1


def test_undo_with_a_pending_edit_undoes_that_edit(qtbot, win):
    ins = win.inspector
    ins.text.setFocus()
    qtbot.keyClicks(ins.text, "Y")
    win.undo()
    assert win.doc.current_region().text == "你好"
    assert win.doc.undo_stack.canRedo()


def test_pinyin_helper_lists_readings_and_inserts_an_override(qtbot, win):
    ins = win.inspector
    ins.text.setPlainText("银行行长")
    ins.commit_text()
    ins._refresh_pinyin()  # the dictionaries load off the GUI thread; the helper fills in when they are ready
    qtbot.waitUntil(lambda: ins.pinyin_tree.topLevelItemCount() > 0, timeout=30000)
    tree = ins.pinyin_tree
    labels = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert any(lbl.startswith("行") for lbl in labels)
    top = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
               if tree.topLevelItem(i).text(0).startswith("行"))
    readings = [top.child(j).data(0, Qt.ItemDataRole.UserRole)[1] for j in range(top.childCount())]
    assert "xíng" in readings and "háng" in readings
    child = next(top.child(j) for j in range(top.childCount())
                 if top.child(j).data(0, Qt.ItemDataRole.UserRole)[1] == "xíng")
    n = win.doc.undo_stack.count()
    ins._on_reading_picked(child)
    assert win.doc.current_region().text == "银行[xíng]行长"
    assert win.doc.undo_stack.count() == n + 1


def test_polyphones_and_apply_reading():
    found = {(p.index, p.char) for p in polyphones("银行行长")}
    assert (1, "行") in found and (2, "行") in found
    assert next(p for p in polyphones("银行") if p.char == "行").predicted == "háng"
    assert apply_reading("银行行长", 2, "háng") == "银行行[háng]长"
    assert apply_reading("出发[fā chū]吧", 1, "fā") == "出发[fā fā]吧"  # edits that syllable of the group
    assert apply_reading("重[zhòng]新", 0, "chóng") == "重[chóng]新"
    pinned = next(p for p in polyphones("重[chóng]新") if p.char == "重")
    assert pinned.override == "chóng"


def test_typing_a_start_timecode_moves_the_region(qtbot, win):
    ins = win.inspector
    ins.start_edit.setText("00:00:00:05")
    ins.start_edit.editingFinished.emit()
    r = win.doc.current_region()
    assert (r.start, r.end) == (pytest.approx(0.2), pytest.approx(2.2))
    ins.end_edit.setText("4.0")
    ins.end_edit.editingFinished.emit()
    assert r.end == 4.0
    ins.dur_edit.setText("00:00:10:00")  # 10 s would overlap the next region: pushed back
    messages = []
    ins.message.connect(messages.append)
    ins.dur_edit.editingFinished.emit()
    assert r.end == 5.0 and "overlap" in messages[-1]
    ins.start_edit.setText("nonsense")
    ins.start_edit.editingFinished.emit()
    assert "not a timecode" in messages[-1] and r.start == pytest.approx(0.2)


def test_duration_mode_and_ratio_warning(qtbot, win):
    ins = win.inspector
    ins.mode.setCurrentIndex(1)
    ins.mode.activated.emit(1)
    r = win.doc.current_region()
    assert r.duration_mode == "ratio" and ins.ratio.isEnabled()
    ins.ratio.setValue(1.2)
    assert r.ratio == pytest.approx(1.2)
    assert win.doc.undo_stack.count() == 2
    ins.mode.setCurrentIndex(0)
    ins.mode.activated.emit(0)
    # fake natural length 0.3 s for "你好" in a 2 s region: far slower than natural
    qtbot.waitUntil(lambda: ins.speed_label.property("warning") is True, timeout=3000)
    assert "6.67×" in ins.speed_label.text()


def test_voice_combo_sets_the_region_voice(qtbot, win):
    qtbot.waitUntil(lambda: win.renderer.engine_state == "ready", timeout=3000)
    ins = win.inspector
    ins._fill_voices()
    i = ins.voice.findData("jm_kumo")
    ins.voice.setCurrentIndex(i)
    ins.voice.activated.emit(i)
    assert win.doc.current_region().voice == "jm_kumo"
    ins.voice.setCurrentIndex(0)
    ins.voice.activated.emit(0)
    assert win.doc.current_region().voice is None


def test_emotion_controls_are_undoable_and_a_prompt_shows_what_it_resolved_to(qtbot, win):
    box = win.inspector.emotion_box
    rid = win.doc.current_region().id
    assert box.isEnabled() and box.mode.currentData() == "voice"
    box._preset("sad")
    assert win.doc.region(rid).emotion == {"intensity": 0.8, "vector": [0, 0, 1.0, 0, 0, 0, 0, 0]}
    box.intensity.setValue(60)
    assert win.doc.region(rid).emotion["intensity"] == 0.6
    box.mode.setCurrentIndex(2)  # text prompt
    box.prompt.setText("焦急地催促")
    box._commit()
    assert win.doc.region(rid).emotion == {"intensity": 0.6, "text": "焦急地催促"}
    qtbot.waitUntil(lambda: "afraid" in box.readout.text(), timeout=20000)
    n = win.doc.undo_stack.count()
    win.act_undo.trigger()
    assert win.doc.region(rid).emotion["vector"][2] == 1.0 and win.doc.undo_stack.index() == n - 1
    assert box.mode.currentData() == "vector"  # the widgets follow the model
    box.intensity.setValue(95)
    assert "exaggerated" in box.intensity.toolTip()
