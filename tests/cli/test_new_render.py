"""`dubline new` from subtitles, then `dubline render`: a whole episode headlessly."""

import soundfile as sf

from cli.main import main
from project import model as pj

SRT = """1
00:00:00,500 --> 00:00:02,500
雨停了，我们出发吧！

2
00:00:02,000 --> 00:00:03,600
Wait for me!

3
00:00:04,000 --> 00:00:05,500
重新检查一下。
"""

ASS = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.50,0:00:02.00,Default,Mika,0,0,0,,{\\i1}你好！{\\i0}
Dialogue: 0,0:00:02.50,0:00:04.00,Default,Ren,0,0,0,,Hi there.
Dialogue: 0,0:00:04.50,0:00:06.00,Default,Mika,0,0,0,,走吧。
"""


def test_new_from_srt_keeps_overlaps_and_renders(tmp_path, capsys, engine):
    srt = tmp_path / "ep.srt"
    srt.write_text(SRT, encoding="utf-8")
    proj = tmp_path / "ep.dubline"
    assert main(["new", str(proj), "--subtitles", str(srt), "--voice", "jm_kumo"]) == 0
    p = pj.load(proj)
    regions = sorted((r for _, r in p.all_regions()), key=lambda r: r.start)
    assert [r.text for r in regions] == ["雨停了，我们出发吧！", "Wait for me!", "重新检查一下。"]
    assert len(p.tracks) == 2  # the overlapping line went to an extra track, not dropped
    assert "overlap" in capsys.readouterr().err
    out = tmp_path / "mix.wav"
    assert main(["render", str(proj), "-o", str(out)]) == 0
    audio, sr = sf.read(out)
    assert sr == p.sample_rate and len(audio) >= int(5.5 * sr)
    assert abs(audio[int(0.6 * sr): int(2.4 * sr)]).max() > 0.05  # speech where the first line is
    assert abs(audio[: int(0.45 * sr)]).max() < 1e-3  # silence before it
    assert (tmp_path / "ep.dubline-cache").is_dir()


def test_new_from_ass_track_per_actor(tmp_path, capsys, engine):
    ass = tmp_path / "ep.ass"
    ass.write_text(ASS, encoding="utf-8")
    proj = tmp_path / "ass.dubline"
    assert main(["new", str(proj), "--subtitles", str(ass), "--track-per-actor"]) == 0
    p = pj.load(proj)
    assert sorted(t.name for t in p.tracks) == ["Mika", "Ren"]
    mika = next(t for t in p.tracks if t.name == "Mika")
    assert [r.text for r in mika.regions] == ["你好！", "走吧。"]  # ASS tags stripped


def test_new_errors(tmp_path, capsys, engine):
    (tmp_path / "exists.dubline").write_text("{}")
    assert main(["new", str(tmp_path / "exists.dubline")]) == 2
    bad = tmp_path / "bad.srt"
    bad.write_bytes(b"\x00\x01 not subtitles")
    assert main(["new", str(tmp_path / "b.dubline"), "--subtitles", str(bad)]) == 2
    assert main(["new", str(tmp_path / "c.dubline"), "--media", str(bad)]) == 2
    assert main(["render", str(tmp_path / "exists.dubline"), "-o", str(tmp_path / "x.wav")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("dubline: error:") == 4


def test_a_fully_cached_render_does_not_load_the_model(tmp_path, capsys, engine, monkeypatch):
    import time

    import engine.api
    from project.export import export_project

    lines = [("你好。", 1.2), ("Hi there.", 1.0), ("再见！", 0.9), ("See you.", 1.1)]
    p = pj.Project()
    p.tracks = [pj.Track(name=f"T{k}") for k in range(2)]
    for i in range(200):
        text, dur = lines[i % 4]
        p.tracks[i % 2].regions.append(pj.Region(start=i * 1.5, end=i * 1.5 + dur, text=text))
    path = tmp_path / "long.dubline"
    pj.save(p, path)
    assert main(["render", str(path), "-o", str(tmp_path / "first.srt")]) == 0  # renders 4 lines, caches them

    def no_model(*a, **k):
        raise AssertionError("the model was loaded for a fully cached render")

    monkeypatch.setattr(engine.api, "get_engine", no_model)
    seen: list[tuple[float, str]] = []
    t0 = time.perf_counter()
    export_project(path, "wav", tmp_path / "mix.wav", progress=lambda m: seen.append((time.perf_counter() - t0, m)))
    writing = [t for t, m in seen if m.startswith("writing")]
    assert writing and writing[0] < 2.0, seen  # goal: starts writing within 2 s
    err = capsys.readouterr().err
    assert "render" in err and "100%" in err  # the first render's progress: percentage and rate
