"""Exports reach every format headlessly and reopen with the expected content."""

import av
import numpy as np
import opentimelineio as otio
import pytest
import soundfile as sf

from cli.main import main
from project import model as pj


def _make_video(path, seconds=3.0, fps=25, with_audio=True):
    c = av.open(str(path), "w")
    v = c.add_stream("libx264", rate=fps)
    v.width, v.height, v.pix_fmt = 160, 96, "yuv420p"
    a = c.add_stream("aac", rate=48000) if with_audio else None
    if a is not None:
        a.layout = "mono"
    n = int(seconds * fps)
    for i in range(n):
        img = np.full((96, 160, 3), (i * 9) % 255, np.uint8)
        for pkt in v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
            c.mux(pkt)
    for pkt in v.encode():
        c.mux(pkt)
    if a is not None:
        t = np.arange(int(seconds * 48000)) / 48000
        tone = (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
        for k in range(0, len(tone), 1024):
            fr = av.AudioFrame.from_ndarray(tone[None, k:k + 1024], format="flt", layout="mono")
            fr.sample_rate = 48000
            for pkt in a.encode(fr):
                c.mux(pkt)
        for pkt in a.encode():
            c.mux(pkt)
    c.close()


@pytest.fixture(scope="module")
def episode(tmp_path_factory):
    d = tmp_path_factory.mktemp("ep")
    _make_video(d / "clip.mp4")
    p = pj.Project(media=pj.MediaRef(abs_path=str(d / "clip.mp4"), has_video=True, duration=3.0))
    p.tracks = [pj.Track(name="Mika", regions=[pj.Region(start=0.2, end=1.4, text="你好！")]),
                pj.Track(name="Ren", default_voice="jm_kumo",
                         regions=[pj.Region(start=1.6, end=2.8, text="Hi there.")])]
    p.markers = [pj.Marker(time=1.0, name="blink", kind="keyframe")]
    pj.save(p, d / "ep.dubline")
    return d


def test_mp4_has_copied_video_and_new_audio(episode, engine):
    out = episode / "dubbed.mp4"
    assert main(["render", str(episode / "ep.dubline"), "-o", str(out), "--keep-original-audio"]) == 0
    with av.open(str(out)) as c:
        assert len(c.streams.video) == 1 and len(c.streams.audio) == 2
        vs = c.streams.video[0]
        assert vs.codec_context.name == "h264"
        assert abs(float(vs.frames or 75) - 75) <= 1
        dur = float(c.duration) / 1e6
        assert 2.9 <= dur <= 3.3


def test_otio_reloads_with_clip_positions(episode, engine):
    out = episode / "ep.otio"
    assert main(["render", str(episode / "ep.dubline"), "-o", str(out)]) == 0
    tl = otio.adapters.read_from_file(str(out))
    tracks = {t.name: t for t in tl.tracks}
    assert {"Video", "Source audio", "Mika", "Ren"} <= set(tracks)
    ren = tracks["Ren"]
    clip = list(ren.find_clips())[0]
    rng = clip.range_in_parent()
    assert rng.start_time.to_seconds() == pytest.approx(1.6, abs=0.02)
    assert rng.duration.to_seconds() == pytest.approx(1.2, abs=0.02)
    assert clip.media_reference.target_url.endswith(".wav")
    assert [m.name for m in tl.tracks.markers] == ["blink"]


def test_srt_stems_clips_and_wav(episode, engine):
    proj = str(episode / "ep.dubline")
    assert main(["render", proj, "-o", str(episode / "dub.srt")]) == 0
    srt = (episode / "dub.srt").read_text(encoding="utf-8")
    assert "你好！" in srt and "Hi there." in srt and srt.startswith("1\n00:00:00,")
    assert main(["render", proj, "--format", "stems", "-o", str(episode / "stems")]) == 0
    names = sorted(p.name for p in (episode / "stems").iterdir())
    assert names == ["dub.wav", "track01_Mika.wav", "track02_Ren.wav"]
    assert main(["render", proj, "--format", "clips", "-o", str(episode / "clips")]) == 0
    clips = sorted(p.name for p in (episode / "clips").iterdir())
    assert clips == ["001_00-00-00-05.wav", "002_00-00-01-15.wav"]
    data, sr = sf.read(episode / "clips" / clips[0])
    assert len(data) == round(1.2 * 24000)
    assert main(["render", proj, "-o", str(episode / "mix.flac")]) == 0
    mix, sr = sf.read(episode / "mix.flac")
    assert sr == 48000 and len(mix) >= 3 * 48000


def test_mp4_export_of_audio_only_project_is_refused(tmp_path, capsys, engine):
    p = pj.Project()
    p.tracks[0].regions = [pj.Region(start=0, end=1, text="你好")]
    pj.save(p, tmp_path / "a.dubline")
    assert main(["render", str(tmp_path / "a.dubline"), "-o", str(tmp_path / "a.mp4")]) == 2
    assert "no video" in capsys.readouterr().err


def test_render_to_a_loudness_target_is_measured_and_on_spec(episode, engine, capsys):
    import json

    from tests.engine.ffmpeg_meter import ffmpeg_ebur128

    out = episode / "ebu.wav"
    assert main(["render", str(episode / "ep.dubline"), "-o", str(out), "--loudness", "ebu", "--json"]) == 0
    cap = capsys.readouterr()
    report = json.loads(cap.out)
    loud = report["loudness"]
    assert loud["target_lufs"] == -23.0 and loud["ceiling_dbtp"] == -1.0
    assert loud["integrated_lufs"] == pytest.approx(-23.0, abs=0.1) and loud["true_peak_dbtp"] <= -1.0
    assert "LUFS integrated" in cap.err and "true peak" in cap.err  # the summary line
    info = sf.info(out)
    assert (info.channels, info.samplerate, info.subtype) == (2, 48000, "PCM_24")
    ff = ffmpeg_ebur128(out)  # an independent meter agrees
    assert ff["I"] == pytest.approx(-23.0, abs=0.3) and ff["TP"] <= -1.0


def test_render_options_rate_depth_mono_and_a_number(episode, engine, capsys):
    import json

    out = episode / "web.flac"
    assert main(["render", str(episode / "ep.dubline"), "-o", str(out), "--loudness", "-18", "--true-peak", "-2",
                 "--sample-rate", "44100", "--bit-depth", "16", "--mono", "--json"]) == 0
    loud = json.loads(capsys.readouterr().out)["loudness"]
    assert loud["integrated_lufs"] == pytest.approx(-18.0, abs=0.1) and loud["true_peak_dbtp"] <= -2.0
    info = sf.info(out)
    assert (info.channels, info.samplerate, info.subtype) == (1, 44100, "PCM_16")
    assert main(["render", str(episode / "ep.dubline"), "-o", str(out), "--loudness", "loud"]) == 2
    assert "use ebu" in capsys.readouterr().err


def test_render_without_a_target_still_measures(episode, engine, capsys):
    assert main(["render", str(episode / "ep.dubline"), "-o", str(episode / "plain.wav")]) == 0
    err = capsys.readouterr().err
    assert "loudness:" in err and "target" not in err


def test_mkv_streams_carry_title_language_and_provenance(episode, engine):
    out = episode / "dubbed.mkv"
    assert main(["render", str(episode / "ep.dubline"), "-o", str(out), "--keep-original-audio"]) == 0
    with av.open(str(out)) as c:
        dub, orig = c.streams.audio
        tags = {k.lower(): v for k, v in dub.metadata.items()}  # Matroska keeps tag names in capitals
        assert dub.language in ("zho", "eng") and "synthetic speech" in tags.get("title", "").lower()
        assert "jm_kumo" in tags.get("comment", "") and "jf_alpha" in tags.get("comment", "")
        assert orig.metadata.get("title") == "Original"
        assert dub.codec_context.channels == 2
        top = {k.lower(): v for k, v in c.metadata.items()}
        assert "synthetic speech" in top["comment"] and top["synthetic_speech"] == "jf_alpha, jm_kumo"


def _cuts(tl, kind="Audio"):
    """(track name, first frame, frames, clip file name) of every clip in the timeline's tracks of ``kind``,
    at its absolute position (an EDL reader starts its track at the first event's record time)."""
    out = []
    for t in tl.tracks:
        if t.kind != kind:
            continue
        offset = t.source_range.start_time.to_frames() if t.source_range is not None else 0
        for c in t.find_clips():
            rng = c.range_in_parent()
            url = getattr(c.media_reference, "target_url", "") or ""
            out.append((round(rng.start_time.to_frames() - offset), round(rng.duration.to_frames()),
                        url.rsplit("/", 1)[-1]))
    return sorted(out)


@pytest.mark.parametrize("fmt", ["fcpxml", "xml", "edl", "aaf"])
def test_nle_timelines_read_back_with_the_same_cuts(episode, engine, fmt):
    proj = str(episode / "ep.dubline")
    assert main(["render", proj, "-o", str(episode / "ref.otio")]) == 0
    ref = otio.adapters.read_from_file(str(episode / "ref.otio"))
    out = episode / f"ep.{fmt}"
    assert main(["render", proj, "-o", str(out)]) == 0
    back = otio.adapters.read_from_file(str(out), **({"rate": 25} if fmt == "edl" else {}))  # an EDL has no rate
    expected = [c for c in _cuts(ref) if c[2].endswith(".wav")]  # the dub lines (not the source audio)
    assert len(expected) == 2
    got = [c for c in _cuts(back) if c[2].endswith(".wav") or fmt == "edl"]
    if fmt == "edl":  # reel names are cut to 8 characters: compare the cuts
        assert [c[:2] for c in got] == [c[:2] for c in expected]
        text = out.read_text()
        assert "00:00:00:05" in text and "00:00:01:15" in text  # record-in of each line (0.2 s, 1.6 s at 25 fps)
    else:
        assert got == expected
        clips_dir = episode / "ep_clips"
        assert all((clips_dir / name).is_file() for *_, name in got)  # each line's clip is its media
    if fmt in ("fcpxml", "xml", "aaf"):
        assert _cuts(back, "Video") == _cuts(ref, "Video")  # the picture is there too


def test_vtt_and_ass_carry_the_speech_timings(episode, engine):
    import pysubs2

    proj = str(episode / "ep.dubline")
    subs = {}
    for fmt in ("srt", "vtt", "ass"):
        out = episode / f"dub.{fmt}"
        assert main(["render", proj, "-o", str(out)]) == 0
        subs[fmt] = pysubs2.load(str(out))
    srt = [(e.start, e.end, e.plaintext) for e in subs["srt"]]
    assert [(e.start, e.end, e.plaintext) for e in subs["vtt"]] == srt
    assert [(e.start, e.end, e.plaintext) for e in subs["ass"]] == srt
    assert [e.name for e in subs["ass"]] == ["Mika", "Ren"]  # the speaker is the track
    assert "synthetic speech" in subs["ass"].info.get("Comment", "")
    first = subs["srt"][0]
    # speech starts after the region's start and ends before its end (real timings, not the box)
    assert 200 <= first.start < 400 and first.end <= 1400
    assert (episode / "dub.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
