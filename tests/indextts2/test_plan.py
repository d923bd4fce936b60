"""IndexTTS2 planning without the model: text mapping, pieces, segment lengths, file checks."""

from __future__ import annotations

import pytest

from engine.errors import DurationError, ModelError, RequestError
from engine.indextts2 import plan as P
from engine.indextts2.setup import IndexTTS2Settings, check_files, find_python, model_hash
from engine.text.units import TextError


@pytest.mark.parametrize(("text", "expected"), [
    ("出发[fā chū]吧", "FA1 CHU1 吧"),
    ("重[chóng]新开始", "CHONG2 新开始"),
    ("重【chóng】新", "CHONG2 新"),
    ("绿[lǜ]色", "LV4 色"),
    ("他XING2李", "他XING2李"),  # already IndexTTS's form
    ("好的[de5]", "好DE5 "),
    ("Hello 行[háng]", "Hello HANG2 "),
    ("[注意]这里", "[注意]这里"),  # not pinyin: ordinary text
])
def test_overrides_become_tone_number_syllables(text, expected):
    assert P.map_text(text)[0] == expected


def test_mapped_text_keeps_the_source_position_of_every_character():
    mapped, src = P.map_text("出发[fā chū]吧")
    assert len(mapped) == len(src)
    assert src[mapped.index("F")] == 0 and src[mapped.index("C")] == 1 and src[mapped.index("吧")] == 10


@pytest.mark.parametrize(("text", "msg"), [
    ("出发[fā chū chū]", "3 syllables but only 2 characters"),
    ("出发[fāx]", "fāx"),
    ("出发[fā", "never closed"),
])
def test_bad_overrides_are_clear_errors(text, msg):
    with pytest.raises(TextError, match=msg):
        P.map_text(text)


def test_glossary_entries_use_tone_numbers_and_are_validated():
    assert P.glossary_entries((("重庆", "chóng qìng"), ("银行", "yin2 hang2"))) == {
        "重庆": "CHONG2 QING4 ", "银行": "YIN2 HANG2 "}
    with pytest.raises(TextError, match="syllable"):
        P.glossary_entries((("重庆", "chóng"),))


def test_anchor_pieces_have_exact_lengths_that_add_up():
    pieces = P.anchor_pieces("你好，我们出发吧。", 4 * 22050, ((3, 1.5), (5, 2.75)))
    assert [(p.src_start, p.src_end) for p in pieces] == [(0, 3), (3, 5), (5, 9)]
    assert [p.samples for p in pieces] == [33075, 60638 - 33075, 88200 - 60638]
    assert sum(p.samples for p in pieces) == 4 * 22050
    first = P.anchor_pieces("你好。", 2 * 22050, ((0, 0.5),))
    assert first[0].lead_samples == 11025 and first[0].lead_samples + first[0].samples == 44100


def test_impossible_anchors_are_refused():
    with pytest.raises(DurationError, match="after the end"):
        P.anchor_pieces("你好吗", 22050, ((1, 1.0),))
    with pytest.raises(DurationError, match="order"):
        P.anchor_pieces("你好吗", 3 * 22050, ((1, 1.0), (2, 0.5)))
    with pytest.raises(RequestError, match="outside the text"):
        P.anchor_pieces("你好吗", 3 * 22050, ((7, 1.0),))


@pytest.mark.parametrize("target", [22050, 66150, 110250, 159863, 5000])
def test_segment_frames_always_add_up_to_the_budget(target):
    tokens = [40, 12, 33, 5]
    sil = P.silence_samples(len(tokens), target)
    budget = P.frames_budget(target, len(tokens), sil)
    assert budget * P.HOP + (len(tokens) - 1) * sil >= target
    remaining, got = budget, []
    naturals = [70.0, 20.0, 60.0, 9.0]
    for i, nat in enumerate(naturals):
        f = P.next_segment_frames(remaining, nat, tokens[i + 1:], 1.7)
        assert f >= 1
        got.append(f)
        remaining -= f
    assert sum(got) == budget and remaining == 0
    if target >= 110250:  # plenty of room: shares follow the natural lengths
        assert got[0] > got[1] and got[2] > got[3]


def test_a_target_too_short_for_the_segments_is_refused():
    with pytest.raises(DurationError, match="too short"):
        P.frames_budget(600, 4, P.silence_samples(4, 600))


def test_ratio_warnings_follow_the_safe_range():
    assert P.ratio_warning(1.0) is None and P.ratio_warning(0.8) is None and P.ratio_warning(1.3) is None
    assert "intelligibility" in P.ratio_warning(0.6)
    assert "slurred" in P.ratio_warning(1.6)


def test_estimated_units_share_the_speech_span():
    units = P.estimate_units("你好，world!", 0, 9, 1.0, 2.0)
    assert [u.text for u in units] == ["你", "好", "，", "world", "!"]
    assert units[0].start_seconds == 1.0 and units[-1].end_seconds == pytest.approx(2.0)


