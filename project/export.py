"""Exports: mixed WAV/FLAC, stems, per-region clips, SRT, MP4/MKV, OTIO (no Qt).

Audio deliverables are made to spec (:class:`ExportOptions`): stereo by default
(the source kept stereo, each dub track placed by its pan), at a chosen sample
rate (48 kHz unless the project says otherwise), 16/24-bit with TPDF dither or
32-bit float, measured to ITU-R BS.1770-4 / EBU R128 on every export
(integrated loudness, loudness range, true peak: :class:`ExportReport`) and,
given a target, normalised to it under a true-peak ceiling by a limiter (never
a clip; engine/loudness.py).

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

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import EngineError
from engine.loudness import DEFAULT_CEILING_DBTP, LimiterReport, Loudness, LoudnessError, check_ceiling, parse_target
from project import model as pj
from project.errors import DublineError
from project.mixdown import ExportCancelled
from project.paths import confined, guard_output
from project.render_core import Clip, audible_tracks

FORMATS = ("wav", "flac", "stems", "clips", "srt", "vtt", "ass", "mp4", "mkv", "otio", "fcpxml", "xml", "edl", "aaf")
SUBTITLE_FORMATS = ("srt", "vtt", "ass")
#: Timeline interchange through OpenTimelineIO's adapter plugins: format -> adapter name.
INTERCHANGE_ADAPTERS = {"otio": "otio_json", "fcpxml": "fcpx_xml", "xml": "fcp_xml", "edl": "cmx_3600", "aaf": "AAF"}
#: The file suffix each format is told by (stems and clips are folders).
SUFFIX_FORMATS = {".wav": "wav", ".flac": "flac", ".srt": "srt", ".vtt": "vtt", ".ass": "ass", ".mp4": "mp4",
                  ".mkv": "mkv", ".otio": "otio", ".fcpxml": "fcpxml", ".xml": "xml", ".edl": "edl", ".aaf": "aaf"}
Progress = Callable[[str], None]


#: Sample rates an export may be written at.
SAMPLE_RATES = (22050, 24000, 32000, 44100, 48000, 88200, 96000)
BIT_DEPTHS = (16, 24, 32)


@dataclass
class ExportOptions:
    """How audio is delivered.  ``loudness_target`` None: measured but not normalised (the limiter still
    keeps the true peak under ``ceiling_dbtp``)."""

    loudness_target: float | None = None  # LUFS
    ceiling_dbtp: float = DEFAULT_CEILING_DBTP
    sample_rate: int | None = None  # None: the project's
    bit_depth: int = 24  # 16 / 24 (dithered PCM) or 32 (float)
    channels: int = 2
    keep_original: bool = False

    @staticmethod
    def make(loudness: str | float | None = None, true_peak: float | None = None, sample_rate: int | None = None,
             bit_depth: int = 24, channels: int = 2, keep_original: bool = False) -> ExportOptions:
        """Options from user input (``loudness``: ebu / atsc / web / a number / none); ExportError if unusable."""
        try:
            target = parse_target(loudness)
            ceiling = check_ceiling(true_peak) if true_peak is not None else (
                target[1] if target else DEFAULT_CEILING_DBTP)
        except LoudnessError as e:
            raise ExportError(str(e)) from None
        if sample_rate is not None and int(sample_rate) not in SAMPLE_RATES:
            raise ExportError(f"sample rate {sample_rate}: use one of {', '.join(map(str, SAMPLE_RATES))}")
        if int(bit_depth) not in BIT_DEPTHS:
            raise ExportError(f"bit depth {bit_depth}: use 16, 24 or 32 (float)")
        if int(channels) not in (1, 2):
            raise ExportError("channels: 1 (mono) or 2 (stereo)")
        return ExportOptions(target[0] if target else None, ceiling, int(sample_rate) if sample_rate else None,
                             int(bit_depth), int(channels), keep_original)

    def rate(self, project: pj.Project) -> int:
        return int(self.sample_rate or project.sample_rate)

    def subtype(self) -> str:
        from engine.audio_io import BIT_DEPTHS as SUBTYPES

        return SUBTYPES[self.bit_depth]


@dataclass
class ExportReport:
    """What an export wrote and, for audio, how loud it is."""

    outputs: list[Path]
    folder: Path | None = None  # stems / clips: the folder written into
    loudness: Loudness | None = None
    target_lufs: float | None = None
    ceiling_dbtp: float | None = None
    gain_db: float = 0.0
    limiter: LimiterReport | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.folder or self.outputs[0]

    def summary(self) -> str:
        """One line: the readings, and what was done to reach them."""
        if self.loudness is None:
            return ""
        line = f"loudness: {self.loudness.summary()}"
        if self.target_lufs is not None:
            line += f" (target {self.target_lufs:g} LUFS / {self.ceiling_dbtp:g} dBTP, gain {self.gain_db:+.1f} dB"
            if self.limiter is not None and self.limiter.max_reduction_db > 0.05:
                line += f", limiter up to {self.limiter.max_reduction_db:.1f} dB"
            line += ")"
        return line

    def to_dict(self) -> dict:
        d: dict = {"output": str(self.path), "files": [str(p) for p in self.outputs]}
        if self.loudness is not None:
            d["loudness"] = self.loudness.to_dict()
            d["loudness"].update({
                "target_lufs": self.target_lufs, "ceiling_dbtp": self.ceiling_dbtp,
                "gain_db": round(self.gain_db, 2),
                "limiter_max_reduction_db": round(self.limiter.max_reduction_db, 2) if self.limiter else 0.0,
                "limiter_seconds": round(self.limiter.limited_seconds, 3) if self.limiter else 0.0,
            })
        d["warnings"] = list(self.warnings)
        return d


class ExportError(DublineError):
    """An export cannot be written; one line for the user."""


def _check(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise ExportCancelled("export cancelled")


def _atomic_text(path: Path, text: str) -> None:
    pj.atomic_write_text(path, text, backup=False)


def speech_span(region: pj.Region, clip: Clip | None) -> tuple[float, float]:
    """When speech really starts and ends in a region (from the engine's timings)."""
    if clip is None or not clip.units:
        return region.start, region.end
    spoken = [u for u in clip.units if u.kind in ("zh", "en")]
    if not spoken:
        return region.start, region.end
    return region.start + spoken[0].start_seconds, region.start + spoken[-1].end_seconds


def subtitle_events(project: pj.Project, clips: dict[str, Clip]) -> list[tuple[float, float, str, str]]:
    """(start, end, text, track name) of every dub line, timed by its speech (see :func:`speech_span`)."""
    rows = []
    for t in audible_tracks(project):
        for r in t.regions:
            if r.text.strip():
                a, b = speech_span(r, clips.get(r.id))
                rows.append((a, b, _display_text(r.text), t.name))
    rows.sort()
    return rows


def export_subtitles(project: pj.Project, clips: dict[str, Clip], out: Path, fmt: str = "srt") -> ExportReport:
    """SRT, WebVTT or ASS of the dub lines with their real (synthesised) speech timings, through pysubs2.
    ASS names each line's speaker (its track) and carries the provenance in its script info."""
    import pysubs2

    subs = pysubs2.SSAFile()
    for a, b, text, track in subtitle_events(project, clips):
        ev = pysubs2.SSAEvent(start=int(round(a * 1000)), end=int(round(b * 1000)), name=track if fmt == "ass" else "")
        ev.plaintext = text
        subs.append(ev)
    if fmt == "ass":
        subs.info["Title"] = "Dubline dub"
        subs.info["Comment"] = provenance(project, "dub subtitles")
    _atomic_text(out, subs.to_string(fmt if fmt != "vtt" else "vtt"))
    return ExportReport([out])


def export_srt(project: pj.Project, clips: dict[str, Clip], out: Path) -> ExportReport:
    """SRT of the dub lines with their real (synthesised) timings."""
    return export_subtitles(project, clips, out, "srt")


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


def _report(outputs, options: ExportOptions, finished, folder: Path | None = None) -> ExportReport:
    _, loud, gain, rep, warnings = finished
    return ExportReport(list(outputs), folder, loud, options.loudness_target, options.ceiling_dbtp, gain, rep,
                        list(warnings))


def mix_plan(project: pj.Project, clips: dict[str, Clip], source=None, source_sr=None,
             options: ExportOptions | None = None, tracks=None, include_source: bool = True):
    """The :class:`project.mixer.MixPlan` an export streams from: ``source`` is an array (at ``source_sr``)
    or a :class:`project.mixer.ArraySource`/``FileSource`` already at the export's rate."""
    from project.mixer import ArraySource, array_source, plan_for

    options = options or ExportOptions()
    sr = options.rate(project)
    src = source if isinstance(source, ArraySource) or source is None else array_source(source, source_sr, sr)
    return plan_for(project, clips, src, sample_rate=sr, channels=options.channels, tracks=tracks,
                    include_source=include_source)


def export_mix(project: pj.Project, clips: dict[str, Clip], out: Path, source=None, source_sr=None,
               options: ExportOptions | None = None, cancelled: Callable[[], bool] | None = None) -> ExportReport:
    """The mix as WAV/FLAC, streamed a block at a time (project/mixdown.py): memory does not grow with
    the programme's length."""
    from project.mixdown import Delivery, write_delivery

    options = options or ExportOptions()
    delivery = Delivery(mix_plan(project, clips, source, source_sr, options), options.loudness_target,
                        options.ceiling_dbtp, cancelled=cancelled)
    path = write_delivery(delivery, out, provenance(project), options.subtype())
    return _report([path], options, delivery.finished())


def export_stems(project: pj.Project, clips: dict[str, Clip], folder: Path,
                 cancelled: Callable[[], bool] | None = None, inputs=(), force: bool = False,
                 options: ExportOptions | None = None, source=None, source_sr=None) -> ExportReport:
    """dub.wav (all dub tracks, no source) and one WAV per track.

    With a loudness target every stem gets the gain that puts the full mix (with the source) on target,
    so the stems still add up to the delivered mix; each is kept under the true-peak ceiling.  The
    report reads the dub stem.
    """
    from project.mixdown import Delivery, write_delivery

    options = options or ExportOptions()
    _make_folder(folder)
    gain = 0.0
    if options.loudness_target is not None:
        gain = Delivery(mix_plan(project, clips, source, source_sr, options), options.loudness_target,
                        options.ceiling_dbtp, cancelled=cancelled).gain_db
    dub = _target(folder, "dub.wav", inputs, force)
    delivery = Delivery(mix_plan(project, clips, options=options, include_source=False), None,
                        options.ceiling_dbtp, gain, cancelled)
    outs = [write_delivery(delivery, dub, provenance(project, "dub stem"), options.subtype())]
    for i, t in enumerate(project.tracks, 1):
        _check(cancelled)
        name = _safe(t.name) or f"track{i}"
        stem = Delivery(mix_plan(project, clips, options=options, tracks=[t], include_source=False), None,
                        options.ceiling_dbtp, gain, cancelled)
        outs.append(write_delivery(stem, _target(folder, f"track{i:02d}_{name}.wav", inputs, force),
                                   provenance(project, f"track {t.name}", [t]), options.subtype()))
    return _report(outs, options, delivery.finished(), folder)


def export_clips(project: pj.Project, clips: dict[str, Clip], folder: Path,
                 cancelled: Callable[[], bool] | None = None, inputs=(), force: bool = False,
                 options: ExportOptions | None = None) -> ExportReport:
    """One file per region (at the engine's rate, in the chosen bit depth), named by index and timecode."""
    from engine.audio_io import write_audio

    options = options or ExportOptions()
    _make_folder(folder)
    regions = sorted((r for _, r in project.all_regions() if r.id in clips), key=lambda r: r.start)
    outs = []
    for i, r in enumerate(regions, 1):
        _check(cancelled)
        c = clips[r.id]
        tc = timecode(r.start, project.fps).replace(":", "-").replace(";", "-")
        track = next(t for t in project.tracks if r in t.regions)
        voice = voice_label(r.voice or track.default_voice)
        outs.append(write_audio(_target(folder, f"{i:03d}_{tc}.wav", inputs, force), c.audio, c.sample_rate,
                                comment=f"synthetic speech (Dubline region clip; voice {voice})",
                                subtype=options.subtype()))
    return ExportReport(outs, folder)


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


def dub_language(project: pj.Project) -> str:
    """ISO 639-2 code of the dub's language (the script most of its text is in): ``zho``, ``eng`` or ``und``."""
    han = latin = 0
    for _, r in project.all_regions():
        for c in r.text:
            if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf":
                han += 1
            elif c.isascii() and c.isalpha():
                latin += 1
    if not han and not latin:
        return "und"
    return "zho" if han * 3 >= latin else "eng"  # a Chinese character carries about a word


def export_video(project: pj.Project, project_path: Path, clips: dict[str, Clip], out: Path,
                 source=None, source_sr=None, keep_original: bool = False,
                 options: ExportOptions | None = None) -> ExportReport:
    from project.media import MediaError
    from project.mux import mux_audio_into_video

    options = options or ExportOptions(keep_original=keep_original)
    media = pj.resolve_media(project, project_path)
    if media is None or project.media is None or not project.media.has_video:
        raise ExportError("the project has no video to export with (its media is missing or audio-only)")
    from project.mixdown import Delivery

    sr = options.rate(project)
    delivery = Delivery(mix_plan(project, clips, source, source_sr, options), options.loudness_target,
                        options.ceiling_dbtp)
    voices = voices_used(project)
    try:
        path = mux_audio_into_video(str(media), delivery.blocks(), sr, str(out), channels=options.channels,
                                    keep_original_audio=keep_original or options.keep_original,
                                    dub_title=f"Dub ({dub_language(project)}, synthetic speech)",
                                    metadata={"comment": provenance(project, "dub"), "synthetic_speech": voices},
                                    dub_metadata={"language": dub_language(project),
                                                  "comment": f"synthetic speech; voices: {voices}"})
    except MediaError as e:
        raise ExportError(str(e)) from None
    return _report([path], options, delivery.finished())


def build_timeline(project: pj.Project, project_path: Path, clips: dict[str, Clip], folder: Path | None,
                   inputs=(), force: bool = False, options: ExportOptions | None = None, uris: bool = False,
                   with_source: bool = True):
    """An OpenTimelineIO timeline: the video, the source audio and each dub track's lines at their frames,
    each line's rendered clip written into ``folder`` as its media (``uris``: referenced by file URL, as
    NLE formats want).  Returns (timeline, {region id: clip file})."""
    import opentimelineio as otio

    fps = float(project.fps)
    rt = otio.opentime.RationalTime

    def trange(start_f: int, dur_f: int):
        return otio.opentime.TimeRange(rt(start_f, fps), rt(dur_f, fps))

    def url(p) -> str:
        return Path(p).resolve().as_uri() if uris else str(p)

    tl = otio.schema.Timeline(name=Path(project_path).stem)
    tl.global_start_time = rt(0, fps)
    tl.metadata["dubline"] = {"synthetic_speech": True, "voices": voices_used(project)}
    media = pj.resolve_media(project, project_path)
    if with_source and project.media is not None:
        dur_f = max(1, round((project.media.duration or project.end_time()) * fps))
        src = media or project.media.abs_path or project.media.path
        ref = otio.schema.ExternalReference(target_url=url(src), available_range=trange(0, dur_f))
        if project.media.has_video:
            vt = otio.schema.Track(name="Video", kind=otio.schema.TrackKind.Video)
            vt.append(otio.schema.Clip(name="source", media_reference=ref, source_range=trange(0, dur_f)))
            tl.tracks.append(vt)
        at = otio.schema.Track(name="Source audio", kind=otio.schema.TrackKind.Audio)
        at.append(otio.schema.Clip(name="source audio", media_reference=ref.clone(), source_range=trange(0, dur_f)))
        tl.tracks.append(at)
    written: dict[str, Path] = {}
    if clips and folder is not None:
        from engine.audio_io import write_audio

        _make_folder(folder)
        for t, r in project.all_regions():
            c = clips.get(r.id)
            if c is not None:
                voice = voice_label(r.voice or t.default_voice)
                written[r.id] = write_audio(_target(folder, f"{r.id}.wav", inputs, force), c.audio, c.sample_rate,
                                            comment=f"synthetic speech (Dubline region clip; voice {voice})",
                                            subtype=(options or ExportOptions()).subtype())
    for t in project.tracks:
        track = otio.schema.Track(name=t.name, kind=otio.schema.TrackKind.Audio)
        cursor = 0  # in frames
        for r in sorted(t.regions, key=lambda r: r.start):
            start_f = round(r.start * fps)
            dur_f = max(1, round(r.duration * fps))
            if start_f > cursor:
                track.append(otio.schema.Gap(source_range=trange(0, start_f - cursor)))
                cursor = start_f
            elif start_f < cursor:  # frame rounding made neighbours touch: trim
                dur_f -= cursor - start_f
                if dur_f <= 0:
                    continue
            c = clips.get(r.id)
            if r.id in written and c is not None:
                avail = max(dur_f, int(math.ceil(len(c.audio) / c.sample_rate * fps - 1e-6)))
                ref = otio.schema.ExternalReference(target_url=url(written[r.id]), available_range=trange(0, avail))
            else:
                ref = otio.schema.MissingReference()
            clip = otio.schema.Clip(name=_display_text(r.text)[:60] or r.id, media_reference=ref,
                                    source_range=trange(0, dur_f))
            clip.metadata["dubline"] = {"region_id": r.id, "text": r.text, "start_seconds": r.start,
                                        "end_seconds": r.end, "voice": voice_label(r.voice or t.default_voice),
                                        "synthetic_speech": True}
            track.append(clip)
            cursor += dur_f
        tl.tracks.append(track)
    for m in project.markers:
        tl.tracks.markers.append(otio.schema.Marker(name=m.name or m.kind,
                                                    marked_range=trange(round(m.time * fps), 0)))
    return tl, written


def export_otio(project: pj.Project, project_path: Path, clips: dict[str, Clip], out: Path,
                clips_folder: Path | None = None, inputs=(), force: bool = False,
                options: ExportOptions | None = None) -> ExportReport:
    """An OpenTimelineIO timeline (.otio) with the dub clips written beside it."""
    import opentimelineio as otio

    folder = clips_folder or out.with_name(out.stem + "_clips")
    tl, written = build_timeline(project, project_path, clips, folder, inputs, force, options)
    _atomic_text(out, otio.adapters.write_to_string(tl, "otio_json"))
    return ExportReport([out, *written.values()])


def export_interchange(project: pj.Project, project_path: Path, clips: dict[str, Clip], out: Path, fmt: str,
                       inputs=(), force: bool = False, options: ExportOptions | None = None) -> ExportReport:
    """FCP X XML, FCP 7 XML, CMX 3600 EDL or AAF through OpenTimelineIO's adapter plugins, each line's clip
    (written beside the file) as its media.

    A CMX 3600 EDL holds one track of events: all dub lines in one EDL when no two overlap, else one EDL
    per dub track (``NAME.edl``, ``NAME_track02.edl``, ...).  AAF references the clips (no embedded media).
    """
    import opentimelineio as otio

    folder = out.with_name(out.stem + "_clips")
    adapter = INTERCHANGE_ADAPTERS[fmt]
    if fmt != "edl":
        tl, written = build_timeline(project, project_path, clips, folder, inputs, force, options, uris=True)
        if fmt == "fcpxml" and not any(t.kind == otio.schema.TrackKind.Video for t in tl.tracks):
            # FCP X hangs audio lanes off a primary storyline: give an audio-only project an empty one
            length = max((t.duration() for t in tl.tracks), default=otio.opentime.RationalTime(1, project.fps))
            primary = otio.schema.Track(name="Primary storyline", kind=otio.schema.TrackKind.Video)
            primary.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, project.fps), length)))
            tl.tracks.insert(0, primary)
        try:
            if fmt == "aaf":
                _atomic_file(out, lambda tmp: otio.adapters.write_to_file(tl, str(tmp), adapter_name=adapter,
                                                                          use_empty_mob_ids=True))
            else:
                _atomic_text(out, otio.adapters.write_to_string(tl, adapter))
        except OSError:
            raise
        except Exception as e:  # noqa: BLE001 - a third-party adapter's refusal, whatever its type: one line
            raise ExportError(f"cannot write {fmt}: {_one_line(e)}") from None
        return ExportReport([out, *written.values()])
    tl, written = build_timeline(project, project_path, clips, folder, inputs, force, options, uris=True,
                                 with_source=False)
    dub_tracks = list(tl.tracks)
    groups = [dub_tracks] if not _overlapping(project) else [[t] for t in dub_tracks]
    outs = []
    for i, group in enumerate(groups, 1):
        if not any(isinstance(c, otio.schema.Clip) for t in group for c in t):
            continue
        merged = _merge_tracks(group, project.fps)
        edl_tl = otio.schema.Timeline(name=f"{Path(project_path).stem} {merged.name}"[:70])
        edl_tl.tracks.append(merged)
        edl_tl.tracks.append(otio.schema.Track(name="V", kind=otio.schema.TrackKind.Video))  # the writer needs one
        path = out if i == 1 or len(groups) == 1 else _target(out.parent, f"{out.stem}_track{i:02d}{out.suffix}",
                                                                   inputs, force)
        try:
            text = otio.adapters.write_to_string(edl_tl, adapter, rate=float(project.fps))
        except Exception as e:  # noqa: BLE001 - a third-party adapter's refusal, whatever its type: one line
            raise ExportError(f"cannot write an EDL: {_one_line(e)}") from None
        _atomic_text(path, text)
        outs.append(path)
    if not outs:
        raise ExportError("nothing to put in an EDL: no dub line has been rendered")
    return ExportReport([*outs, *written.values()])


