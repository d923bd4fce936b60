"""The ``dubline`` command.

``dubline say``   speak one line to a file (``--json`` prints the metadata)
``dubline demo``  render the bundled demo lines headlessly
``dubline [PROJECT]`` open the editor (falls back to the headless demo render
                  when there is no display)

User errors exit with code 2 and one line on stderr; no tracebacks for
anything a user can cause.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from cli.common import EXIT_USER_ERROR, UserError, add_indextts2_args, indextts2_settings, short, sub_parser


def _fail(msg: str) -> int:
    print(f"dubline: error: {msg}", file=sys.stderr)
    return EXIT_USER_ERROR


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's default exits 2 with usage; keep it to one clear line
        self.exit(EXIT_USER_ERROR, f"dubline: error: {message} (see --help)\n")


def _parse_anchor(s: str) -> tuple[int, float]:
    try:
        a, b = s.split("=", 1)
        return int(a), float(b)
    except ValueError:
        raise argparse.ArgumentTypeError(f"anchor {s!r} must look like CHAR_INDEX=SECONDS, e.g. 5=1.40") from None


def _parse_glossary(items: list[str]) -> tuple[tuple[str, str], ...]:
    out = []
    for s in items or ():
        if "=" not in s:
            raise UserError(f"glossary entry {s!r} must look like TERM=READING, e.g. 重庆=chóng qìng")
        term, reading = s.split("=", 1)
        if not term.strip() or not reading.strip():
            raise UserError(f"glossary entry {s!r} needs both a term and a reading")
        out.append((term.strip(), reading.strip()))
    return tuple(out)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dubline", description="Dubline: a dubbing editor with a controllable speech engine.")
    sub = p.add_subparsers(dest="command")
    for add in (_add_say, _add_voices, _add_demo, _add_new, _add_voice, _add_keyframes, _add_render, _add_batch, _add_edit):
        add(sub, p)
    return p


def _add_say(sub, p: argparse.ArgumentParser) -> None:
    s = sub_parser(sub, p, "say", "speak one line to an audio file")
    s.add_argument("text", help="the line; pinyin overrides like 出发[fā chū] or XING2 are allowed")
    s.add_argument("-o", "--output", help="output audio file (.wav, .flac)")
    s.add_argument("--voice", default="jf_alpha",
                   help="stock or cloned voice name (see `dubline voice list`), or a recording to clone on the fly")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--duration", type=float, metavar="SECONDS", help="exact length in seconds")
    g.add_argument("--duration-ratio", type=float, metavar="R", help="length as a multiple of the natural length")
    s.add_argument("--max-tokens", type=int, metavar="N", help="cap the length at N frames of 25 ms")
    s.add_argument("--anchor", action="append", type=_parse_anchor, default=[], metavar="CHAR=SECONDS",
                   help="pin the start of character CHAR (index in the text) to SECONDS from the line start")
    s.add_argument("--glossary", action="append", default=[], metavar="TERM=READING",
                   help="read TERM as READING (pinyin), e.g. 重庆=chóng qìng")
    s.add_argument("--emotion-vector", metavar="NAME=W,...",
                   help="emotion weights, e.g. happy=0.8,surprised=0.2 (happy angry sad afraid disgusted "
                        "melancholic surprised calm)")
    s.add_argument("--emotion-text", metavar="TEXT", help="describe the emotion, e.g. 焦急地催促 or 'whispering nervously'")
    s.add_argument("--emotion-audio", metavar="CLIP", help="take the emotion (prosody, not the voice) from this clip")
    s.add_argument("--emotion-from-line", action="store_true", help="read the emotion from the line's own text")
    s.add_argument("--emotion-intensity", type=float, default=0.8, metavar="A",
                   help="0 (neutral) to 1 (full emotion); 0.6-0.8 sounds natural (default 0.8)")
    s.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    s.add_argument("--backend", default="embedded", choices=("embedded", "indextts2"),
                   help="embedded: Kokoro on the CPU (default); indextts2: the IndexTTS2 model (GPU)")
    add_indextts2_args(s)
    s.add_argument("--json", action="store_true", help="print the result's metadata as JSON")
    s.add_argument("--phonemes", action="store_true", help="print the phoneme string (no audio unless -o)")
    s.add_argument("--consent", metavar="TEXT",
                   help="with --voice RECORDING: who agreed to their voice being cloned, and for what (required)")
    s.add_argument("--force", action="store_true", help="allow -o to replace an input (the voice recording, ...)")


def _add_voices(sub, p: argparse.ArgumentParser) -> None:
    sub_parser(sub, p, "voices", "list the available voices")


def _add_demo(sub, p: argparse.ArgumentParser) -> None:
    d = sub_parser(sub, p, "demo", "render the bundled demo lines headlessly")
    d.add_argument("-o", "--output", default="out/demo", help="output folder (default out/demo)")


def _add_new(sub, p: argparse.ArgumentParser) -> None:
    n = sub_parser(sub, p, "new", "create a project from media and subtitles")
    n.add_argument("project", help="the .dubline file to create")
    n.add_argument("--media", help="video or audio file to dub")
    n.add_argument("--subtitles", help="SRT, ASS/SSA or WebVTT file: one region per line")
    n.add_argument("--text", help="plain text file: one region per line, laid out one after another")
    n.add_argument("--voice", default="jf_alpha", help="default voice of the dub track")
    n.add_argument("--track-per-actor", action="store_true", help="one track per ASS actor/name")
    n.add_argument("--keyframes", help="CSV or JSON list of keyframes (frame numbers or timecodes) to add as markers")
    n.add_argument("--backend", default="embedded", choices=("embedded", "indextts2"),
                   help="speech backend the project renders with (recorded in the project)")
    n.add_argument("--force", action="store_true", help="overwrite an existing project file")
    tg = n.add_argument_group("from the source's own dialogue (needs: " + "pip install 'dubline[transcribe]')")
    tg.add_argument("--transcribe", action="store_true",
                    help="transcribe the media's dialogue: one region per original line, one track per actor")
    tg.add_argument("--language", default="auto", choices=("auto", "zh", "en"),
                    help="language of the original dialogue (default auto: Chinese or English, per passage)")
    tg.add_argument("--dub-language", choices=("zh", "en"),
                    help="language of the dub; lines already in it keep the original as their starting text")
    tg.add_argument("--dub-text", default="auto", choices=("auto", "original", "empty"),
                    help="starting dub text: the original line (when the languages match, for auto), or empty")
    tg.add_argument("--actors", type=int, metavar="N",
                    help="how many speakers the original has (default: found from their voices)")


def _add_voice(sub, p: argparse.ArgumentParser) -> None:
    vo = sub_parser(sub, p, "voice", "the voice library: clone a voice from a recording, list, show, remove")
    vsub = vo.add_subparsers(dest="voice_command", required=True)
    va = sub_parser(vsub, p, "add", "clone a voice from 3-30 s of speech (audio or video file)")
    va.add_argument("name")
    va.add_argument("reference", help="a recording of the voice (wav, flac, mp3, or a video's audio)")
    va.add_argument("--consent", default="", help="who agreed to this voice being cloned, and for what (required)")
    va.add_argument("--force", action="store_true", help="replace an existing voice of that name")
    va.add_argument("--project", metavar="P.dubline",
                    help="store the voice with this project (in its voices/ folder) instead of the user library")
    for cmd_name, help_text in (("show", "a voice's details as JSON"), ("remove", "delete a voice")):
        sub_parser(vsub, p, cmd_name, help_text).add_argument("name")
    sub_parser(vsub, p, "list", "stock and cloned voices")


def _add_keyframes(sub, p: argparse.ArgumentParser) -> None:
    k = sub_parser(sub, p, "keyframes", "detect shot cuts and strong visual changes in a video")
    k.add_argument("video", help="the video file")
    k.add_argument("--json", action="store_true", help="print the candidates as JSON")
    k.add_argument("-o", "--output", help="write them as a keyframe CSV (frame,name) for `dubline new --keyframes`")
    k.add_argument("--force", action="store_true", help="allow -o to replace the video or a project file")


def _add_render(sub, p: argparse.ArgumentParser) -> None:
    r = sub_parser(sub, p, "render", "render a project headlessly")
    r.add_argument("project", help="a .dubline project file")
    r.add_argument("-o", "--output", required=True,
                   help="output file, or folder for stems/clips (format from --format or the file suffix)")
    r.add_argument("--format", choices=("wav", "flac", "mp4", "mkv", "srt", "vtt", "ass", "otio", "fcpxml", "xml",
                                        "edl", "aaf", "stems", "clips"),
                   help="wav/flac mix, mp4/mkv video with the dub muxed in, srt/vtt/ass subtitles of the dub "
                        "lines (speech timings), a timeline for an editor (otio, fcpxml: Final Cut Pro X, "
                        "xml: Final Cut Pro 7 / Premiere / Resolve, edl: CMX 3600, aaf: Avid), stems "
                        "(dub + per track), clips (one file per region)")
    r.add_argument("--keep-original-audio", action="store_true", help="mp4/mkv: keep the source audio as track 2")
    r.add_argument("--force", action="store_true",
                   help="allow the output to replace the project, its media or another file the render reads")
    r.add_argument("--consent", metavar="TEXT",
                   help="for regions whose voice is a recording: who agreed to it being cloned, and for what")
    la = r.add_argument_group("delivery (audio formats: wav, flac, mp4, mkv, stems; every export is measured)")
    la.add_argument("--loudness", metavar="TARGET",
                    help="normalise to ebu (-23 LUFS, -1 dBTP), atsc (-24 LKFS, -2 dBTP), web (-16 LUFS, -1 dBTP) "
                         "or a number of LUFS (ceiling -1 dBTP); default: measure only")
    la.add_argument("--true-peak", type=float, metavar="DBTP",
                    help="true-peak ceiling of the limiter (default the preset's, else -1 dBTP)")
    la.add_argument("--sample-rate", type=int, metavar="HZ", help="sample rate (default the project's, 48000)")
    la.add_argument("--bit-depth", type=int, choices=(16, 24, 32), default=24,
                    help="16 or 24-bit PCM (TPDF-dithered) or 32-bit float (default 24)")
    la.add_argument("--mono", action="store_true", help="a mono mix (default stereo: the source kept stereo, "
                    "each dub track placed by its pan)")
    r.add_argument("--json", action="store_true",
                   help="print what was written and the loudness readings as JSON")
    add_indextts2_args(r)


def _add_batch(sub, p: argparse.ArgumentParser) -> None:
    from cli.batch import add_batch

    add_batch(sub, p)


def _add_edit(sub, p: argparse.ArgumentParser) -> None:
    ed = sub_parser(sub, p, "edit", "open the editor")
    ed.add_argument("project", nargs="?")


def cmd_say(args) -> int:
    from engine import DurationSpec, SynthesisRequest
    from engine import voices as vl
    from engine.api import get_engine
    from engine.audio_io import write_audio
    from project.paths import guard_output

    if not args.output and not args.phonemes and not args.json:
        raise UserError("say needs -o OUTPUT.wav (or --phonemes / --json)")
    if vl.looks_like_recording(args.voice):
        if not (args.consent or "").strip():
            raise UserError(f"cloning the voice in {Path(args.voice).name} needs its owner's permission: "
                            "add --consent \"who agreed, and for what\"")
        vl.grant_consent(args.voice, args.consent)
    if args.output:
        out = Path(args.output)
        if out.suffix.lower() not in (".wav", ".flac", ".ogg"):
            raise UserError(f"cannot write {out.name}: use a .wav or .flac file name")
        if not (out.parent if str(out.parent) else Path(".")).is_dir():
            raise UserError(f"cannot write {out}: the folder {out.parent} does not exist")
        if out.exists() and not os.access(out, os.W_OK) or not os.access(out.parent if str(out.parent) else ".", os.W_OK):
            raise UserError(f"cannot write {out}: permission denied")
        guard_output(out, [("the voice recording", args.voice if vl.looks_like_recording(args.voice) else None),
                           ("the emotion clip", args.emotion_audio)], args.force)
    if args.duration is not None:
        spec = DurationSpec.exact(args.duration, tuple(args.anchor))
    elif args.duration_ratio is not None:
        spec = DurationSpec("ratio", ratio=args.duration_ratio, max_tokens=args.max_tokens)
    else:
        spec = DurationSpec("free", max_tokens=args.max_tokens)
    if args.anchor and args.duration is None:
        raise UserError("--anchor needs --duration (anchors pin words inside an exact-length line)")
    if args.duration is not None and args.max_tokens is not None:
        spec = DurationSpec("exact", seconds=args.duration, max_tokens=args.max_tokens, anchors=tuple(args.anchor))
    req = SynthesisRequest(text=args.text, voice=args.voice, duration=spec, glossary=_parse_glossary(args.glossary),
                           emotion=_emotion_spec(args))
    req.validate()
    if args.backend == "indextts2":
        eng = get_engine("indextts2", args.device, settings=indextts2_settings(args))
    else:
        eng = get_engine("embedded", args.device)
    if args.phonemes and not args.output and not args.json:
        print(eng.phonemes(req.text, req.glossary))
        return 0
    res = eng.generate(req)
    if args.output:
        write_audio(args.output, res.audio, res.sample_rate, comment=f"synthetic speech (Dubline, voice {res.voice})")
    if args.phonemes:
        print(res.phonemes)
    if args.json:
        meta = res.metadata()
        if args.output:
            meta["output"] = str(args.output)
        print(json.dumps(meta, ensure_ascii=False, indent=2))
    for w in res.warnings + unspoken_warnings(req.text):
        print(f"dubline: warning: {w}", file=sys.stderr)
    return 0


#: Letters of these scripts are read; any other letter is dropped by the text front end.
_SPOKEN_SCRIPTS = ("LATIN", "CJK", "FULLWIDTH LATIN", "IDEOGRAPHIC", "BOPOMOFO", "MODIFIER LETTER")


def unspoken_warnings(text: str) -> list[str]:
    """A warning naming the letters the engine drops (Cyrillic, Arabic, kana, Hangul, ...): only
    Chinese and English are spoken, and silence should not come as a surprise."""
    import unicodedata

    dropped: dict[str, None] = {}
    for c in text:
        if unicodedata.category(c).startswith("L") and not unicodedata.name(c, "").startswith(_SPOKEN_SCRIPTS):
            dropped.setdefault(c)
    if not dropped:
        return []
    chars = "".join(list(dropped)[:24]) + ("..." if len(dropped) > 24 else "")
    scripts = sorted({unicodedata.name(c, "?").split()[0].title() for c in dropped})
    return [f"not spoken (only Chinese and English are read): {chars} ({', '.join(scripts)})"]


def _emotion_spec(args):
    from engine import EmotionSpec
    from engine.emotion import parse_vector

    vector = parse_vector(args.emotion_vector) if args.emotion_vector else None
    if args.emotion_audio:
        from project.paths import check_readable_file
        from project.render_core import MAX_EMOTION_CLIP_BYTES

        try:
            check_readable_file(args.emotion_audio, MAX_EMOTION_CLIP_BYTES, "emotion clip", UserError)
        except UserError as e:
            raise UserError(str(e).replace(": no such file", " not found")) from None
    return EmotionSpec(vector=vector, text=args.emotion_text or None,
                       audio=str(Path(args.emotion_audio).resolve()) if args.emotion_audio else None,
                       from_line=bool(args.emotion_from_line), intensity=float(args.emotion_intensity))


def cmd_voices(args) -> int:
    from engine.api import get_engine

    for name in get_engine().voices():
        print(name)
    return 0


def cmd_demo(args) -> int:
    from project.demo import render_demo

    out = render_demo(Path(args.output), progress=lambda m: print(m, file=sys.stderr))
    print(out)
    return 0


def cmd_new(args) -> int:
    from project import model as pj
    from project.importers import SubtitleImportError, import_subtitles, plain_text_regions

    path = Path(args.project)
    if not path.name or path.name in (".", "..") or path.is_dir():
        raise UserError(f"{args.project} is a folder: give the project a file name, e.g. {Path(args.project) / 'episode.dubline'}")
    if path.suffix != pj.SUFFIX:
        path = path.with_name(path.name + pj.SUFFIX)
    if path.exists() and not args.force:
        raise UserError(f"{path} already exists (use --force to overwrite)")
    if not (path.parent if str(path.parent) else Path(".")).is_dir():
        raise UserError(f"cannot create {path}: the folder {path.parent} does not exist")
    from engine.api import get_engine

    if args.voice not in get_engine().voices():
        raise UserError(f"unknown voice {args.voice!r}; available: {', '.join(get_engine().voices())}")
    proj = pj.Project()
    proj.backend = args.backend
    proj.tracks[0].default_voice = args.voice
    if args.media:
        from project.media import MediaError, probe

        media = Path(args.media)
        try:
            info = probe(str(media))
        except MediaError as e:
            raise UserError(str(e)) from None
        proj.media = pj.MediaRef(abs_path=str(media.resolve()), has_video=info.has_video,
                                 duration=float(info.duration or 0.0))
        if info.has_video and info.fps:
            proj.fps = float(info.fps)
        if info.is_vfr:
            print("dubline: warning: variable frame rate video: frame numbers are approximate", file=sys.stderr)
    if args.transcribe:
        _transcribe_into(proj, args)
    if args.subtitles:
        try:
            report = import_subtitles(args.subtitles, proj, default_voice=args.voice,
                                      track_per_actor=args.track_per_actor)
        except SubtitleImportError as e:
            raise UserError(str(e)) from None
        proj.tracks = report.tracks
        for t in proj.tracks:
            t.default_voice = t.default_voice or args.voice
        for note in report.notes:
            print(f"dubline: {note}", file=sys.stderr)
    if args.text:
        try:
            text = Path(args.text).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise UserError(f"cannot read {args.text}: {getattr(e, 'strerror', None) or e}") from None
        start = max((r.end for _, r in proj.all_regions()), default=0.0)
        regions = plain_text_regions(text, start + (0.5 if start else 0.0), args.voice, engine=get_engine(),
                                     glossary=tuple(sorted(proj.glossary.items())))
        proj.tracks[-1].regions.extend(regions)
    if args.keyframes:
        from project.keyframes import KeyframeError, load_keyframes

        try:
            kfs = load_keyframes(args.keyframes, proj.fps)
        except KeyframeError as e:
            raise UserError(str(e)) from None
        proj.markers.extend(pj.Marker(time=k.seconds, name=k.name or f"K{i + 1}", kind="keyframe", color="#3498db")
                            for i, k in enumerate(kfs))
    try:
        pj.save(proj, path, backup=False)
    except pj.ProjectError as e:
        raise UserError(str(e)) from None
    n = sum(len(t.regions) for t in proj.tracks)
    print(f"{path} ({n} regions on {len(proj.tracks)} track(s))")
    return 0


def _transcribe_into(proj, args) -> None:
    """``dubline new --transcribe``: the media's dialogue as regions on one track per actor."""
    from cli.progress import ProgressBar
    from project import dub_from_source as dfs
    from project.transcribe import Options, TranscribeError, check_available

    if not args.media:
        raise UserError("--transcribe needs --media VIDEO (the file whose dialogue to transcribe)")
    if args.actors is not None and not 1 <= args.actors <= 50:
        raise UserError(f"--actors {args.actors}: give 1 to 50 speakers")
    try:
        check_available()
        audio = dfs.load_source_audio(str(Path(args.media).resolve()))
        bar = ProgressBar(1000, "transcribe", unit="‰")
        result = dfs.transcribe_source(audio, proj.fps, Options(language=args.language),
                                       dub_language=args.dub_language, dub_text=args.dub_text,
                                       n_actors=args.actors, media_path=str(Path(args.media).resolve()),
                                       progress=lambda f, m: bar.update(int(1000 * f), m))
        bar.close()
    except TranscribeError as e:
        raise UserError(str(e)) from None
    dfs.apply_to_new_project(proj, result)
    t = result.transcript
    print(f"dubline: transcribed {t.speech_seconds:.0f} s of speech in {len(t.lines)} lines "
          f"({t.language or 'no speech'}), {len(result.tracks)} actor(s)", file=sys.stderr)


