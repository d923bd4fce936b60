"""Exports: mixed WAV/FLAC, stems, per-region clips, SRT, MP4/MKV, OTIO (no Qt).

Every export writes atomically (temp file in the target folder + rename),
reports progress through a callback and can be cancelled through a
``cancelled()`` callable (checked between regions/steps), so the editor runs
them in a worker and the CLI runs them directly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from editor import project as pj
from editor.render_core import Clip, audible_tracks, mix

FORMATS = ("wav", "flac", "stems", "clips", "srt", "mp4", "mkv", "otio")
Progress = Callable[[str], None]


class ExportCancelled(Exception):
    pass


class ExportError(Exception):
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


def voices_used(project: pj.Project, tracks=None) -> str:
    """The voices a mix speaks with, for the provenance tag (cloned voices are named, like stock ones)."""
    names = sorted({r.voice or t.default_voice for t in (tracks or project.tracks) for r in t.regions if r.text.strip()})
    return ", ".join(names) or "none"


def export_mix(project: pj.Project, clips: dict[str, Clip], out: Path, source=None, source_sr=None) -> Path:
    from engine.audio_io import write_audio

    audio = mix(project, clips, source, source_sr)
    return write_audio(out, audio, project.sample_rate,
                       comment=f"synthetic speech (Dubline dub mix; voices: {voices_used(project)})")


def export_stems(project: pj.Project, clips: dict[str, Clip], folder: Path,
                 cancelled: Callable[[], bool] | None = None) -> list[Path]:
    """dub.wav (all dub tracks, no source) and one WAV per track."""
    from engine.audio_io import write_audio

    folder.mkdir(parents=True, exist_ok=True)
    outs = [write_audio(folder / "dub.wav", mix(project, clips, include_source=False), project.sample_rate,
                        comment=f"synthetic speech (Dubline dub stem; voices: {voices_used(project)})")]
    for i, t in enumerate(project.tracks, 1):
        _check(cancelled)
        name = _safe(t.name) or f"track{i}"
        audio = mix(project, clips, include_source=False, tracks=[t])
        outs.append(write_audio(folder / f"track{i:02d}_{name}.wav", audio, project.sample_rate,
                                comment=f"synthetic speech (Dubline, track {t.name}; voices: {voices_used(project, [t])})"))
    return outs


def export_clips(project: pj.Project, clips: dict[str, Clip], folder: Path,
                 cancelled: Callable[[], bool] | None = None) -> list[Path]:
    """One file per region, named by index and timecode."""
    from engine.audio_io import write_audio

    folder.mkdir(parents=True, exist_ok=True)
    regions = sorted((r for _, r in project.all_regions() if r.id in clips), key=lambda r: r.start)
    outs = []
    for i, r in enumerate(regions, 1):
        _check(cancelled)
        c = clips[r.id]
        tc = timecode(r.start, project.fps).replace(":", "-")
        track = next(t for t in project.tracks if r in t.regions)
        outs.append(write_audio(folder / f"{i:03d}_{tc}.wav", c.audio, c.sample_rate,
                                comment=f"synthetic speech (Dubline region clip; voice {r.voice or track.default_voice})"))
    return outs


def export_video(project: pj.Project, project_path: Path, clips: dict[str, Clip], out: Path,
                 source=None, source_sr=None, keep_original: bool = False) -> Path:
    from editor.media import MediaError, mux_audio_into_video

    media = pj.resolve_media(project, project_path)
    if media is None or project.media is None or not project.media.has_video:
        raise ExportError("the project has no video to export with (its media is missing or audio-only)")
    audio = mix(project, clips, source, source_sr)
    try:
        return mux_audio_into_video(str(media), audio, project.sample_rate, str(out),
                                    keep_original_audio=keep_original)
    except MediaError as e:
        raise ExportError(str(e)) from None


def export_otio(project: pj.Project, project_path: Path, clips: dict[str, Clip], out: Path,
                clips_folder: Path | None = None) -> Path:
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

        folder.mkdir(parents=True, exist_ok=True)
        for _t, r in project.all_regions():
            c = clips.get(r.id)
            if c is not None:
                written[r.id] = write_audio(folder / f"{r.id}.wav", c.audio, c.sample_rate)
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
                                        "end_seconds": r.end}
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


def export_project(project_path: Path, fmt: str, out: Path, progress: Progress | None = None,
                   cancelled: Callable[[], bool] | None = None, keep_original: bool = False):
    """Render what is needed and write ``fmt`` to ``out``; used by the CLI and the editor."""
    from editor.headless import load_source_audio, render_all

    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    project = pj.load(project_path)
    clips = render_all(project, project_path, progress)
    _check(cancelled)
    needs_source = fmt in ("wav", "flac", "mp4", "mkv")
    source, source_sr = load_source_audio(project, project_path, progress) if needs_source else (None, None)
    _check(cancelled)
    if progress:
        progress(f"writing {fmt}")
    if fmt in ("wav", "flac"):
        return export_mix(project, clips, out, source, source_sr)
    if fmt == "stems":
        return export_stems(project, clips, out, cancelled)
    if fmt == "clips":
        return export_clips(project, clips, out, cancelled)
    if fmt == "srt":
        return export_srt(project, clips, out)
    if fmt in ("mp4", "mkv"):
        return export_video(project, project_path, clips, out, source, source_sr, keep_original)
    return export_otio(project, project_path, clips, out)


