#!/usr/bin/env python3
"""Generate the demo media and project: resources/demo/demo.mp4 and resources/demo/demo.dubline.

The clip (16 s, 25 fps, 640x360, H.264 + AAC) is a cartoon character drawn
with OpenCV whose mouth opens and flaps while each line of
resources/demo/lines.json is spoken, with the frame number and timecode burned
in a corner.  Its audio is quiet room tone plus a buzzy "original voice"
during each line, so the source waveform shows where the lines are.

The project holds the lines as regions on a Chinese and an English dub track
and a marker at each frame where the mouth opens.

Output is deterministic (single-threaded encoder, seeded noise, fixed ids), so
re-running the script leaves the committed files unchanged.

    python scripts/make_demo.py [--out-dir resources/demo]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.atomic import atomic_path  # noqa: E402
from project import model as pj  # noqa: E402

FPS = 25
W, H = 640, 360
SECONDS = 16
SAMPLE_RATE = 48000
FLAP_HZ = 4.0  # syllables per second while speaking

# BGR colours
SKY_TOP, SKY_BOTTOM = (235, 206, 160), (250, 236, 214)
GROUND = (96, 160, 110)
SKIN, SKIN_EDGE = (150, 190, 240), (70, 100, 150)
SHIRTS = [(180, 110, 60), (60, 110, 200), (150, 80, 160), (70, 150, 90), (60, 160, 210)]
INK = (40, 40, 40)
MOUTH = (60, 40, 150)


def line_frames(lines: list[dict]) -> list[tuple[int, int]]:
    """(first, end) frames of each line: the frame on screen at its start, up to the one at its end."""
    spans = []
    for ln in lines:
        a = int(math.floor(ln["start"] * FPS + 1e-6))
        b = int(math.floor((ln["start"] + ln["duration"]) * FPS + 1e-6))
        spans.append((a, b))
    return spans


def timecode(frame: int) -> str:
    s, f = divmod(frame, FPS)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h:02d}:{m:02d}:{s:02d}:{f:02d}"


def _background() -> np.ndarray:
    img = np.empty((H, W, 3), np.uint8)
    horizon = int(H * 0.72)
    k = np.linspace(0.0, 1.0, horizon)[:, None]
    img[:horizon] = (np.array(SKY_TOP) * (1 - k) + np.array(SKY_BOTTOM) * k).astype(np.uint8)[:, None, :]
    img[horizon:] = GROUND
    cv2.circle(img, (560, 70), 34, (120, 220, 255), -1, cv2.LINE_AA)  # sun
    for x, y, r in ((110, 80, 26), (150, 72, 32), (190, 84, 24)):  # a cloud
        cv2.circle(img, (x, y), r, (255, 255, 255), -1, cv2.LINE_AA)
    return img


def draw_frame(bg: np.ndarray, frame: int, spans: list[tuple[int, int]]) -> np.ndarray:
    img = bg.copy()
    t = frame / FPS
    speaking = next((i for i, (a, b) in enumerate(spans) if a <= frame < b), None)
    openness = 0.0
    if speaking is not None:
        since = (frame - spans[speaking][0]) / FPS
        # wide open on the marked first frame, then flapping
        openness = 0.25 + 0.75 * abs(math.cos(math.pi * FLAP_HZ * since))
    cx, cy = W // 2, 175
    bob = int(round(3 * math.sin(2 * math.pi * 0.5 * t)))
    shirt = SHIRTS[speaking % len(SHIRTS)] if speaking is not None else (150, 150, 150)
    # body and neck
    cv2.ellipse(img, (cx, 330 + bob), (95, 85), 0, 180, 360, shirt, -1, cv2.LINE_AA)
    cv2.rectangle(img, (cx - 18, 235 + bob), (cx + 18, 262 + bob), SKIN, -1)
    # head
    cy += bob
    cv2.ellipse(img, (cx - 78, cy), (14, 22), 0, 0, 360, SKIN, -1, cv2.LINE_AA)  # ears
    cv2.ellipse(img, (cx + 78, cy), (14, 22), 0, 0, 360, SKIN, -1, cv2.LINE_AA)
    cv2.circle(img, (cx, cy), 80, SKIN, -1, cv2.LINE_AA)
    cv2.circle(img, (cx, cy), 80, SKIN_EDGE, 2, cv2.LINE_AA)
    cv2.ellipse(img, (cx, cy - 62), (70, 30), 0, 180, 360, (50, 60, 90), -1, cv2.LINE_AA)  # hair
    # eyes: blink for 3 frames every 3.2 s
    blink = (frame % 80) in (40, 41, 42)
    for ex in (cx - 30, cx + 30):
        if blink:
            cv2.line(img, (ex - 12, cy - 15), (ex + 12, cy - 15), INK, 3, cv2.LINE_AA)
        else:
            cv2.circle(img, (ex, cy - 15), 13, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(img, (ex + 3, cy - 13), 6, INK, -1, cv2.LINE_AA)
    # mouth
    my = cy + 35
    if openness > 0:
        cv2.ellipse(img, (cx, my), (26, max(2, int(22 * openness))), 0, 0, 360, MOUTH, -1, cv2.LINE_AA)
        cv2.ellipse(img, (cx, my), (26, max(2, int(22 * openness))), 0, 0, 360, INK, 2, cv2.LINE_AA)
        # speech waves next to the head
        for k in range(3):
            r = 20 + 14 * k
            cv2.ellipse(img, (cx + 95, my - 10), (r, r), 0, -35, 35, INK, 2, cv2.LINE_AA)
        cv2.putText(img, f"LINE {speaking + 1}", (24, H - 24), cv2.FONT_HERSHEY_SIMPLEX, 0.8, INK, 2, cv2.LINE_AA)
    else:
        cv2.ellipse(img, (cx, my - 6), (24, 10), 0, 20, 160, INK, 3, cv2.LINE_AA)
    # burned-in frame number and timecode
    cv2.rectangle(img, (8, 8), (236, 64), (20, 20, 20), -1)
    cv2.putText(img, f"frame {frame:04d}", (16, 32), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2, cv2.LINE_AA)
    cv2.putText(img, timecode(frame), (16, 56), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (120, 230, 255), 2, cv2.LINE_AA)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def make_audio(spans: list[tuple[int, int]]) -> np.ndarray:
    """Room tone, a low hum, and a syllabic buzz where the character speaks."""
    n = SECONDS * SAMPLE_RATE
    t = np.arange(n) / SAMPLE_RATE
    rng = np.random.default_rng(20240611)
    # pink-ish room tone: white noise shaped by 1/sqrt(f) in the frequency domain
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    spectrum *= 1.0 / np.sqrt(np.maximum(f, 20.0))
    room = np.fft.irfft(spectrum, n)
    audio = 0.03 * room / np.abs(room).max() + 0.008 * np.sin(2 * np.pi * 50 * t)
    for i, (a, b) in enumerate(spans):
        s0, s1 = a * SAMPLE_RATE // FPS, b * SAMPLE_RATE // FPS
        tt = t[s0:s1] - t[s0]
        f0 = 140.0 + 40.0 * (i % 2) + 12.0 * np.sin(2 * np.pi * 0.7 * tt)
        phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
        buzz = sum(np.sin(h * phase) / h for h in range(1, 9))
        syll = np.abs(np.cos(np.pi * FLAP_HZ * tt)) ** 1.5
        fade = np.minimum(1.0, np.minimum(tt, tt[-1] - tt) / 0.03)
        audio[s0:s1] += 0.25 * buzz * syll * fade
    return audio.astype(np.float32)


def write_video(path: Path, lines: list[dict]) -> None:
    spans = line_frames(lines)
    bg = _background()
    with atomic_path(path, mode=0o644) as tmp:  # a shipped resource: readable by all
        c = av.open(str(tmp), "w", format="mp4")
        v = c.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = W, H, "yuv420p"
        v.codec_context.gop_size = 2 * FPS
        # threads=1: x264 output is then byte-identical run to run
        v.options = {"preset": "medium", "crf": "28", "threads": "1", "sc_threshold": "0"}
        a = c.add_stream("aac", rate=SAMPLE_RATE)
        a.layout = "mono"
        a.bit_rate = 64000
        for f in range(SECONDS * FPS):
            frame = av.VideoFrame.from_ndarray(draw_frame(bg, f, spans), format="rgb24")
            frame.pts, frame.time_base = f, Fraction(1, FPS)
            for p in v.encode(frame):
                c.mux(p)
        for p in v.encode():
            c.mux(p)
        audio = make_audio(spans)
        step = 1024
        for i in range(0, len(audio), step):
            fr = av.AudioFrame.from_ndarray(audio[None, i:i + step].copy(), format="fltp", layout="mono")
            fr.sample_rate, fr.pts = SAMPLE_RATE, i
            for p in a.encode(fr):
                c.mux(p)
        for p in a.encode():
            c.mux(p)
        c.close()


_CJK = re.compile(r"[\u3400-\u9fff]")


def build_project(lines: list[dict], media_name: str, duration: float) -> pj.Project:
    zh = pj.Track(id="track-zh", name="Dub zh", default_voice="jf_alpha", regions=[])
    en = pj.Track(id="track-en", name="Dub en", default_voice="jm_kumo", regions=[])
    markers = []
    for i, (ln, (a, _)) in enumerate(zip(lines, line_frames(lines), strict=True), 1):
        track = zh if _CJK.search(ln["text"]) else en
        track.regions.append(pj.Region(
            id=f"line-{i:02d}", start=float(ln["start"]), end=round(ln["start"] + ln["duration"], 6),
            text=ln["text"], voice=ln.get("voice"), duration_mode="fit",
        ))
        markers.append(pj.Marker(id=f"mouth-{i:02d}", time=a / FPS, name=f"mouth opens (line {i})"))
    return pj.Project(
        fps=float(FPS), sample_rate=SAMPLE_RATE,
        media=pj.MediaRef(path=media_name, abs_path="", has_video=True, duration=round(duration, 6)),
        tracks=[zh, en], markers=markers,
        view=pj.ViewState(pixels_per_second=60.0, scroll_seconds=0.0, selected_region=None, playhead=0.0),
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", type=Path, default=ROOT / "resources" / "demo")
    ap.add_argument("--lines", type=Path, default=ROOT / "resources" / "demo" / "lines.json")
    args = ap.parse_args(argv)
    lines = json.loads(args.lines.read_text(encoding="utf-8"))["lines"]
    if max(ln["start"] + ln["duration"] for ln in lines) > SECONDS:
        print(f"error: the demo lines run past {SECONDS} s", file=sys.stderr)
        return 2
    args.out_dir.mkdir(parents=True, exist_ok=True)
    video = args.out_dir / "demo.mp4"
    write_video(video, lines)
    from project.media import probe

    info = probe(video)
    project = build_project(lines, video.name, info.duration)
    # dumps + atomic write rather than project.save(): save() also records the
    # absolute media path, which would put this machine's folders in a committed file.
    out = args.out_dir / "demo.dubline"
    pj.atomic_write_text(out, pj.dumps(project), backup=False)
    os.chmod(out, 0o644)
    pj.loads(out.read_text(encoding="utf-8"))  # it must reopen
    print(f"{video} ({video.stat().st_size / 1024:.0f} KiB, {info.duration:.2f} s, "
          f"{info.width}x{info.height} @ {info.fps:g} fps)")
    print(f"{out} ({sum(len(t.regions) for t in project.tracks)} regions, {len(project.markers)} markers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
