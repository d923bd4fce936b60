"""IndexTTS2 end to end with tiny random weights: the real package, our adapter, exact lengths."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from engine import DurationSpec, EmotionSpec, SynthesisRequest
from engine.errors import DurationError, ModelError, RequestError

SR = 22050


@pytest.mark.parametrize("seconds", [3.0, 5.0, 7.25, 1.234567])
def test_exact_durations_give_exactly_the_requested_samples(itts, speaker_wav, seconds):
    res = itts.generate(SynthesisRequest("你好，我们出发吧。Hello there.", voice=speaker_wav,
                                         duration=DurationSpec.exact(seconds)))
    assert res.sample_rate == SR
    assert res.num_samples == round(seconds * SR)
    assert np.isfinite(res.audio).all() and np.abs(res.audio).max() <= 1.0
    assert res.backend == "indextts2"
    # the mel stage ran at the planned length: every segment's frames x 256 covers the target
    piece = itts.last_reply["pieces"][0]
    frames = sum(s["frames"] for s in piece["segments"])
    n = len(piece["segments"])
    assert frames * 256 + (n - 1) * piece["silence"] >= res.num_samples > (frames - 1) * 256 + (n - 1) * piece["silence"]


def test_several_segments_share_the_target_by_natural_length(itts, speaker_wav):
    text = "。".join(["我们今天一起去看看这座城市的风景和历史"] * 9) + "。"
    res = itts.generate(SynthesisRequest(text, voice=speaker_wav, duration=DurationSpec.exact(9.5)))
    assert res.num_samples == round(9.5 * SR)
    segs = itts.last_reply["pieces"][0]["segments"]
    assert len(segs) >= 2  # long enough to be split into several model segments
    assert all(s["frames"] >= 1 for s in segs)


def test_ratio_mode_scales_each_segment_by_the_ratio(itts, speaker_wav):
    res = itts.generate(SynthesisRequest("你好，我们出发吧。", voice=speaker_wav, duration=DurationSpec.of_ratio(1.2)))
    piece = itts.last_reply["pieces"][0]
    for s in piece["segments"]:
        assert s["frames"] == max(1, round(s["natural_frames"] * 1.2))
    assert res.ratio == pytest.approx(1.2, abs=0.05)


def test_same_seed_same_audio_and_another_seed_differs(itts, speaker_wav):
    req = SynthesisRequest("你好，世界。", voice=speaker_wav, duration=DurationSpec.exact(2.0), seed=3)
    a = itts.generate(req).audio
    itts.generate(SynthesisRequest("别的句子。", voice=speaker_wav))  # something else in between
    b = itts.generate(req).audio
    np.testing.assert_array_equal(a, b)
    c = itts.generate(SynthesisRequest("你好，世界。", voice=speaker_wav, duration=DurationSpec.exact(2.0), seed=4)).audio
    assert not np.array_equal(a, c)


def test_word_anchors_start_exactly_where_pinned(itts, speaker_wav):
    text = "你好，我们出发吧。"
    res = itts.generate(SynthesisRequest(text, voice=speaker_wav,
                                         duration=DurationSpec.exact(4.0, ((3, 1.5), (5, 2.75)))))
    assert res.num_samples == 4 * SR
    assert res.anchors_achieved == [(3, round(1.5 * SR) / SR), (5, round(2.75 * SR) / SR)]
    starts = {u.src_start: u.start_seconds for u in res.units}
    assert starts[3] >= 1.5 - 1e-9 and starts[5] >= 2.75 - 1e-9
    # a piece's length is exact: the first two pieces sum to the second anchor
    pieces = itts.last_reply["pieces"]
    assert pieces[0]["samples"] == round(1.5 * SR)
    assert pieces[1]["samples"] == round(2.75 * SR) - round(1.5 * SR)


def test_an_anchor_on_the_first_character_delays_the_line(itts, speaker_wav):
    res = itts.generate(SynthesisRequest("你好。", voice=speaker_wav, duration=DurationSpec.exact(2.0, ((0, 0.5),))))
    assert res.num_samples == 2 * SR
    assert np.all(res.audio[: int(0.5 * SR)] == 0)


def test_emotion_vector_and_intensity_pass_through(itts, speaker_wav):
    vec = (0.6, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 0.0)
    res = itts.generate(SynthesisRequest("真的吗？太好了！", voice=speaker_wav,
                                         emotion=EmotionSpec(vector=vec, intensity=0.5)))
    applied = itts.last_reply["applied"]
    assert applied["emo_vector"] == list(vec)
    assert applied["emo_alpha"] == 0.5
    assert res.emotion_vector == pytest.approx([v * 0.5 for v in vec])


def test_emotion_text_goes_to_the_qwen_model_and_its_vector_is_reported(itts, speaker_wav):
    res = itts.generate(SynthesisRequest("快点！", voice=speaker_wav, emotion=EmotionSpec(text="焦急地催促", intensity=0.7)))
    applied = itts.last_reply["applied"]
    assert applied["use_emo_text"] is True and applied["emo_text"] == "焦急地催促"
    # the tiny emotion model detects nothing, which the package maps to calm = 1.0
    assert res.emotion_vector == pytest.approx([0, 0, 0, 0, 0, 0, 0, 0.7])
    itts.generate(SynthesisRequest("快点！", voice=speaker_wav, emotion=EmotionSpec(from_line=True)))
    assert itts.last_reply["applied"]["use_emo_text"] is True and itts.last_reply["applied"]["emo_text"] is None


def test_emotion_clip_is_the_emotion_prompt_and_is_cached(itts, speaker_wav, tmp_path):
    import shutil

    clip = tmp_path / "angry.wav"
    shutil.copy(speaker_wav, clip)
    before = dict(itts.last_reply.get("cache") or {})
    itts.generate(SynthesisRequest("走开！", voice=speaker_wav, emotion=EmotionSpec(audio=str(clip), intensity=0.6)))
    assert itts.last_reply["applied"] == {"emo_audio_prompt": str(clip), "emo_alpha": 0.6}
    itts.generate(SynthesisRequest("走开！", voice=speaker_wav, emotion=EmotionSpec(audio=str(clip), intensity=0.6)))
    after = itts.last_reply["cache"]
    assert after["emotion_hits"] > before.get("emotion_hits", 0)


def test_speaker_conditioning_is_cached_for_every_voice(itts, speaker_wav, tmp_path):
    import soundfile as sf

    x, sr = sf.read(speaker_wav)
    other = tmp_path / "other.wav"
    sf.write(str(other), (x[::-1] * 0.8).astype(np.float32), sr)
    itts.generate(SynthesisRequest("一", voice=speaker_wav))
    itts.generate(SynthesisRequest("二", voice=str(other)))
    misses = itts.last_reply["cache"]["speaker_misses"]
    itts.generate(SynthesisRequest("三", voice=speaker_wav))  # back to the first voice: no new encoding
    itts.generate(SynthesisRequest("四", voice=str(other)))
    assert itts.last_reply["cache"]["speaker_misses"] == misses


def test_pinyin_overrides_and_glossary_become_tone_number_syllables(itts):
    out = itts.phonemes("我们出发[fā chū]吧，去重庆", (("重庆", "chóng qìng"),))
    first = out.splitlines()[0]
    assert "FA1 CHU1" in first and "CHONG2 QING4" in first
    assert "[" not in first
    with pytest.raises(RequestError, match="syllable"):
        itts.generate(SynthesisRequest("出发[fā chū chū]", voice="jf_alpha"))


def test_impossible_duration_is_a_clear_error(itts, speaker_wav):
    text = "。".join(["我们今天一起去看看这座城市的风景和历史"] * 9) + "。"
    with pytest.raises(DurationError, match="too short"):
        itts.generate(SynthesisRequest(text, voice=speaker_wav, duration=DurationSpec.exact(0.01)))


def test_stock_and_library_voices_become_speaker_prompts(itts):
    import soundfile as sf

    path = itts.speaker_prompt("jf_alpha")
    audio, sr = sf.read(path)
    assert sr == 24000 and len(audio) > 2 * sr  # spoken once by the embedded engine
    res = itts.generate(SynthesisRequest("你好。", voice="jf_alpha", duration=DurationSpec.exact(1.0)))
    assert res.num_samples == SR
    with pytest.raises(RequestError, match="unknown voice"):
        itts.generate(SynthesisRequest("你好。", voice="no-such-voice"))


def test_adapter_fixes_are_applied_for_this_transformers(itts):
    patched = itts.info["patched"]
    assert any("ylens" in p for p in patched)
    major, minor = (int(x) for x in itts.info["transformers"].split(".")[:2])
    if (major, minor) >= (5, 2):
        assert any("attention mask" in p for p in patched)
    assert itts.info["device"] == "cpu"
    assert itts.model_version().startswith("indextts2-")


def test_cli_say_with_indextts2(tmp_path, settings, speaker_wav):
    import soundfile as sf

    out = tmp_path / "line.wav"
    cmd = [sys.executable, "-m", "cli.main", "say", "出发[fā chū]吧！", "--backend", "indextts2",
           "--checkpoints", settings.checkpoints, "--hf-cache", settings.hf_cache, "--device", "cpu",
           "--voice", speaker_wav, "--consent", "test speaker, for the test suite",
           "--duration", "2.5", "-o", str(out), "--json",
           "--emotion-vector", "happy=0.8", "--emotion-intensity", "0.5"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                       env={**__import__("os").environ, "DUBLINE_INDEXTTS2_PYTHON": settings.python})
    assert r.returncode == 0, r.stderr
    meta = json.loads(r.stdout)
    assert meta["backend"] == "indextts2" and meta["samples"] == round(2.5 * SR)
    assert meta["emotion_vector"][0] == pytest.approx(0.4)
    audio, sr = sf.read(str(out))
    assert sr == SR and len(audio) == round(2.5 * SR)


def test_cli_names_the_missing_file(tmp_path, settings):
    import shutil

    ck = tmp_path / "ck"
    shutil.copytree(settings.checkpoints, ck)
    (ck / "gpt.pth").unlink()
    r = subprocess.run([sys.executable, "-m", "cli.main", "say", "你好", "--backend", "indextts2",
                        "--checkpoints", str(ck), "--hf-cache", settings.hf_cache, "-o", str(tmp_path / "x.wav")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "gpt.pth is missing" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_render_worker_renders_regions_with_indextts2(qtbot, itts, speaker_wav):
    from editor.document import Document
    from editor.render_worker import RenderController
    from engine import voices as vl
    from project.model import Project, Region

    vl.grant_consent(speaker_wav, "synthetic test speaker")  # a recording as the voice needs consent
    p = Project()
    p.backend = "indextts2"
    r = Region(start=0.5, end=2.0, text="你好，世界", voice=speaker_wav)
    p.tracks[0].regions = [r]
    doc = Document(p)
    ctl = RenderController(doc, lambda progress: itts)
    try:
        qtbot.waitUntil(lambda: ctl.status(r.id) == "ready", timeout=120000)
        clip = ctl.clip(r.id)
        assert clip.sample_rate == SR and len(clip.audio) == round(1.5 * SR)
        assert ctl.model_version.startswith("indextts2-")
    finally:
        ctl.shutdown()


def test_unloading_stops_the_worker_and_frees_its_memory(settings):
    from engine.indextts2 import IndexTTS2Backend

    be = IndexTTS2Backend(settings, device="cpu")
    proc = be._proc
    assert proc is not None and proc.poll() is None
    be.close()
    assert proc.poll() is not None
    with pytest.raises(ModelError, match="not running"):
        be.generate(SynthesisRequest("你好", voice="jf_alpha"))


def test_a_silent_or_missing_reference_is_a_clear_error(itts, tmp_path):
    import soundfile as sf

    silent = tmp_path / "silent.wav"
    sf.write(str(silent), np.zeros(3 * SR, np.float32), SR)
    with pytest.raises(RequestError, match="silent"):
        itts.generate(SynthesisRequest("你好", voice=str(silent)))
    with pytest.raises(RequestError, match="recording not found"):
        itts.generate(SynthesisRequest("你好", voice=str(tmp_path / "gone.wav")))


def test_a_project_set_to_indextts2_renders_from_the_cli(tmp_path, settings, speaker_wav):
    import soundfile as sf

    from project import model as pj

    lines = tmp_path / "lines.txt"
    lines.write_text("你好，我们出发吧。\nHello, are you ready?\n", encoding="utf-8")
    proj = tmp_path / "scene.dubline"
    env = {**__import__("os").environ, "DUBLINE_INDEXTTS2_PYTHON": settings.python}
    r = subprocess.run([sys.executable, "-m", "cli.main", "new", str(proj), "--text", str(lines),
                        "--backend", "indextts2", "--voice", "jf_alpha"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    p = pj.load(proj)
    assert p.backend == "indextts2"
    for _, region in p.all_regions():  # the recording as every line's voice
        region.voice = speaker_wav
    pj.save(p, proj)
    out = tmp_path / "scene.wav"
    r = subprocess.run([sys.executable, "-m", "cli.main", "render", str(proj), "-o", str(out),
                        "--checkpoints", settings.checkpoints, "--hf-cache", settings.hf_cache, "--no-fp16",
                        "--consent", "synthetic test speaker"],
                       capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr
    audio, sr = sf.read(str(out))
    assert sr == p.sample_rate and len(audio) >= int(p.end_time() * sr)
    assert np.abs(audio).max() > 0


def test_generation_uses_the_kv_cache_again(itts):
    """transformers >= 5.2 passes the cache as ``cache``: without our fix every step re-ran the whole
    sequence; with it each step after the first feeds the GPT one token."""
    lengths = itts._call({"op": "selftest"})["input_lengths"]
    assert len(lengths) >= 3
    assert lengths[0] > 1 and all(n == 1 for n in lengths[1:])


def test_emotion_vectors_follow_the_embedded_rules(itts, speaker_wav):
    res = itts.generate(SynthesisRequest("好！", voice=speaker_wav,
                                         emotion=EmotionSpec(vector=(0.9, 0.9, 0, 0, 0, 0, 0, 0), intensity=0.95)))
    assert itts.last_reply["applied"]["emo_vector"] == pytest.approx([0.5, 0.5, 0, 0, 0, 0, 0, 0])
    assert any("scaled to sum to 1" in w for w in res.warnings)
    assert any("above 0.9" in w for w in res.warnings)


def test_natural_length_matches_a_free_render(itts, speaker_wav):
    text = "我们今天一起去看看这座城市。"
    natural = itts.natural_seconds(text, speaker_wav)
    res = itts.generate(SynthesisRequest(text, voice=speaker_wav, seed=0))
    assert natural == res.num_samples / SR  # the GPT stage alone predicts the same codes


def test_a_worker_that_died_is_started_again(itts, speaker_wav):
    itts._proc.kill()
    itts._proc.wait()
    res = itts.generate(SynthesisRequest("你好。", voice=speaker_wav, duration=DurationSpec.exact(1.0)))
    assert res.num_samples == SR
    assert itts._proc is not None and itts._proc.poll() is None


def test_a_damaged_checkpoint_is_a_clear_error(tmp_path, settings):
    import shutil

    from engine.indextts2 import IndexTTS2Backend

    ck = tmp_path / "ck"
    shutil.copytree(settings.checkpoints, ck)
    (ck / "gpt.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="IndexTTS2 failed"):
        IndexTTS2Backend(settings.merged(checkpoints=str(ck)), device="cpu")