def cmd_keyframes(args) -> int:
    import json

    from project.keyframes import KeyframeError, detect_keyframes
    from project.media import MediaError
    from project.model import atomic_write_text
    from project.paths import guard_output

    if args.output:
        out = Path(args.output)
        if out.is_dir():
            raise UserError(f"cannot write {out}: it is a folder")
        if not (out.parent if str(out.parent) else Path(".")).is_dir():
            raise UserError(f"cannot write {out}: the folder {out.parent} does not exist")
        guard_output(out, [("the video", args.video)], args.force)
    from cli.progress import ProgressBar
    from project.media import probe

    try:
        total = int(probe(args.video).frame_count or 0) or 1000  # unknown count: per mille
    except (MediaError, AttributeError, TypeError, ValueError):
        total = 1000
    bar = ProgressBar(total, "keyframes", unit="frames")
    try:
        found = detect_keyframes(args.video, progress=lambda f: bar.update(round(f * total)))
    except (KeyframeError, MediaError) as e:
        raise UserError(str(e)) from None
    finally:
        bar.close()
    if args.output:
        lines = ["frame,name"] + [f"{c.frame},{c.kind}" for c in found]
        atomic_write_text(Path(args.output), "\n".join(lines) + "\n", backup=False)  # ProjectError: one line
    if args.json:
        print(json.dumps([{"frame": c.frame, "seconds": round(c.seconds, 6), "kind": c.kind,
                           "strength": round(c.score, 2)} for c in found], indent=2))
    elif not args.output:
        for c in found:
            print(f"{c.frame}\t{c.seconds:.3f}\t{c.kind}\t{c.score:.1f}")
    return 0


