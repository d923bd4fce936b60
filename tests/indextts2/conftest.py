"""The IndexTTS2 environment and a tiny random-weight model set, built once and cached.

Tests that need them skip when the IndexTTS2 environment is absent (a
developer who never ran ``scripts/setup-env.sh --indextts2``); CI sets
``DUBLINE_REQUIRE_INDEXTTS2=1`` so a missing environment fails instead.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
BUILDER = HERE.parent / "indextts2_fixture.py"


def _fixture_version() -> int:
    spec = importlib.util.spec_from_file_location("indextts2_fixture", BUILDER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return int(mod.VERSION)


@pytest.fixture(scope="session")
def indextts2_python() -> str:
    from engine.errors import ModelError
    from engine.indextts2.setup import find_python

    try:
        py = find_python(os.environ.get("DUBLINE_INDEXTTS2_PYTHON", ""))
        ok = subprocess.run([py, "-c", "import indextts.infer_v2"], capture_output=True, timeout=300).returncode == 0
    except (ModelError, OSError, subprocess.TimeoutExpired):
        ok = False
    if not ok:
        if os.environ.get("DUBLINE_REQUIRE_INDEXTTS2") == "1":
            pytest.fail("the IndexTTS2 environment is required here: run scripts/setup-env.sh --indextts2")
        pytest.skip("no IndexTTS2 environment (scripts/setup-env.sh --indextts2)")
    return py


@pytest.fixture(scope="session")
def tiny_model(indextts2_python) -> dict:
    """``{"checkpoints": DIR, "hf_cache": DIR}`` of the tiny model (built in ~10 s, then reused)."""
    base = Path(os.environ.get("DUBLINE_TEST_CACHE") or Path.home() / ".cache" / "dubline-tests")
    out = base / f"indextts2-fixture-v{_fixture_version()}"
    stamp = out / "fixture.json"
    if not stamp.is_file():
        tmp = out.with_name(out.name + ".building")
        subprocess.run(["rm", "-rf", str(tmp)], check=True)
        tmp.mkdir(parents=True)
        r = subprocess.run([indextts2_python, str(BUILDER), str(tmp)], capture_output=True, text=True, timeout=600,
                           env={**os.environ, "HF_HUB_OFFLINE": "1"})
        assert r.returncode == 0, r.stderr[-3000:]
        subprocess.run(["rm", "-rf", str(out)], check=True)
        tmp.rename(out)
        info = json.loads((out / "fixture.json").read_text())
        info.update(checkpoints=str(out / "checkpoints"), hf_cache=str(out / "hf_cache"))
        (out / "fixture.json").write_text(json.dumps(info))
    info = json.loads(stamp.read_text())
    return {"checkpoints": str(out / "checkpoints"), "hf_cache": str(out / "hf_cache")}


@pytest.fixture(scope="session")
def settings(tiny_model, indextts2_python):
    from engine.indextts2.setup import IndexTTS2Settings

    return IndexTTS2Settings(checkpoints=tiny_model["checkpoints"], hf_cache=tiny_model["hf_cache"],
                             fp16=False, python=indextts2_python)


@pytest.fixture(scope="session")
def itts(settings):
    """One loaded IndexTTS2 backend for the session (the worker starts in ~7 s)."""
    from engine.api import get_engine, unload

    eng = get_engine("indextts2", "cpu", settings=settings)
    yield eng
    unload("indextts2")


@pytest.fixture(scope="session")
def speaker_wav(tmp_path_factory) -> str:
    """A 3 s voiced, syllable-like reference (an IndexTTS2 speaker prompt is any audio file)."""
    import numpy as np
    import soundfile as sf

    sr = 22050
    t = np.arange(3 * sr) / sr
    f0 = 160 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    x = sum(np.sin(k * phase) / k for k in range(1, 8)) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) * 0.2
    p = tmp_path_factory.mktemp("spk") / "speaker.wav"
    sf.write(str(p), x.astype(np.float32), sr)
    return str(p)
