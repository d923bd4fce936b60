"""Exports: mixed WAV/FLAC, stems, per-region clips, SRT, MP4/MKV, OTIO (no Qt).

Every export writes atomically (temp file in the target folder + rename),
reports progress through a callback and can be cancelled through a
``cancelled()`` callable (checked between regions/steps), so the editor runs
them in a worker and the CLI runs them directly.

An export never writes over the project, its media, its render cache or any
file the render reads (voice files and recordings, emotion clips) unless forced,
and every file name built from project data stays inside its output folder.
Everything written says it is synthetic speech and names the voices (by name:
a recording used as a voice is named by its file name, never its full path).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from editor import project as pj
from editor.errors import DublineError
from editor.paths import confined, guard_output
from editor.render_core import Clip, audible_tracks, mix
from engine.errors import EngineError

FORMATS = ("wav", "flac", "stems", "clips", "srt", "mp4", "mkv", "otio")
Progress = Callable[[str], None]


class ExportCancelled(Exception):
    pass


class ExportError(DublineError):
    """An export cannot be written; one line for the user."""


def _check(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise ExportCancelled("export cancelled")


def _atomic_text(path: Path, text: str) -> None:
    pj.atomic_write_text(path, text, backup=False)


def srt_timestamp(seconds: float) -> str:
    ms = int(round(max(0.0, seconds) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def speech_span(region: pj.Region, clip: Clip | None) -> tuple[float, float]:
    """When speech really starts and ends in a region (from the engine's timings)."""
    if clip is None or not clip.units:
        return region.start, region.end
    spoken = [u for u in clip.units if u.kind in ("zh", "en")]
    if not spoken:
        return region.start, region.end
    return region.start + spoken[0].start_seconds, region.start + spoken[-1].end_seconds


def export_srt(project: pj.Project, clips: dict[str, Clip], out: Path) -> Path:
    """SRT of the dub lines with their real (synthesised) timings."""
    rows = []
    for t in audible_tracks(project):
        for r in t.regions:
            if r.text.strip():
                a, b = speech_span(r, clips.get(r.id))
                rows.append((a, b, _display_text(r.text)))
    rows.sort()
    text = "".join(f"{i}\n{srt_timestamp(a)} --> {srt_timestamp(b)}\n{line}\n\n" for i, (a, b, line) in enumerate(rows, 1))
    _atomic_text(out, text)
    return out


def _display_text(text: str) -> str:
    """The line as a viewer reads it: pinyin override brackets removed."""
    import re

    return re.sub(r"[\[【][^\]】]*[\]】]", "", text).strip()


def voice_label(voice: str) -> str:
    """How a voice is named in a file's tags: its name, or a recording's file name (never its full path)."""
    from engine.voices import looks_like_recording

    return Path(voice).name if looks_like_recording(voice) else voice


def voices_used(project: pj.Project, tracks=None) -> str:
    """The voices a mix speaks with, for the provenance tag (cloned voices are named, like stock ones)."""
    names = sorted({voice_label(r.voice or t.default_voice) for t in (tracks or project.tracks)
                    for r in t.regions if r.text.strip()})
    return ", ".join(names) or "none"


def provenance(project: pj.Project, what: str = "dub mix", tracks=None) -> str:
    return f"synthetic speech (Dubline {what}; voices: {voices_used(project, tracks)})"


def export_mix(project: pj.Project, clips: dict[str, Clip], out: Path, source=None, source_sr=None) -> Path:
    from engine.audio_io import write_audio

    audio = mix(project, clips, source, source_sr)
    return write_audio(out, audio, project.sample_rate, comment=provenance(project))


def export_stems(project: pj.Project, clips: dict[str, Clip], folder: Path,
                 cancelled: Callable[[], bool] | None = None, inputs=(), force: bool = False) -> list[Path]:
    """dub.wav (all dub tracks, no source) and one WAV per track."""
    from engine.audio_io import write_audio

    _make_folder(folder)
    dub = _target(folder, "dub.wav", inputs, force)
    outs = [write_audio(dub, mix(project, clips, include_source=False), project.sample_rate,
                        comment=provenance(project, "dub stem"))]
    for i, t in enumerate(project.tracks, 1):
        _check(cancelled)
        name = _safe(t.name) or f"track{i}"
        audio = mix(project, clips, include_source=False, tracks=[t])
        outs.append(write_audio(_target(folder, f"track{i:02d}_{name}.wav", inputs, force), audio,
                                project.sample_rate, comment=provenance(project, f"track {t.name}", [t])))
    return outs


def export_clips(project: pj.Project, clips: dict[str, Clip], folder: Path,
                 cancelled: Callable[[], bool] | None = None, inputs=(), force: bool = False) -> list[Path]:
    """One file per region, named by index and timecode."""
    from engine.audio_io import write_audio

    _make_folder(folder)
    regions = sorted((r for _, r in project.all_regions() if r.id in clips), key=lambda r: r.start)
    outs = []
    for i, r in enumerate(regions, 1):
        _check(cancelled)
        c = clips[r.id]
        tc = timecode(r.start, project.fps).replace(":", "-")
        track = next(t for t in project.tracks if r in t.regions)
        voice = voice_label(r.voice or track.default_voice)
        outs.append(write_audio(_target(folder, f"{i:03d}_{tc}.wav", inputs, force), c.audio, c.sample_rate,
                                comment=f"synthetic speech (Dubline region clip; voice {voice})"))
    return outs


def _make_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"cannot write into {folder.name}: it is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"cannot create the folder {_short(folder)}: {e.strerror or e}") from None


def _target(folder: Path, name: str, inputs, force: bool) -> Path:
    """``folder/name``, confined to ``folder`` and never one of the inputs (unless forced)."""
    p = confined(folder, name)
    guard_output(p, inputs, force)
    return p


def _short(p: Path) -> str:
    s = str(p)
    return s if len(s) <= 80 else "..." + s[-77:]


def export_video(project: pj.Project, project_path: Path, clips: dict[str, Clip], out: Path,
                 source=None, source_sr=None, keep_original: bool = False) -> Path:
    from editor.media import MediaError, mux_audio_into_video

    media = pj.resolve_media(project, project_path)
    if media is None or project.media is None or not project.media.has_video:
        raise ExportError("the project has no video to export with (its media is missing or audio-only)")
    audio = mix(project, clips, source, source_sr)
    try:
        return mux_audio_into_video(str(media), audio, project.sample_rate, str(out),
                                    keep_original_audio=keep_original,
                                    metadata={"comment": provenance(project, "dub"),
                                              "synthetic_speech": voices_used(project)})
    except MediaError as e:
        raise ExportError(str(e)) from None


def export_otio(project: pj.Project, project_path: Path, clips: dict[str, Clip], out: Path,
                clips_folder: Path | None = None, inputs=(), force: bool = False) -> Path:
    """An OpenTimelineIO timeline: the video, the source audio and the dub clips at their positions."""
    import opentimelineio as otio

    fps = float(project.fps)
    rt = otio.opentime.RationalTime

    def trange(start: float, dur: float):
        return otio.opentime.TimeRange(rt(round(start * fps), fps), rt(max(1, round(dur * fps)), fps))

    tl = otio.schema.Timeline(name=Path(project_path).stem)
    media = pj.resolve_media(project, project_path)
    if project.media is not None:
        ref = otio.schema.ExternalReference(target_url=str(media or project.media.abs_path or project.media.path))
        dur = project.media.duration or project.end_time()
        if project.media.has_video:
            vt = otio.schema.Track(name="Video", kind=otio.schema.TrackKind.Video)
            vt.append(otio.schema.Clip(name="source", media_reference=ref, source_range=trange(0, dur)))
            tl.tracks.append(vt)
        at = otio.schema.Track(name="Source audio", kind=otio.schema.TrackKind.Audio)
        at.append(otio.schema.Clip(name="source audio", media_reference=ref.clone(), source_range=trange(0, dur)))
        tl.tracks.append(at)
    folder = clips_folder or out.with_name(out.stem + "_clips")
    written = {}
    if clips:
        from engine.audio_io import write_audio

        _make_folder(folder)
        for t, r in project.all_regions():
            c = clips.get(r.id)
            if c is not None:
                voice = voice_label(r.voice or t.default_voice)
                written[r.id] = write_audio(_target(folder, f"{r.id}.wav", inputs, force), c.audio, c.sample_rate,
                                            comment=f"synthetic speech (Dubline region clip; voice {voice})")
    for t in project.tracks:
        track = otio.schema.Track(name=t.name, kind=otio.schema.TrackKind.Audio)
        cursor = 0  # in frames
        for r in sorted(t.regions, key=lambda r: r.start):
            start_f = round(r.start * fps)
            dur_f = max(1, round(r.duration * fps))
            if start_f > cursor:
                track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(rt(0, fps), rt(start_f - cursor, fps))))
                cursor = start_f
            elif start_f < cursor:  # frame rounding made neighbours touch: trim
                dur_f -= cursor - start_f
                if dur_f <= 0:
                    continue
            ref = (otio.schema.ExternalReference(target_url=str(written[r.id])) if r.id in written
                   else otio.schema.MissingReference())
            clip = otio.schema.Clip(name=_display_text(r.text)[:60] or r.id, media_reference=ref,
                                    source_range=otio.opentime.TimeRange(rt(0, fps), rt(dur_f, fps)))
            clip.metadata["dubline"] = {"region_id": r.id, "text": r.text, "start_seconds": r.start,
                                        "end_seconds": r.end, "voice": voice_label(r.voice or t.default_voice),
                                        "synthetic_speech": True}
            track.append(clip)
            cursor += dur_f
        tl.tracks.append(track)
    for m in project.markers:
        tl.tracks.markers.append(otio.schema.Marker(name=m.name or m.kind,
                                                    marked_range=otio.opentime.TimeRange(rt(round(m.time * fps), fps),
                                                                                         rt(0, fps))))
    text = otio.adapters.write_to_string(tl, "otio_json")
    _atomic_text(out, text)
    return out