def cmd_voice(args) -> int:
    import json

    from engine import voices as vl
    from engine.errors import RequestError

    if args.voice_command == "list":
        from engine.api import get_engine

        eng = get_engine()
        for v in eng.stock_voices():
            print(f"{v}\tstock")
        for n in vl.names():
            try:
                t = vl.load(n)
            except RequestError as e:  # one damaged file must not hide the others
                print(f"{n}\tdamaged ({e})")
                continue
            if t is not None:
                print(f"{n}\tcloned {t.meta.get('created', '')}  similarity {t.meta.get('similarity', '?')}")
        return 0
    if args.voice_command in ("show", "remove") and not vl.is_voice_name(args.name):
        raise UserError(f"{args.name[:60]!r} is not a voice name (see `dubline voice list`)")
    if args.voice_command == "show":
        t = vl.load(args.name)
        if t is None:
            raise UserError(f"no voice named {args.name}")
        print(json.dumps({"name": t.name, "blend": t.weights, "pitch_shift_semitones": round(t.pitch_shift, 3),
                          **t.meta}, ensure_ascii=False, indent=2))
        return 0
    if args.voice_command == "remove":
        vl.remove(args.name)
        print(f"removed {args.name}")
        return 0
    from engine.api import get_engine

    eng = get_engine()
    name = vl.check_name(args.name, eng.stock_voices())
    project = None
    if args.project:
        from project import model as pj

        try:
            project = pj.load(args.project)
        except pj.ProjectError as e:
            raise UserError(str(e)) from None
        folder = Path(args.project).resolve().parent / "voices"
        if any(v.name == name for v in project.voices) and not args.force:
            raise UserError(f"the project already has a voice named {name} (use --force to replace it)")
    elif vl.load(name) is not None and not args.force:
        raise UserError(f"a voice named {name} exists (use --force to replace it)")

    def report(f: float, msg: str) -> None:
        print(f"\r{100 * f:3.0f}%  {msg:<40}", end="", file=sys.stderr, flush=True)

    import time

    t0 = time.perf_counter()
    try:
        t = vl.enroll(eng, name, args.reference, args.consent, progress=report)
    finally:
        print(file=sys.stderr)
    if project is not None:
        from project import model as pj

        path = vl.save(t, folder)
        project.voices = [v for v in project.voices if v.name != name] + [pj.VoiceRef(name, f"voices/{path.name}")]
        pj.save(project, args.project)
    else:
        path = vl.save(t)
    for w in t.meta.get("warnings", []):
        print(f"dubline: warning: {w}", file=sys.stderr)
    print(f"{name}: enrolled in {time.perf_counter() - t0:.0f} s (speaker similarity on the probe lines "
          f"{t.meta['similarity']:.2f}); saved to {path}")
    return 0


