"""Transcribing the source into regions, actors and emotions, with the real VAD, Whisper base and GE2E.

The fixture (scripts/make_transcribe_fixture.py) is 16.5 s of dialogue with a known answer: two stock voices,
two Chinese and two English lines at known spans.  Whisper runs once per session (``transcribed``).
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from project import model as pj

DATA = Path(__file__).parent / "data"
TRUTH = json.loads((DATA / "dialogue.json").read_text(encoding="utf-8"))

pytest.importorskip("faster_whisper", reason="needs the transcribe extra: pip install 'dubline[transcribe]'")


@pytest.fixture(scope="session")
def transcribed(tmp_path_factory):
    """`dubline new --transcribe` on a copy of the fixture: (project path, media path, stderr)."""
    import contextlib
    import io

    from cli.main import main

    d = tmp_path_factory.mktemp("src")
    media = d / "dialogue.flac"
    shutil.copy(DATA / "dialogue.flac", media)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = main(["new", str(d / "ep.dubline"), "--media", str(media), "--transcribe"])
    assert rc == 0, err.getvalue()
    return d / "ep.dubline", media, err.getvalue()


def _distance(a, b) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def _regions(p: pj.Project):
    return sorted(((t, r) for t, r in p.all_regions()), key=lambda tr: tr[1].start)


def test_regions_are_the_original_lines_snapped_to_frames(transcribed):
    path, _media, err = transcribed
    p = pj.load(path)  # the file reopens (schema 2, sources validated)
    regions = _regions(p)
    assert len(regions) == len(TRUTH), [r.text for _, r in regions]
    for (_t, r), truth in zip(regions, TRUTH, strict=True):
        assert abs(r.start - truth["start"]) <= 0.1 and abs(r.end - truth["end"]) <= 0.1, (r.start, r.end, truth)
        assert abs(r.start * p.fps - round(r.start * p.fps)) < 1e-6  # on a frame
        assert abs(r.end * p.fps - round(r.end * p.fps)) < 1e-6
        src = r.source
        assert src is not None and src.language == ("zh" if truth["text"][0] > "\u3000" else "en")
        assert abs(src.start - truth["start"]) <= 0.1 and abs(src.end - truth["end"]) <= 0.1
        words = src.words
        assert words and all(src.start <= w.start <= w.end <= src.end for w in words)
        assert all(a.start <= b.start for a, b in zip(words, words[1:], strict=False))
        assert r.text == src.text  # the dub starts from the original (no dub language given)
        assert r.emotion == {"from_source": True, "intensity": 0.8}
    from project.transcribe import to_simplified

    for (_t, r), truth in zip(regions, TRUTH, strict=True):
        if r.source.language == "zh":
            hyp = [c for c in r.source.text if "\u4e00" <= c <= "\u9fff"]
            ref = [c for c in truth["text"] if "\u4e00" <= c <= "\u9fff"]
            assert _distance(ref, hyp) / len(ref) <= 0.35, r.source.text
            assert to_simplified(r.source.text) == r.source.text  # Simplified characters
        else:
            hyp = r.source.text.lower().replace(",", "").replace(".", "").split()
            ref = truth["text"].lower().replace(",", "").replace(".", "").split()
            assert _distance(ref, hyp) / len(ref) <= 0.2, r.source.text
    assert "4 lines" in err


def test_one_track_per_actor(transcribed):
    path, _media, _err = transcribed
    p = pj.load(path)
    assert [t.name for t in p.tracks] == ["Actor 1", "Actor 2"]
    assert len({t.default_voice for t in p.tracks}) == 2
    by_voice: dict[str, set[str]] = {}
    for (t, _r), truth in zip(_regions(p), TRUTH, strict=True):
        by_voice.setdefault(truth["voice"], set()).add(t.id)
    assert all(len(ids) == 1 for ids in by_voice.values())  # each speaker's lines on one track
    assert len({next(iter(ids)) for ids in by_voice.values()}) == 2


def test_dub_language_leaves_other_lines_empty(tmp_path):
    from project.dub_from_source import build_tracks, dub_text_for
    from project.transcribe import Line, Options, Transcript, Word

    assert dub_text_for("zh", "en", "auto", "你好") == "" and dub_text_for("en", "en", "auto", "Hi") == "Hi"
    assert dub_text_for("zh", "en", "original", "你好") == "你好" and dub_text_for("en", None, "empty", "Hi") == ""
    t = Transcript([Line(0.51, 1.73, "你好", "zh", [Word("你", 0.51, 0.9), Word("好", 0.9, 1.73)]),
                    Line(2.0, 3.0, "Hi there", "en", [Word("Hi", 2.0, 2.4), Word("there", 2.5, 3.0)])],
                   "zh", 2.2, 3.5)
    tracks = build_tracks(t, [0, 0], 25.0, dub_language="en")
    assert [r.text for r in tracks[0].regions] == ["", "Hi there"]
    assert (tracks[0].regions[0].start, tracks[0].regions[0].end) == (0.52, 1.72)  # nearest frames
    assert Options().split_pause > Options().change_pause


def test_emotion_from_the_original_line(transcribed, tmp_path, monkeypatch):
    """The region's request carries the original audio under its source line as the emotion clip."""
    from project.render_core import region_request

    path, media, _err = transcribed
    p = pj.load(path)
    track, region = _regions(p)[0]
    req = region_request(p, track, region)
    assert req.emotion.audio and req.emotion.intensity == 0.8 and req.voice == track.default_voice
    clip, sr = sf.read(req.emotion.audio)
    assert sr == 16000 and abs(len(clip) / sr - (region.source.end - region.source.start)) < 0.05
    full, _ = sf.read(str(media))
    a = int(region.source.start * 16000)
    assert np.corrcoef(clip[:8000], full[a:a + 8000])[0, 1] > 0.95  # the very original audio
    # cut again by seeking in the media when the cache is gone
    monkeypatch.setenv("DUBLINE_CACHE", str(tmp_path / "cache"))
    again = region_request(p, track, region).emotion.audio
    assert again != req.emotion.audio and abs(sf.info(again).duration - sf.info(req.emotion.audio).duration) < 0.05
    # without the media the line falls back to the voice's own delivery
    p.media.abs_path = p.media.path = str(tmp_path / "gone.flac")
    assert region_request(p, track, region).emotion.is_neutral()


