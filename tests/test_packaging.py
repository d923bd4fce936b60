"""What a wheel needs to work on its own: the shipped data, the vendored weights, per-OS folders."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import resources, speaker, user_dirs

ROOT = Path(__file__).resolve().parents[1]


def test_resources_come_from_the_checkout_here():
    assert Path(str(resources.root())) == ROOT / "resources"
    assert "anchors" in resources.read_text("emotion", "anchors.json")
    assert resources.path("demo", "demo.mp4").stat().st_size > 10_000
    assert not resources.exists("demo", "no-such-file")


def test_a_missing_resource_is_a_model_error():
    from engine.errors import ModelError

    with pytest.raises(ModelError, match="no/such.file"):
        resources.path("no", "such.file")


@pytest.mark.parametrize("folder", ["ge2e", "g2p_en"])
def test_vendored_weights_carry_their_licence_and_notice(folder):
    d = ROOT / "resources" / "models" / folder
    assert "Apache License" in (d / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License, Version 2.0" in (d / "NOTICE").read_text(encoding="utf-8")


def test_vendored_speaker_encoder_equals_resemblyzers_file():
    ours = speaker.load_weights()
    assert ours["lstm.weight_ih_l0"].shape == (1024, 40) and len(ours) == 16
    original = speaker.resemblyzer_weights_path()
    if original is None:
        pytest.skip("resemblyzer is not installed here (it is not needed)")
    theirs = speaker.load_weights(original)
    assert ours.keys() == theirs.keys()
    for k in ours:
        assert np.array_equal(ours[k], theirs[k]), k


def test_vendored_letter_to_sound_model_is_g2p_ens_file():
    from engine.text.en import NeuralG2P

    path = NeuralG2P.find()
    assert path is not None and Path(path).parent == ROOT / "resources" / "models" / "g2p_en"
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    assert digest == "b8af35e4596d8dd5836dfd3fe9b2ba4f97b9c311efe8879544cbcfcbd566d8c6"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux paths")
def test_linux_folders_are_as_before(monkeypatch, tmp_path):
    for var in ("DUBLINE_CACHE", "DUBLINE_DATA", "DUBLINE_CONFIG", "XDG_CACHE_HOME", "XDG_DATA_HOME",
                "XDG_CONFIG_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert user_dirs.cache_dir() == tmp_path / ".cache" / "dubline"
    assert user_dirs.data_dir() == tmp_path / ".local" / "share" / "dubline"
    assert user_dirs.config_dir() == tmp_path / ".config" / "dubline"
    assert user_dirs.editor_data_fallback() == tmp_path / ".local" / "share" / "Dubline"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xc"))
    assert user_dirs.cache_dir() == tmp_path / "xc" / "dubline"
    monkeypatch.setenv("DUBLINE_DATA", str(tmp_path / "mine"))
    from engine.voices import library_dir

    assert library_dir() == tmp_path / "mine" / "voices"


def test_gui_script_without_a_console_logs_to_the_cache(monkeypatch, tmp_path, capsys):
    """dubline-editor under Windows' pythonw has no stdout/stderr: its messages go to a log file."""
    from cli import gui_main

    monkeypatch.setenv("DUBLINE_CACHE", str(tmp_path))
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    assert gui_main.main(["--help"]) == 0
    log = tmp_path / "dubline-editor.log"
    sys.stdout.flush()
    assert "usage" in log.read_text(encoding="utf-8")