def cmd_render(args) -> int:
    from project.export import FORMATS, SUFFIX_FORMATS, ExportOptions, export_project

    indextts2_settings(args).to_env()  # a project set to IndexTTS2 renders with these
    out = Path(args.output)
    fmt = args.format or SUFFIX_FORMATS.get(out.suffix.lower(), "")
    if fmt not in FORMATS:
        raise UserError(f"cannot tell the format of {out.name}: add --format {'|'.join(FORMATS)}")
    folder = out if fmt in ("stems", "clips") else out.parent
    if fmt not in ("stems", "clips") and not (folder if str(folder) else Path(".")).is_dir():
        raise UserError(f"cannot write {out}: the folder {folder} does not exist")
    options = ExportOptions.make(args.loudness, args.true_peak, args.sample_rate, args.bit_depth,
                                 1 if args.mono else 2, args.keep_original_audio)
    from cli.progress import StepProgress

    progress = StepProgress("render", unit="lines")
    # DublineError (project, render, export, media) becomes one line in main()
    try:
        report = export_project(Path(args.project), fmt, out, progress=progress.message, force=args.force,
                                consent=args.consent, options=options, step=progress.step)
    finally:
        progress.close()
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    elif report.folder is not None:
        for p in report.outputs:
            print(p)
    else:
        print(report.path)
    if report.loudness is not None:
        print(f"dubline: {report.summary()}", file=sys.stderr)
    for w in report.warnings:
        print(f"dubline: warning: {w}", file=sys.stderr)
    return 0


