"""The inspector agrees with the render: emotion-aware lengths, the engine's shortest length,
warnings shown as warnings, and only real polyphones in the pinyin helper."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from editor import commands as cmd
from editor.inspector import WARNING_COLOR


@pytest.fixture
def win(window, make_project):
    window.doc.replace(make_project(), None)
    rid = window.doc.project.tracks[0].regions[0].id
    window.doc.select([rid])
    return window


def test_pinyin_helper_skips_archaic_readings(qtbot, win):
    ins = win.inspector
    ins.text.setFocus()
    ins.text.selectAll()
    ins.text.insertPlainText("明天我们去银行")  # what an input method delivers
    ins._refresh_pinyin()
    qtbot.waitUntil(lambda: ins.pinyin_tree.topLevelItemCount() > 0, timeout=30000)
    chars = [ins.pinyin_tree.topLevelItem(i).text(0)[0] for i in range(ins.pinyin_tree.topLevelItemCount())]
    assert chars == ["行"]  # 明 (mèng) and 去 (qū) are dictionary curiosities, not choices


def test_too_short_uses_the_engines_shortest_length(qtbot, win):
    d = win.doc
    rid = d.current_region_id
    text = "一二三四五六七八九十一二三四五六七八九十"  # the fake engine: natural 3.00 s, shortest 0.90 s
    d.push(cmd.SetRegionText(d, rid, text))
    d.push(cmd.MoveResizeRegion(d, rid, 1.0, 1.8, "end"))
    ins = win.inspector
    qtbot.waitUntil(lambda: "needs at least" in ins.speed_label.text(), timeout=5000)
    assert "needs at least 0.90 s" in ins.speed_label.text()
    assert "shortest 0.90 s" in ins.natural_label.text()
    qtbot.waitUntil(lambda: win.renderer.status(rid) == "failed", timeout=5000)
    assert "0.90 s" in win.renderer.error(rid)  # the render says the same figure
    # long enough: the warning goes
    d.push(cmd.MoveResizeRegion(d, rid, 1.0, 2.0, "end"))
    qtbot.waitUntil(lambda: "needs at least" not in ins.speed_label.text(), timeout=5000)


def test_render_warnings_are_amber_not_the_status_colour(qtbot, win, fake_engine, monkeypatch):
    real = fake_engine.generate

    def warn(req):
        res = real(req)
        res.warnings.append("emotion prompt not understood: spoken neutrally")
        return res

    monkeypatch.setattr(fake_engine, "generate", warn)
    ins = win.inspector
    d = win.doc
    d.push(cmd.SetRegionText(d, d.current_region_id, "你好吗"))  # a new render, not a cached one
    qtbot.waitUntil(lambda: ins.warnings_label.isVisible(), timeout=5000)
    assert "not understood" in ins.warnings_label.text()
    assert WARNING_COLOR in ins.warnings_label.styleSheet()
    assert "not understood" not in ins.status_label.text()  # the green "ready" line stays plain


def test_natural_length_follows_the_emotion(qtbot, win):
    """The embedded engine's natural length with an emotion is the one its render uses."""
    from editor.render_worker import _emotion_spec
    from engine.api import get_engine

    eng = get_engine("embedded", "cpu")
    text = "今天天气很好，我们去公园散步吧"
    emotion = {"text": "焦急地催促", "intensity": 1.0}
    nat, shortest = eng.length_bounds(text, "jf_alpha", (), _emotion_spec(emotion))
    from engine.types import DurationSpec, SynthesisRequest

    res = eng.generate(SynthesisRequest(text=text, voice="jf_alpha", duration=DurationSpec.free(),
                                        emotion=_emotion_spec(emotion)))
    assert res.natural_seconds == pytest.approx(nat, abs=1e-6)
    assert nat != pytest.approx(eng.natural_seconds(text, "jf_alpha"), abs=0.05)  # the emotion changes the pace
    assert 0 < shortest < nat
    with pytest.raises(Exception, match=f"needs at least {shortest + 0.004:.2f} s|needs at least {shortest:.2f} s"):
        eng.generate(SynthesisRequest(text=text, voice="jf_alpha", duration=DurationSpec.exact(shortest - 0.01),
                                      emotion=_emotion_spec(emotion)))
    ok = eng.generate(SynthesisRequest(text=text, voice="jf_alpha", duration=DurationSpec.exact(shortest + 0.001),
                                       emotion=_emotion_spec(emotion)))
    assert len(ok.audio) == round((shortest + 0.001) * ok.sample_rate)
    _ = Qt
