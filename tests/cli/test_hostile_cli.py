"""What a hostile or careless command line gets: one line, exit 2, and no file touched that should not be.

Regressions for issue #15: path traversal through ids and voice names, exports over the project,
its media or an input, unwritable outputs, consent for recordings used as voices, provenance tags
(MP4/MKV, OTIO, WAV comments without absolute paths), truncated voice files, and the small ones
(XING9, emotion weights > 1, unspoken scripts, a mistyped project name without a display).
"""

import hashlib
import json
import os
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio
import pytest
import soundfile as sf

from cli.main import main
from project import model as pj


def _video(path, seconds=1.5, fps=25):
    c = av.open(str(path), "w")
    v = c.add_stream("libx264", rate=fps)
    v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
    for i in range(int(seconds * fps)):
        img = np.full((48, 64, 3), (i * 20) % 255, np.uint8)
        for pkt in v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
            c.mux(pkt)
    for pkt in v.encode():
        c.mux(pkt)
    c.close()


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def ep(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    _video(d / "video.mp4")
    p = pj.Project(media=pj.MediaRef(abs_path=str(d / "video.mp4"), has_video=True, duration=1.5))
    p.tracks[0].regions = [pj.Region(id="r1", start=0.2, end=0.9, text="你好")]
    pj.save(p, d / "p.dubline", backup=False)
    return d


def _one_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("dubline: error:")]
    assert len(lines) == 1, err
    return lines[0]


# ------------------------------------------------------------ traversal
def test_a_region_id_that_is_a_path_is_refused_before_anything_is_written(tmp_path, capsys):
    victim = tmp_path / "home" / "recording.wav"
    victim.parent.mkdir()
    victim.write_bytes(b"precious")
    d = pj.to_dict(pj.Project())
    d["tracks"][0]["regions"] = [{"id": str(victim.with_suffix("")), "start": 0, "end": 1, "text": "你好"}]
    proj = tmp_path / "work" / "p.dubline"
    proj.parent.mkdir()
    proj.write_text(json.dumps(d))
    assert main(["render", str(proj), "-o", str(proj.parent / "p.otio")]) == 2
    assert "not a valid id" in _one_error(capsys)
    assert victim.read_bytes() == b"precious"
    assert sorted(p.name for p in proj.parent.iterdir()) == ["p.dubline"]


@pytest.mark.parametrize("cmd", ["remove", "show"])
def test_voice_remove_and_show_never_leave_the_library(tmp_path, monkeypatch, capsys, cmd):
    monkeypatch.setenv("DUBLINE_DATA", str(tmp_path / "data"))
    (tmp_path / "data" / "voices").mkdir(parents=True)
    victim = tmp_path / "victim.dvoice"
    victim.write_bytes(b"not yours")
    for name in ("../../victim", "../victim", str(victim.with_suffix("")), ".hidden"):
        assert main(["voice", cmd, name]) == 2
        assert "not a voice name" in _one_error(capsys)
    assert victim.read_bytes() == b"not yours"


def test_a_truncated_voice_file_is_one_line_everywhere(tmp_path, monkeypatch, capsys, engine):
    from engine import voices as vl

    monkeypatch.setenv("DUBLINE_DATA", str(tmp_path / "data"))
    t = vl.VoiceTemplate("Li", {"jf_alpha": 1.0}, meta={"consent": "test"})
    path = vl.save(t)
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    assert main(["voice", "list"]) == 0
    assert "Li\tdamaged" in capsys.readouterr().out
    assert main(["voice", "show", "Li"]) == 2
    assert "damaged" in _one_error(capsys)
    assert main(["say", "你好", "--voice", "Li", "-o", str(tmp_path / "x.wav")]) == 2
    assert "damaged" in _one_error(capsys)
    proj = tmp_path / "p.dubline"
    p = pj.Project()
    p.tracks[0].regions = [pj.Region(id="r1", start=0, end=0.6, text="你好", voice="Li")]
    pj.save(p, proj)
    assert main(["render", str(proj), "-o", str(tmp_path / "m.wav")]) == 2
    assert "damaged" in _one_error(capsys)