def _cmd_batch(args) -> int:
    from cli.batch import cmd_batch

    return cmd_batch(args)


def _has_display() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or os.environ.get(
            "QT_QPA_PLATFORM", ""
        ) in ("offscreen", "minimal")
    return True


def cmd_edit(args) -> int:
    if args.project:
        p = Path(args.project)
        try:
            exists = p.is_file()
        except (OSError, ValueError):
            exists = False
        if not exists:
            raise UserError(f"{short(str(p))}: no such project file" + ("" if p.suffix else
                            " (commands: say, new, render, batch, voice, voices, keyframes, demo)"))
    if not _has_display():
        if args.project:
            raise UserError(f"no display found to open {p.name}: render it headlessly with "
                            f"`dubline render {args.project} -o mix.wav`")
        print("dubline: no display found: rendering the demo headlessly instead", file=sys.stderr)
        ns = argparse.Namespace(output="out/demo")
        return cmd_demo(ns)
    try:
        from editor.app import run_editor
    except ImportError as e:
        from editor.qt_platform import import_failure_message

        if (msg := import_failure_message(e)) is not None:  # Qt is there, a system library it needs is not
            return _fail(msg)
        print("dubline: the editor is not available in this build: rendering the demo headlessly", file=sys.stderr)
        return cmd_demo(argparse.Namespace(output="out/demo"))
    return run_editor(args.project)