def _one_line(e: BaseException) -> str:
    text = (str(e).strip() or type(e).__name__).splitlines()[0]
    return text if len(text) <= 300 else text[:297] + "..."


def _overlapping(project: pj.Project) -> bool:
    spans = sorted((round(r.start * project.fps), round(r.end * project.fps)) for _, r in project.all_regions()
                   if r.text.strip())
    return any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))


def _merge_tracks(tracks, fps: float):
    """One audio track holding the clips of ``tracks`` (which do not overlap) at their timeline frames."""
    import opentimelineio as otio

    if len(tracks) == 1:
        return tracks[0].clone()
    rt = otio.opentime.RationalTime
    placed = []
    for t in tracks:
        for c in t.find_clips():
            placed.append((round(c.range_in_parent().start_time.to_frames()), c.clone()))
    placed.sort(key=lambda x: x[0])
    out = otio.schema.Track(name="Dub", kind=otio.schema.TrackKind.Audio)
    cursor = 0
    for start, c in placed:
        if start > cursor:
            out.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(rt(0, fps), rt(start - cursor, fps))))
        out.append(c)
        cursor = start + round(c.duration().to_frames())
    return out


def _atomic_file(path: Path, write) -> None:
    """Call ``write(tmp)`` for a fresh temporary file beside ``path`` (some writers refuse an existing
    file), then rename it into place (``engine.atomic``)."""
    from engine.atomic import atomic_path

    with atomic_path(path, fresh=True) as tmp:
        write(tmp)