def test_missing_packages_say_how_to_install(tmp_path, capsys, monkeypatch):
    import importlib.util

    from cli.main import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "faster_whisper" else real(name, *a))
    media = tmp_path / "d.flac"
    shutil.copy(DATA / "dialogue.flac", media)
    assert main(["new", str(tmp_path / "p.dubline"), "--media", str(media), "--transcribe"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install 'dubline[transcribe]'" in err
    assert not (tmp_path / "p.dubline").exists()
    assert main(["new", str(tmp_path / "p.dubline"), "--transcribe"]) == 2
    assert "--media" in capsys.readouterr().err


def test_vad_spans_within_100_ms():
    from project.transcribe import Options, refine_edges, speech_spans, vad_probabilities

    audio, sr = sf.read(str(DATA / "dialogue.flac"), dtype="float32")
    spans = refine_edges(audio, speech_spans(vad_probabilities(audio), Options()))
    for truth in TRUTH:  # each true line's edges are edges of found speech
        inside = [s for s in spans if s[1] > truth["start"] and s[0] < truth["end"]]
        assert abs(inside[0][0] - truth["start"]) <= 0.1 and abs(inside[-1][1] - truth["end"]) <= 0.1


def test_a_soft_first_sound_the_vad_leaves_out_is_found():
    """A breathy 0.25 s onset 35 dB under the line's peak (a fricative's hiss) before the English line at 4.65 s:
    the VAD starts at the loud part, the edge search walks back to the hiss and no further."""
    from project.transcribe import Options, refine_edges, speech_spans, vad_probabilities

    audio, sr = sf.read(str(DATA / "dialogue.flac"), dtype="float32")
    peak = float(np.abs(audio[int(4.65 * sr):int(8.13 * sr)]).max())
    n = int(0.25 * sr)
    hiss = np.diff(np.random.default_rng(1).normal(0, 1, n + 1))  # white noise, high-passed
    hiss *= peak * 10 ** (-35 / 20) / np.sqrt(np.mean(hiss ** 2)) * np.linspace(0.3, 1.0, n)
    onset = 4.40
    audio[int(onset * sr):int(onset * sr) + n] += hiss.astype(np.float32)
    raw = speech_spans(vad_probabilities(audio), Options())
    vad_start = min(a for a, b in raw if b > 4.65)
    assert vad_start - onset > 0.15  # the VAD leaves the hiss out
    spans = refine_edges(audio, raw)
    start = min(a for a, b in spans if b > 4.65)
    assert abs(start - onset) <= 0.03
    before = [s for s in spans if s[1] <= onset]
    assert abs(before[-1][1] - TRUTH[0]["end"]) <= 0.1  # the line before keeps its end


def test_short_fragments_merge_and_long_pauses_split():
    from project.transcribe import Line, Options, Word, merge_lines

    def line(a, b, text, lang="en"):
        return Line(a, b, text, lang, [Word(text, a, b)])

    lines = [line(0.0, 2.0, "One"), line(2.3, 2.6, "two"), line(4.0, 5.0, "Three"), line(5.2, 6.0, "Four"),
             line(6.2, 7.0, "五", "zh")]
    out, acts = merge_lines(lines, [0, 0, 0, 1, 1], Options())
    assert [ln.text for ln in out] == ["One two", "Three", "Four", "五"]  # 1.4 s pause splits; speakers split;
    assert acts == [0, 0, 1, 1]  # and a language change splits
    out, _ = merge_lines([line(0.0, 2.0, "A"), line(2.9, 3.1, "b")], [0, 1], Options())
    assert [ln.text for ln in out] == ["A", "b"]  # a fragment far from everything stays a line


def test_a_wordless_syllable_next_to_its_word_stays_in_the_line():
    from project.transcribe import Options, Word, absorb_wordless, build_lines

    # "...fuel, Cap|tain." then a 0.75 s pause: the VAD split "Captain" at its closure and Whisper put the word on
    # the first half; far from any word, a wordless span (a breath, a door) is still left out
    spans = [(0.0, 1.4), (1.55, 1.7), (1.82, 2.0), (2.75, 4.0), (5.5, 5.8)]
    words = [[Word(" fuel,", 0.9, 1.4)], [Word(" Captain.", 1.5, 1.75)], [], [Word(" Maybe", 2.75, 3.2)], []]
    langs = ["en"] * 5
    s2, w2, l2 = absorb_wordless(spans, words, langs, 0.25)
    assert s2 == [(0.0, 1.4), (1.55, 2.0), (2.75, 4.0), (5.5, 5.8)] and w2[3] == []
    lines = build_lines(s2, w2, l2, Options())
    assert [(ln.start, ln.end) for ln in lines] == [(0.0, 4.0)]  # the pause before "Maybe" is 0.75 s, not 1.05 s
    # a soft start before the first word joins it too
    s3, _w, _l = absorb_wordless([(0.0, 0.1), (0.2, 1.0)], [[], [Word(" Hi", 0.2, 0.5)]], ["en", "en"], 0.25)
    assert s3 == [(0.0, 1.0)]


def test_a_piece_too_short_to_embed_takes_the_actor_across_the_shorter_pause(monkeypatch):
    from project import actors

    # a long line of actor A ends 0.40 s before a 0.6 s piece; B's line starts 0.34 s after it.  By middles A is
    # nearer (its middle is 1.6 s away, B's 1.7 s); across the pauses B is, and the piece is the start of B's line
    spans = [(0.0, 1.8), (2.2, 2.8), (3.14, 5.24)]
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    monkeypatch.setattr(actors, "line_embeddings", lambda audio, sp, cancelled=None: [a, None, b])
    assert actors.assign_actors(np.zeros(16000 * 6, np.float32), spans) == [0, 1, 1]


def test_schema_1_files_still_open_and_bad_sources_are_refused(tmp_path):
    old = {"schema_version": 1, "fps": 25, "sample_rate": 48000,
           "tracks": [{"id": "t1", "regions": [{"id": "r1", "start": 1.0, "end": 2.0, "text": "hi"}]}]}
    p = pj.loads(json.dumps(old))
    assert p.tracks[0].regions[0].source is None
    pj.save(p, tmp_path / "a.dubline")
    assert json.loads((tmp_path / "a.dubline").read_text())["schema_version"] == pj.SCHEMA_VERSION == 2
    r = old["tracks"][0]["regions"][0]
    for bad, msg in (({"start": 2.0, "end": 1.0}, "must be after"),
                     ({"start": 1.0, "end": 2.0, "words": [["x", 1.5, 1.2]]}, "out of order"),
                     ({"start": 1.0, "end": 2.0, "words": [["x", 1.5]]}, "expected [text"),
                     ({"start": 1.0, "end": 2.0, "words": [[1, 1.5, 1.6]]}, "expected [text")):
        r["source"] = bad
        with pytest.raises(pj.ProjectError, match=msg.replace("[", r"\[")):
            pj.loads(json.dumps(old))
    r["source"] = None
    r["emotion"] = {"from_source": "yes"}
    with pytest.raises(pj.ProjectError, match="from_source"):
        pj.loads(json.dumps(old))
    r["emotion"] = {"from_source": True, "intensity": 0.5}
    assert pj.loads(json.dumps(old)).tracks[0].regions[0].emotion == {"from_source": True, "intensity": 0.5}


def test_anchors_pin_first_last_word_and_pauses():
    from project.dub_from_source import anchors_from_source

    src = pj.SourceLine(10.0, 14.0, "Wait. I know the way home.", "en",
                        [pj.SourceWord("Wait.", 10.1, 10.5), pj.SourceWord("I", 11.2, 11.3),
                         pj.SourceWord("know", 11.3, 11.6), pj.SourceWord("the", 11.6, 11.8),
                         pj.SourceWord("way", 11.8, 12.2), pj.SourceWord("home.", 12.9, 13.9)])
    r = pj.Region(start=10.0, end=14.0, text="等等，我认得回家的路。", source=src)
    assert anchors_from_source(r) == [[0, pytest.approx(0.1)], [9, pytest.approx(2.9)]]
    pins = anchors_from_source(r, pauses=True)
    assert [int(i) for i, _ in pins] == [0, 3, 9]  # the word after "等等，" starts where "I" does
    assert pins[1][1] == pytest.approx(1.2)
    assert anchors_from_source(pj.Region(start=0, end=1, text="")) == []


def test_traditional_zhe_becomes_simplified_by_its_neighbours():
    """Whisper writes the aspect particle as Traditional 著; Simplified text reads 着 there and keeps 著 only in
    the zhù words.  Words are converted with their segment as context."""
    from project.transcribe import _simplified_words, to_simplified

    assert to_simplified("掛著一個小鈴鐺，看著他著急") == "挂着一个小铃铛，看着他着急"
    assert to_simplified("著名的作家寫了一本名著") == "著名的作家写了一本名著"
    assert _simplified_words(["他", "看", "著", "我"]) == ["他", "看", "着", "我"]
    assert _simplified_words(["著", "名"]) == ["著", "名"]  # a zhù word split over two of Whisper's words


def _words(texts):
    from project.transcribe import Word

    return [Word(t, 0.1 * i, 0.1 * i + 0.08, 0.9) for i, t in enumerate(texts)]


def test_a_decoding_loop_is_cut_back_to_its_first_pass():
    from project.transcribe import collapse_loop

    # Whisper base on a dubbed line: "2 个 毛" then 头 until the token limit, and a two-word unit cut mid-pass
    kept = collapse_loop(_words(["2", "个", "毛"] + ["头"] * 40))
    assert [w.text for w in kept] == ["2", "个", "毛", "头"] and kept[-1].probability == 0.0
    kept = collapse_loop(_words(["we", "go"] + ["go", "home"] * 9 + ["go"]))
    assert [w.text for w in kept] == ["we", "go", "go", "home"]
    # repeats that lead on to other words are speech, and so are short ones at the end
    for texts in (["对", "对", "对", "对", "对", "你", "说", "得", "对"], ["no", "no", "no"], ["他", "说", "好"]):
        assert [w.text for w in collapse_loop(_words(texts))] == texts


def test_only_windows_that_still_loop_are_cut():
    from types import SimpleNamespace

    from project.transcribe import Options, _recognise

    def seg(texts, ratio):
        words = [SimpleNamespace(word=t, start=0.1 * i, end=0.1 * i + 0.08, probability=0.9)
                 for i, t in enumerate(texts)]
        return SimpleNamespace(words=words, compression_ratio=ratio)

    class Model:
        def __init__(self, segments):
            self.segments = segments

        def transcribe(self, audio, **kw):
            assert kw["compression_ratio_threshold"] == 2.4 and kw["temperature"][0] == 0.0
            return iter(self.segments), None

    laugh = ["哈"] * 6
    assert [w.text for w in _recognise(Model([seg(laugh, 1.8)]), None, "zh", Options())] == laugh
    looped = _recognise(Model([seg(["好", "的"] + ["尾"] * 30, 17.7)]), None, "zh", Options())
    assert [w.text for w in looped] == ["好", "的", "尾"]
    split = _recognise(Model([seg(["好", "的"] + ["尾"] * 12, 17.7), seg(["尾"] * 20, 17.7)]), None, "zh", Options())
    assert [w.text for w in split] == ["好", "的", "尾"]


def test_a_loop_cut_mid_character_by_the_token_limit_is_still_a_loop():
    from project.transcribe import collapse_loop

    assert [w.text for w in collapse_loop(_words(["好", "的"] + ["尾"] * 30 + ["\ufffd"]))] == ["好", "的", "尾"]