def timecode(seconds: float, fps: float) -> str:
    """HH:MM:SS:FF at ``fps`` (non-drop-frame)."""
    fr = int(round(seconds * fps))
    nominal = max(1, int(round(fps)))
    ff = fr % nominal
    total = fr // nominal
    return f"{total // 3600:02d}:{total // 60 % 60:02d}:{total % 60:02d}:{ff:02d}"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_")[:40]


def export_inputs(project: pj.Project, project_path: Path) -> list[tuple[str, Path]]:
    """Every file an export of ``project`` reads, named for a refusal message."""
    from engine.voices import looks_like_recording

    path = Path(project_path)
    found: list[tuple[str, Path]] = [("the project", path), ("the project's backup", path.with_name(path.name + ".bak"))]
    media = pj.resolve_media(project, path)
    if media is not None:
        found.append(("the project's media", media))
    found.append(("the render cache", pj.cache_dir_for(path)))
    base = path.parent
    for v in project.voices:
        if v.path:
            found.append((f"the voice file of {v.name}", base / v.path))
    for t, r in project.all_regions():
        voice = r.voice or t.default_voice
        if looks_like_recording(voice):
            found.append(("a voice recording the project uses", Path(voice)))
        audio = r.emotion.get("audio") if isinstance(r.emotion, dict) else None
        if isinstance(audio, str) and audio:
            found.append(("an emotion clip the project uses", Path(audio)))
    return found