def timecode(seconds: float, fps: float) -> str:
    """The timecode of the frame nearest ``seconds`` (drop-frame at 29.97/59.94; project/timecode.py)."""
    from project.timecode import format_frames

    return format_frames(int(round(seconds * fps)), fps)


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
                   force: bool = False, consent: str | None = None,
                   options: ExportOptions | None = None,
                   step: Callable[[int, int, str], None] | None = None,
                   clips: dict[str, Clip] | None = None) -> ExportReport:
    """Render what is needed and write ``fmt`` to ``out``; used by the CLI and the editor.

    Returns an :class:`ExportReport` (the files, and for audio the loudness readings and warnings).

    Raises only DublineError subclasses (ExportError, ProjectError, RenderFailed, ...) for what a
    user can cause, and ExportCancelled.  ``force`` allows writing over an input (the project, its
    media...); ``consent`` is the note allowing recordings used as voices to be cloned.  ``clips``
    (region id -> clip, every line with text) are lines already rendered (a batch): nothing is rendered.
    """
    from project.headless import open_source, render_all

    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    project_path, out = Path(project_path), Path(out)
    options = options or ExportOptions()
    if keep_original:
        options.keep_original = True
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
        if clips is None:
            clips = render_all(project, project_path, progress, consent=consent, step=step)
        _check(cancelled)
        needs_source = fmt in ("wav", "flac", "mp4", "mkv") or (fmt == "stems" and options.loudness_target is not None)
        source = open_source(project, project_path, progress, options.channels,
                             options.rate(project)) if needs_source else None
        _check(cancelled)
        if progress:
            progress(f"writing {fmt}")
        try:
            return _write(fmt, project, project_path, clips, out, source, options, cancelled, inputs, force)
        finally:
            if source is not None:
                source.close()
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


def _write(fmt: str, project: pj.Project, project_path: Path, clips: dict[str, Clip], out: Path, source,
           options: ExportOptions, cancelled, inputs, force: bool) -> ExportReport:
    """Write ``fmt`` from rendered ``clips`` (and the decoded ``source``)."""
    if fmt in ("wav", "flac"):
        return export_mix(project, clips, out, source, None, options, cancelled)
    if fmt == "stems":
        return export_stems(project, clips, out, cancelled, inputs, force, options, source, None)
    if fmt == "clips":
        return export_clips(project, clips, out, cancelled, inputs, force, options)
    if fmt in SUBTITLE_FORMATS:
        return export_subtitles(project, clips, out, fmt)
    if fmt in ("mp4", "mkv"):
        return export_video(project, project_path, clips, out, source, None, options=options)
    if fmt == "otio":
        return export_otio(project, project_path, clips, out, inputs=inputs, force=force, options=options)
    return export_interchange(project, project_path, clips, out, fmt, inputs, force, options)
