"""Headless project rendering for ``dubline render`` (no Qt).

Renders every region that has text (reusing the project's render cache), then
writes the mix: the source audio ducked under the dub lines, per-track gains,
mute/solo honoured.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.errors import EngineError
from project import model as pj
from project.errors import DublineError
from project.render_core import Clip, RenderCache, render_region

Progress = Callable[[str], None]


class RenderFailed(DublineError):
    """Some regions could not be rendered; the message lists them."""


def load_source_audio(project: pj.Project, project_path: Path, progress: Progress | None = None,
                      channels: int = 1, sample_rate: int | None = None):
    """(audio, sample_rate) of the project's media (``(n, 2)`` for ``channels=2``), or (None, None) with a note."""
    sample_rate = int(sample_rate or project.sample_rate)
    if project.media is None:
        return None, None
    media = pj.resolve_media(project, project_path)
    if media is None:
        if progress:
            progress(f"media {project.media.path or project.media.abs_path} is missing: mixing the dub only")
        return None, None
    try:
        from project.media import MediaError, load_audio
    except ImportError:
        return None, None
    try:
        # only what the mix can hold is decoded: a longer file than the project says is not read to its end
        audio = load_audio(str(media), sample_rate=sample_rate, max_seconds=project.end_time() + 1.0,
                           channels=channels)
    except MediaError as e:
        if progress:
            progress(f"{e}: mixing the dub only")
        return None, None
    if audio is None:
        return None, None
    return np.asarray(audio, np.float32), sample_rate


def check_recording_consent(project: pj.Project, consent: str | None) -> None:
    """Regions whose voice is a recording are cloned only with ``consent`` (granted here for those
    recordings); without it, RenderFailed names them before anything is rendered."""
    from engine import voices as vl

    recordings = sorted({r.voice or t.default_voice for t, r in project.all_regions()
                         if r.text.strip() and vl.looks_like_recording(r.voice or t.default_voice)})
    if not recordings:
        return
    if not (consent or "").strip():
        names = ", ".join(Path(v).name for v in recordings[:3]) + (" ..." if len(recordings) > 3 else "")
        raise RenderFailed(f"the project clones the voice in {names}: cloning a recording needs its owner's "
                           "permission (add --consent \"who agreed, and for what\")")
    for v in recordings:
        vl.grant_consent(v, consent)


def render_all(project: pj.Project, project_path: Path, progress: Progress | None = None,
               engine=None, consent: str | None = None,
               step: Callable[[int, int, str], None] | None = None) -> dict[str, Clip]:
    """Render (or take from the cache) every region with text; raise RenderFailed listing failures.

    ``step(done, total, note)`` follows the regions (for a progress bar); ``progress`` gets one-line
    messages.  When the cache holds every line for the engine last used here (render_core.ENGINE_MEMO),
    the model is not loaded at all.
    """
    from engine.api import get_engine
    from project.render_core import cached_clip, remember_model_version, remembered_model_version

    check_recording_consent(project, consent)
    pj.register_project_voices(project, project_path)
    cache = RenderCache(pj.cache_dir_for(project_path))
    backend = project.backend or "embedded"
    clips: dict[str, Clip] = {}
    failures = []
    todo = [(t, r) for t, r in project.all_regions() if r.text.strip()]
    version = None if engine is not None else remembered_model_version(cache.folder, backend)
    if version is not None:
        for t, r in todo:
            try:
                clip = cached_clip(project, t, r, cache, version)
            except EngineError:
                clip = None
            if clip is None:
                break  # one line to render: the engine is needed after all
            clips[r.id] = clip
        if len(clips) == len(todo):
            for i, (t, r) in enumerate(todo, 1):
                if step:
                    step(i, len(todo), f"{t.name}: {r.text[:40]} (cached)")
            return clips
        clips = {}
    try:
        eng = engine or get_engine(backend, progress=progress)
    except EngineError as e:
        raise RenderFailed(str(e)) from None
    if engine is None:
        remember_model_version(cache.folder, backend, eng.model_version())
    for i, (t, r) in enumerate(todo, 1):
        if step:
            step(i - 1, len(todo), f"{t.name}: {r.text[:40]}")
        elif progress:
            progress(f"[{i}/{len(todo)}] {t.name}: {r.text[:40]}")
        try:
            clips[r.id] = render_region(eng, project, t, r, cache)
        except EngineError as e:
            failures.append(f"{_tc(r.start)} {r.text[:24]!r}: {e}")
    if step:
        step(len(todo), len(todo), "")
    if failures:
        raise RenderFailed(f"{len(failures)} region(s) failed: " + "; ".join(failures))
    return clips


def _tc(seconds: float) -> str:
    m, s = divmod(seconds, 60)
    return f"{int(m):02d}:{s:06.3f}"