def export_project(project_path: Path, fmt: str, out: Path, progress: Progress | None = None,
                   cancelled: Callable[[], bool] | None = None, keep_original: bool = False,
                   force: bool = False, consent: str | None = None):
    """Render what is needed and write ``fmt`` to ``out``; used by the CLI and the editor.

    Raises only DublineError subclasses (ExportError, ProjectError, RenderFailed, ...) for what a
    user can cause, and ExportCancelled.  ``force`` allows writing over an input (the project, its
    media...); ``consent`` is the note allowing recordings used as voices to be cloned.
    """
    from editor.headless import load_source_audio, render_all

    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    project_path, out = Path(project_path), Path(out)
    project = pj.load(project_path)
    inputs = export_inputs(project, project_path)
    if fmt in ("stems", "clips"):
        if out.exists() and not out.is_dir():
            raise ExportError(f"cannot write {fmt} into {out.name}: it is a file, not a folder")
    else:
        if out.is_dir():
            raise ExportError(f"cannot write {_short(out)}: it is a folder")
        guard_output(out, inputs, force)
    try:
        clips = render_all(project, project_path, progress, consent=consent)
        _check(cancelled)
        needs_source = fmt in ("wav", "flac", "mp4", "mkv")
        source, source_sr = load_source_audio(project, project_path, progress) if needs_source else (None, None)
        _check(cancelled)
        if progress:
            progress(f"writing {fmt}")
        if fmt in ("wav", "flac"):
            return export_mix(project, clips, out, source, source_sr)
        if fmt == "stems":
            return export_stems(project, clips, out, cancelled, inputs, force)
        if fmt == "clips":
            return export_clips(project, clips, out, cancelled, inputs, force)
        if fmt == "srt":
            return export_srt(project, clips, out)
        if fmt in ("mp4", "mkv"):
            return export_video(project, project_path, clips, out, source, source_sr, keep_original)
        return export_otio(project, project_path, clips, out, inputs=inputs, force=force)
    except (DublineError, ExportCancelled):
        raise
    except EngineError as e:  # a file the engine's writer refused (folder gone, not writable)
        raise ExportError(str(e)) from None
    except OSError as e:
        raise ExportError(f"cannot write {_short(Path(e.filename)) if e.filename else _short(out)}: "
                          f"{e.strerror or e}") from None
    except MemoryError:
        raise ExportError(f"not enough memory to mix {project.end_time() / 60:.0f} minutes at "
                          f"{project.sample_rate} Hz") from None