def _layout(tmp_path, drop=()):
    ck = tmp_path / "ck"
    ck.mkdir()
    (ck / "config.yaml").write_text(
        "gpt_checkpoint: gpt.pth\nw2v_stat: wav2vec2bert_stats.pt\ns2mel_checkpoint: s2mel.pth\n"
        "emo_matrix: feat2.pt\nspk_matrix: feat1.pt\nqwen_emo_path: qwen0.6bemo4-merge/\n"
        "dataset:\n    bpe_model: bpe.model\nvocoder:\n    name: nvidia/bigvgan_v2_22khz_80band_256x\n")
    for f in ("gpt.pth", "wav2vec2bert_stats.pt", "s2mel.pth", "feat1.pt", "feat2.pt", "bpe.model"):
        if f not in drop:
            (ck / f).write_bytes(b"x" * 10)
    q = ck / "qwen0.6bemo4-merge"
    q.mkdir()
    for f in ("config.json", "tokenizer_config.json", "model.safetensors"):
        (q / f).write_text("{}")
    hub = tmp_path / "hf" / "hub"
    from engine.indextts2.setup import AUX_FILES

    for repo, files in AUX_FILES.items():
        base = hub / ("models--" + repo.replace("/", "--"))
        (base / "refs").mkdir(parents=True)
        (base / "refs" / "main").write_text("abc")
        for f in files:
            if f in drop:
                continue
            p = base / "snapshots" / "abc" / f
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(b"y")
    return str(ck), str(tmp_path / "hf")


def test_check_files_accepts_the_official_layout_and_names_what_is_missing(tmp_path):
    ck, hf = _layout(tmp_path)
    assert check_files(ck, hf) == []
    assert check_files(ck, hf + "/hub") == []  # the hub folder itself is fine too
    (tmp_path / "ck" / "s2mel.pth").unlink()
    (tmp_path / "hf" / "hub" / "models--funasr--campplus" / "snapshots" / "abc" / "campplus_cn_common.bin").unlink()
    missing = check_files(ck, hf)
    assert any("s2mel.pth is missing" in m for m in missing)
    assert any("funasr/campplus lacks campplus_cn_common.bin" in m and "hf download" in m for m in missing)
    assert "does not exist" in check_files(str(tmp_path / "nope"), hf)[0]
    assert "no IndexTTS2 checkpoint folder" in check_files("", hf)[0]
    (tmp_path / "ck" / "config.yaml").write_text("gpt: [unclosed")
    assert "not valid YAML" in check_files(ck, hf)[0]


def test_model_hash_changes_when_a_checkpoint_changes(tmp_path):
    ck, hf = _layout(tmp_path)
    a = model_hash(ck, hf)
    assert a == model_hash(ck, hf)
    (tmp_path / "ck" / "gpt.pth").write_bytes(b"z" * 11)
    assert model_hash(ck, hf) != a


def test_backend_refuses_to_start_with_missing_files(tmp_path):
    from engine.indextts2 import IndexTTS2Backend

    ck, hf = _layout(tmp_path, drop=("gpt.pth",))
    with pytest.raises(ModelError, match="gpt.pth is missing"):
        IndexTTS2Backend(IndexTTS2Settings(checkpoints=ck, hf_cache=hf))


def test_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("DUBLINE_INDEXTTS2_CHECKPOINTS", "/a")
    monkeypatch.setenv("DUBLINE_INDEXTTS2_HF_CACHE", "/b")
    monkeypatch.setenv("DUBLINE_INDEXTTS2_FP16", "0")
    s = IndexTTS2Settings.from_env()
    assert (s.checkpoints, s.hf_cache, s.fp16) == ("/a", "/b", False)
    assert s.merged(checkpoints="/c", hf_cache=None).checkpoints == "/c"
    with pytest.raises(ModelError, match="does not exist"):
        find_python("/no/such/python")


def test_settings_hold_absolute_paths(tmp_path, monkeypatch):
    """The worker runs in the project folder: a relative --checkpoints must still mean the user's folder."""
    monkeypatch.chdir(tmp_path)
    s = IndexTTS2Settings(checkpoints="ck", hf_cache="~/hf", python="venv/bin/python")
    assert s.checkpoints == str(tmp_path / "ck")
    assert s.hf_cache.startswith("/") and "~" not in s.hf_cache
    assert s.python == str(tmp_path / "venv" / "bin" / "python")
    assert s == IndexTTS2Settings(checkpoints=str(tmp_path / "ck"), hf_cache=s.hf_cache, python=s.python)


def test_the_api_hands_indextts2_a_factory_for_the_shared_embedded_engine(monkeypatch, tmp_path):
    """IndexTTS2 speaks stock voices' prompts with the embedded engine: engine.api hands it the shared
    instance's factory (engine.indextts2 never imports engine.api: no import cycle)."""
    import engine.indextts2 as it
    from engine import api

    seen = {}

    class Fake:
        def __init__(self, settings, device="auto", progress=None, embedded=None):
            seen["embedded"] = embedded

        def close(self):
            pass

    shared = object()
    monkeypatch.setattr(it, "IndexTTS2Backend", Fake)
    monkeypatch.setitem(api._engines, ("embedded", "auto"), shared)
    try:
        api.get_engine("indextts2", "cpu", settings=IndexTTS2Settings(checkpoints=str(tmp_path), hf_cache=str(tmp_path)))
        assert seen["embedded"]() is shared
    finally:
        api.unload("indextts2")
