"""`dubline say`: files, JSON, phonemes, and one-line errors with exit code 2."""

import json
import os
import subprocess
import sys

import soundfile as sf

from cli.main import main


def test_say_writes_exact_wav_and_json(tmp_path, capsys, engine):
    out = tmp_path / "line.wav"
    rc = main(["say", "你好，世界。", "-o", str(out), "--duration", "1.5", "--json"])
    assert rc == 0
    meta = json.loads(capsys.readouterr().out)
    data, sr = sf.read(out)
    assert sr == 24000 and len(data) == 36000 == meta["samples"]
    assert meta["natural_seconds"] > 0 and meta["timings"]
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]  # no temp file left behind


def test_say_phonemes(capsys, engine):
    assert main(["say", "出发[fā chū]吧", "--phonemes"]) == 0
    out = capsys.readouterr().out.strip()
    assert "→" in out


def test_say_anchor_json(tmp_path, capsys, engine):
    out = tmp_path / "a.wav"
    rc = main(["say", "我们明天早上八点出发。", "-o", str(out), "--duration", "3.2", "--anchor", "4=1.40", "--json"])
    assert rc == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["anchors"] == [{"char": 4, "start_seconds": 1.4}]


def _err(capsys):
    err = capsys.readouterr().err.strip()
    assert err.startswith("dubline: error:") and "\n" not in err and "Traceback" not in err
    return err


def test_bad_inputs_exit_2_with_one_line(tmp_path, capsys, engine):
    cases = [
        ["say", "", "-o", str(tmp_path / "x.wav")],
        ["say", "！！！", "-o", str(tmp_path / "x.wav")],
        ["say", "出发[fā", "-o", str(tmp_path / "x.wav")],
        ["say", "你好", "-o", str(tmp_path / "x.wav"), "--duration", "0"],
        ["say", "你好", "-o", str(tmp_path / "x.wav"), "--duration", "700"],
        ["say", "你好", "-o", str(tmp_path / "missing" / "x.wav")],
        ["say", "你好", "-o", str(tmp_path / "x.mp3")],
        ["say", "你好", "-o", str(tmp_path / "x.wav"), "--voice", "nobody"],
        ["say", "你好", "-o", str(tmp_path / "x.wav"), "--anchor", "nonsense"],
        ["say", "你好", "-o", str(tmp_path / "x.wav"), "--duration", "abc"],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        _err(capsys)
    assert not (tmp_path / "x.wav").exists()


def test_subprocess_exit_code_and_message(tmp_path):
    r = subprocess.run([sys.executable, "-m", "cli.main", "say", "你好", "-o", str(tmp_path / "x.wav"),
                        "--duration", "-2"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "positive" in r.stderr
