"""Keyframe lists (CSV/JSON), detection of cuts in a generated video, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cutvideo import make_cut_video

from project.keyframes import KeyframeError, detect_keyframes, load_keyframes, parse_keyframes

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["sample_keyframes.csv", "sample_keyframes.json"])
def test_the_bundled_samples_parse_to_the_same_keyframes(name):
    kfs = load_keyframes(ROOT / "resources" / "keyframes" / name, 25.0)
    assert [round(k.seconds, 6) for k in kfs] == [0.48, 1.2, 2.4, 3.0]
    assert kfs[1].name == "mouth opens"


def test_formats_and_frame_rate():
    assert [k.seconds for k in parse_keyframes("24\n48\n", 24.0)] == [1.0, 2.0]
    assert [k.seconds for k in parse_keyframes("[12, \"00:00:01:00\", \"1.5s\"]", 24.0)] == [0.5, 1.0, 1.5]
    assert parse_keyframes('{"fps": 10, "keyframes": [{"frame": 5}]}', 25.0)[0].seconds == 0.5
    assert [k.seconds for k in parse_keyframes("30\n10\n", 10.0)] == [1.0, 3.0]  # sorted


@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("frame\nbanana\n", "line 2"),
    ("[1, -2]", "negative"),
    ("00:00:01:30\n", "out of range"),
    ("{bad json", "not valid JSON"),
    ('[{"name": "x"}]', "needs frame, time or timecode"),
    ("# only a comment\n", "no keyframes"),
])
def test_bad_files_say_what_and_where(text, words):
    with pytest.raises(KeyframeError, match=words):
        parse_keyframes(text, 25.0, "list.csv")


def test_detection_finds_the_cuts_and_ignores_motion(tmp_path):
    cuts = make_cut_video(tmp_path / "cuts.mp4")
    found = detect_keyframes(tmp_path / "cuts.mp4")
    frames = [c.frame for c in found]
    assert all(any(abs(f - c) <= 1 for f in frames) for c in cuts)  # recall 1
    assert len(frames) == len(cuts)  # precision 1: the moving ball and the pan are not cuts


def test_detection_can_be_cancelled_and_rejects_non_videos(tmp_path):
    make_cut_video(tmp_path / "cuts.mp4")
    with pytest.raises(KeyframeError, match="cancelled"):
        detect_keyframes(tmp_path / "cuts.mp4", cancelled=lambda: True)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"no video here" * 50)
    from project.media import MediaError

    with pytest.raises(MediaError, match="bad.mp4"):
        detect_keyframes(bad)


def test_cli_detects_and_new_imports_keyframes(tmp_path):
    video = tmp_path / "cuts.mp4"
    make_cut_video(video)
    run = [sys.executable, "-m", "cli.main"]
    out = subprocess.run([*run, "keyframes", str(video), "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert [c["frame"] for c in json.loads(out.stdout)] == [37, 90, 151, 203]
    csv_path = tmp_path / "k.csv"
    assert subprocess.run([*run, "keyframes", str(video), "-o", str(csv_path)], timeout=120).returncode == 0
    proj = tmp_path / "p.dubline"
    res = subprocess.run([*run, "new", str(proj), "--media", str(video), "--keyframes", str(csv_path)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    from project import model as pj

    p = pj.load(proj)
    assert [round(m.time * p.fps) for m in p.markers] == [37, 90, 151, 203]
    assert all(m.kind == "keyframe" for m in p.markers)
    bad = subprocess.run([*run, "new", str(tmp_path / "q.dubline"), "--keyframes", str(tmp_path / "none.csv")],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "none.csv" in bad.stderr and "Traceback" not in bad.stderr