def main(argv: list[str] | None = None) -> int:
    from engine.errors import EngineError
    from project.errors import DublineError

    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"say", "voices", "demo", "new", "render", "batch", "keyframes", "voice", "edit", "-h", "--help"}
    if not argv or argv[0] not in commands:
        argv = ["edit", *argv]
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, or a usage error already printed as one line
        return int(e.code or 0)
    handlers = {"say": cmd_say, "voices": cmd_voices, "demo": cmd_demo, "new": cmd_new, "render": cmd_render,
                "batch": _cmd_batch,
                "keyframes": cmd_keyframes, "voice": cmd_voice,
                "edit": cmd_edit}
    try:
        return handlers[args.command](args)
    except (UserError, EngineError, DublineError) as e:  # one error base per floor, one line each
        return _fail(_one_line(e))
    except KeyboardInterrupt:
        return _fail("interrupted")
    except BrokenPipeError:
        return 0
    except OSError as e:  # the file system refused something a floor did not expect to fail
        where = f"{short(str(e.filename))}: " if e.filename else ""
        return _fail(f"{where}{e.strerror or e}")
    except MemoryError:
        return _fail("not enough memory for this (is an input far larger than it should be?)")


def _one_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    first = text.splitlines()[0]
    return first if len(first) <= 400 else first[:397] + "..."


if __name__ == "__main__":
    raise SystemExit(main())