# ------------------------------------------------------------ exports over inputs
@pytest.mark.parametrize("args", [
    ["--format", "srt", "-o", "{p}"],
    ["--format", "otio", "-o", "{p}"],
    ["-o", "{d}/video.mp4"],
    ["--format", "wav", "-o", "{d}/video.mp4"],
    ["--format", "srt", "-o", "{d}/p.dubline.bak"],
])
def test_render_never_writes_over_the_project_or_its_media(ep, capsys, engine, args):
    argv = ["render", str(ep / "p.dubline")] + [a.format(p=ep / "p.dubline", d=ep) for a in args]
    (ep / "p.dubline.bak").write_text(pj.dumps(pj.load(ep / "p.dubline")))
    before = _digest(ep)
    assert main(argv) == 2
    line = _one_error(capsys)
    assert "refusing to overwrite" in line and "--force" in line
    assert _digest(ep) == before


def test_keyframes_output_never_replaces_the_video_or_a_project(ep, capsys):
    before = _digest(ep)
    assert main(["keyframes", str(ep / "video.mp4"), "-o", str(ep / "p.dubline")]) == 2
    assert "Dubline project" in _one_error(capsys)
    assert main(["keyframes", str(ep / "video.mp4"), "-o", str(ep / "video.mp4")]) == 2
    assert "it is the video" in _one_error(capsys)
    assert _digest(ep) == before
    assert main(["keyframes", str(ep / "video.mp4"), "-o", str(ep / "missing" / "k.csv")]) == 2
    assert "does not exist" in _one_error(capsys)


def test_force_allows_replacing_on_purpose(tmp_path, capsys, engine):
    p = pj.Project()
    p.tracks[0].regions = [pj.Region(id="r1", start=0, end=0.6, text="你好")]
    proj = tmp_path / "p.dubline"
    pj.save(p, proj)
    assert main(["render", str(proj), "--format", "srt", "-o", str(proj), "--force"]) == 0
    assert proj.read_text(encoding="utf-8").startswith("1\n")


def test_stems_into_a_file_and_unwritable_outputs_are_one_line(ep, tmp_path, capsys, engine):
    f = tmp_path / "file.wav"
    f.write_bytes(b"x")
    assert main(["render", str(ep / "p.dubline"), "--format", "stems", "-o", str(f)]) == 2
    assert "not a folder" in _one_error(capsys)
    # /sys refuses new files even to root
    for fmt in ("mp4", "mkv", "otio", "srt", "wav"):
        assert main(["render", str(ep / "p.dubline"), "-o", f"/sys/dubline-test.{fmt}"]) == 2, fmt
        _one_error(capsys)
    for fmt in ("stems", "clips"):
        assert main(["render", str(ep / "p.dubline"), "--format", fmt, "-o", "/sys/dubline-test"]) == 2
        _one_error(capsys)


def test_new_in_a_folder_and_a_missing_project_without_display(tmp_path, monkeypatch, capsys):
    srt = tmp_path / "s.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\n你好\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["new", ".", "--subtitles", str(srt)]) == 2
    assert "is a folder" in _one_error(capsys)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert main(["typo.dubline"]) == 2
    assert "no such project file" in _one_error(capsys)
    assert not (tmp_path / "out").exists()  # the demo was not rendered instead


# ------------------------------------------------------------ consent and labels
@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """A few seconds of engine speech standing in for someone's recording."""
    from engine.api import get_engine
    from engine.types import SynthesisRequest

    d = tmp_path_factory.mktemp("rec")
    res = get_engine("embedded", "cpu").generate(SynthesisRequest("今天的天气很好，我们出去走走吧，顺便去超市买点水果。", voice="jf_alpha"))
    path = d / "speaker.wav"
    sf.write(path, res.audio, res.sample_rate)
    return path


def test_a_recording_as_voice_needs_consent(tmp_path, capsys, recording):
    assert main(["say", "你好", "--voice", str(recording), "-o", str(tmp_path / "x.wav")]) == 2
    line = _one_error(capsys)
    assert "permission" in line and "--consent" in line
    assert not (tmp_path / "x.wav").exists()
    p = pj.Project()
    p.tracks[0].regions = [pj.Region(id="r1", start=0, end=0.8, text="你好", voice=str(recording))]
    proj = tmp_path / "p.dubline"
    pj.save(p, proj)
    assert main(["render", str(proj), "-o", str(tmp_path / "m.wav")]) == 2
    assert "permission" in _one_error(capsys)
    assert not (tmp_path / "m.wav").exists()


def test_the_engine_refuses_an_unconsented_recording_too(recording):
    from engine.api import get_engine
    from engine.errors import RequestError
    from engine.types import SynthesisRequest

    other = recording.with_name("other.wav")  # not enrolled before: the engine would clone it now
    audio, sr = sf.read(recording)
    sf.write(other, audio[::-1].copy(), sr)
    with pytest.raises(RequestError, match="permission"):
        get_engine("embedded", "cpu").generate(SynthesisRequest("你好", voice=str(other)))


def test_wav_comments_name_recordings_by_file_name_only(tmp_path, capsys, recording, monkeypatch):
    monkeypatch.setenv("DUBLINE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("DUBLINE_ENROLL_ITERATIONS", "0")
    p = pj.Project()
    p.tracks[0].regions = [pj.Region(id="r1", start=0, end=0.8, text="你好", voice=str(recording))]
    proj = tmp_path / "p.dubline"
    pj.save(p, proj)
    out = tmp_path / "m.wav"
    assert main(["render", str(proj), "-o", str(out), "--consent", "the speaker, for this test"]) == 0
    with sf.SoundFile(out) as f:
        comment = f.comment
    assert "synthetic speech" in comment and "speaker.wav" in comment
    assert str(recording.parent) not in comment
    for fmt in ("otio", "fcpxml", "xml", "ass"):  # timelines and subtitles name the voice the same way
        other = tmp_path / f"m.{fmt}"
        assert main(["render", str(proj), "-o", str(other), "--consent", "the speaker, for this test"]) == 0
        text = other.read_text(encoding="utf-8")
        assert str(recording.parent) not in text
        if fmt in ("otio", "ass"):  # the NLE XML adapters carry no clip metadata
            assert "speaker.wav" in text
    from engine import voices as vl

    t = vl.load(vl.auto_template_name(recording))
    assert t.meta["consent"] == "the speaker, for this test"  # the user's note, not an automatic one


def test_video_and_otio_exports_name_the_voices(ep, capsys, engine):
    out = ep / "dub.mkv"
    assert main(["render", str(ep / "p.dubline"), "-o", str(out)]) == 0
    with av.open(str(out)) as c:
        tags = {k.lower(): v for k, v in c.metadata.items()}
    assert "synthetic speech" in tags.get("comment", "") and "jf_alpha" in tags.get("comment", "")
    out = ep / "dub.mp4"
    assert main(["render", str(ep / "p.dubline"), "-o", str(out)]) == 0
    with av.open(str(out)) as c:
        tags = {k.lower(): v for k, v in c.metadata.items()}
    assert "jf_alpha" in " ".join(tags.values()) and "synthetic speech" in " ".join(tags.values())
    out = ep / "dub.otio"
    assert main(["render", str(ep / "p.dubline"), "-o", str(out)]) == 0
    tl = otio.adapters.read_from_file(str(out))
    clip = next(c for t in tl.tracks if t.name == "Dub 1" for c in t.find_clips())
    assert clip.metadata["dubline"]["voice"] == "jf_alpha" and clip.metadata["dubline"]["synthetic_speech"]


def test_exported_files_get_the_usual_mode(ep, capsys, engine):
    old = os.umask(0o022)
    try:
        out = ep / "mode.wav"
        assert main(["render", str(ep / "p.dubline"), "-o", str(out)]) == 0
        assert out.stat().st_mode & 0o777 == 0o644
        os.chmod(out, 0o660)
        assert main(["render", str(ep / "p.dubline"), "-o", str(out)]) == 0
        assert out.stat().st_mode & 0o777 == 0o660
    finally:
        os.umask(old)


# ------------------------------------------------------------ small ones
def test_xing9_and_heavy_emotion_weights_are_refused(tmp_path, capsys, engine):
    assert main(["say", "XING9 你好", "-o", str(tmp_path / "x.wav")]) == 2
    assert "tone is 1-5" in _one_error(capsys)
    assert main(["say", "你好", "-o", str(tmp_path / "x.wav"), "--emotion-vector", "angry=2"]) == 2
    assert "0-1" in _one_error(capsys)


def test_unspoken_scripts_are_named_in_a_warning(tmp_path, capsys, engine):
    assert main(["say", "你好 Привет مرحبا こんにちは 안녕", "-o", str(tmp_path / "x.wav")]) == 0
    err = capsys.readouterr().err
    assert "not spoken" in err
    for ch in "Пمこ안":
        assert ch in err
    assert main(["say", "你好 hello", "-o", str(tmp_path / "y.wav")]) == 0
    assert "not spoken" not in capsys.readouterr().err


def test_render_of_a_device_is_refused_without_reading(capsys, tmp_path):
    assert main(["render", "/dev/zero", "-o", str(tmp_path / "x.wav")]) == 2
    assert "device" in _one_error(capsys)
    assert main(["say", "你好", "-o", str(tmp_path / "x.wav"), "--emotion-audio", "/dev/zero"]) == 2
    assert "not a regular file" in _one_error(capsys)
