"""Keyframes: lists a user imports, and candidates detected in the video.

No Qt here (the CLI and benchmarks use it too).

Keyframe files
--------------
CSV: one keyframe per row; the first column is a frame number (``120``) or a
timecode (``00:00:04:20`` at the project's frame rate, ``00:00:04;20``
drop-frame at 29.97/59.94; read by ``project.timecode``, the one parser), or
seconds with a decimal point / ``s`` suffix: ``4.8``, ``4.8s``; an optional
second column names it. A header row and ``#`` comment lines are skipped.

JSON: a list of frame numbers / timecode strings, or of objects with one of
``frame``, ``time`` (seconds) or ``timecode`` and optionally ``name``; or an
object ``{"fps": 24, "keyframes": [...]}`` whose ``fps`` overrides the
project's for frame numbers.

Detection
---------
Shot cuts and strong visual changes are found by decoding the video at a small
size (every frame, 96 px high) and scoring each frame against the previous one
with two cheap signals: the Bhattacharyya distance of HSV colour histograms
(robust to motion, jumps at cuts) and the mean absolute luma difference
(catches flashes and big changes).  A frame is a candidate when its score
stands far above the local level (median + ``k`` x MAD over a two-second
window) and is the maximum within ``min_gap`` seconds.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from project.errors import DublineError


class KeyframeError(DublineError, ValueError):
    """A keyframe file or video that cannot be used (one line, names the place)."""


@dataclass(frozen=True)
class Keyframe:
    seconds: float
    name: str = ""


@dataclass(frozen=True)
class Candidate:
    seconds: float
    frame: int
    score: float  # how far above the local level (in MADs)
    kind: str  # "cut" | "change"


_SECONDS = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)\s*s?$")


def parse_time(value, fps: float, where: str) -> float:
    """Seconds for a frame number, a timecode HH:MM:SS:FF (HH:MM:SS;FF drop-frame) or seconds ("4.8", "4.8s")."""
    if isinstance(value, bool):
        raise KeyframeError(f"{where}: {value!r} is not a frame number or timecode")
    if isinstance(value, int):
        if value < 0:
            raise KeyframeError(f"{where}: frame {value} is negative")
        return value / fps
    if isinstance(value, float):
        if not np.isfinite(value) or value < 0:
            raise KeyframeError(f"{where}: {value!r} is not a time")
        return value
    s = str(value).strip()
    if s.isdigit():
        return int(s) / fps
    if s.count(":") + s.count(";") >= 2:
        from project.timecode import TimecodeError, parse_tc

        try:
            return parse_tc(s, fps)
        except TimecodeError as e:
            raise KeyframeError(f"{where}: timecode {s}: {e}") from None
    m = _SECONDS.match(s)
    if m and ("." in s or s.endswith("s")):
        return float(m.group(1))
    raise KeyframeError(f"{where}: {s!r} is not a frame number, timecode (HH:MM:SS:FF) or seconds (4.8s)")


def parse_keyframes(text: str, fps: float, name: str = "keyframes") -> list[Keyframe]:
    """Keyframes from the text of a CSV or JSON keyframe file (see the module docstring)."""
    if fps <= 0:
        raise KeyframeError("the frame rate must be positive")
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise KeyframeError(f"{name} is empty")
    out: list[Keyframe] = []
    if stripped[0] in "[{":
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as e:
            raise KeyframeError(f"{name}: not valid JSON (line {e.lineno}: {e.msg})") from None
        if isinstance(data, dict):
            if "fps" in data:
                try:
                    fps = float(data["fps"])
                except (TypeError, ValueError):
                    raise KeyframeError(f"{name}: fps must be a number") from None
                if not fps > 0:
                    raise KeyframeError(f"{name}: fps must be positive")
            data = data.get("keyframes")
        if not isinstance(data, list):
            raise KeyframeError(f"{name}: expected a list of keyframes")
        for i, item in enumerate(data):
            where = f"{name} item {i + 1}"
            if isinstance(item, dict):
                label = str(item.get("name", "") or "")
                if "frame" in item:
                    fr = item["frame"]
                    if not isinstance(fr, int) or isinstance(fr, bool):
                        raise KeyframeError(f"{where}: frame must be a whole number")
                    t = parse_time(fr, fps, where)
                elif "time" in item:
                    t = parse_time(float(item["time"]) if isinstance(item["time"], int) else item["time"], fps, where)
                elif "timecode" in item:
                    t = parse_time(str(item["timecode"]), fps, where)
                else:
                    raise KeyframeError(f"{where}: needs frame, time or timecode")
                out.append(Keyframe(t, label))
            else:
                out.append(Keyframe(parse_time(item, fps, where)))
    else:
        rows = list(csv.reader(io.StringIO(stripped)))
        first = True
        for n, row in enumerate(rows, 1):
            cells = [c.strip() for c in row]
            if not cells or not cells[0] or cells[0].startswith("#"):
                continue
            if first and not any(ch.isdigit() for ch in cells[0]):  # a header row ("frame,name")
                first = False
                continue
            first = False
            t = parse_time(cells[0], fps, f"{name} line {n}")
            out.append(Keyframe(t, cells[1] if len(cells) > 1 else ""))
    if not out:
        raise KeyframeError(f"{name} holds no keyframes")
    return sorted(out, key=lambda k: k.seconds)


def load_keyframes(path: str | Path, fps: float) -> list[Keyframe]:
    from project.paths import check_readable_file

    p = check_readable_file(path, 32 << 20, "keyframe file", KeyframeError)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyframeError(f"no such file: {p}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise KeyframeError(f"cannot read {p.name}: {e}") from None
    return parse_keyframes(text, fps, p.name)


# ---------------------------------------------------------------- detection
DETECT_HEIGHT = 96


def frame_scores(path: str | Path, progress: Callable[[float], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-frame change scores against the previous frame: (histogram distance, luma difference, fps)."""
    import cv2

    from project.media import _check_file, _unreadable, video_pass

    p = _check_file(path)
    hist_d: list[float] = []
    luma_d: list[float] = []
    with video_pass(p) as vp:
        fps, total = vp.fps, vp.frame_count
        sh = min(DETECT_HEIGHT, vp.height)
        sw = max(8, int(round(vp.width * sh / vp.height)))
        prev_hist = prev_y = None
        n = 0
        for frame in vp.frames():
            bgr = frame.reformat(width=sw, height=sh, format="bgr24").to_ndarray()
            hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
            hist = cv2.calcHist([hsv], [0, 1], None, [16, 8], [0, 180, 0, 256])
            cv2.normalize(hist, hist, 1.0, 0.0, cv2.NORM_L1)
            y = hsv[:, :, 2].astype(np.float32)
            if prev_hist is None:
                hist_d.append(0.0)
                luma_d.append(0.0)
            else:
                hist_d.append(float(cv2.compareHist(prev_hist, hist, cv2.HISTCMP_BHATTACHARYYA)))
                luma_d.append(float(np.mean(np.abs(y - prev_y))) / 255.0)
            prev_hist, prev_y = hist, y
            n += 1
            if n % 50 == 0:
                if progress:
                    progress(min(1.0, n / total))
                if cancelled and cancelled():
                    raise KeyframeError("detection cancelled")
    if not hist_d:
        raise _unreadable(p)
    if progress:
        progress(1.0)
    return np.asarray(hist_d, np.float64), np.asarray(luma_d, np.float64), float(fps)


def pick_candidates(hist_d: np.ndarray, luma_d: np.ndarray, fps: float, k: float = 8.0,
                    min_gap: float = 0.5, cut_level: float = 0.35) -> list[Candidate]:
    """Frames whose change stands out from their neighbourhood (see the module docstring)."""
    score = 0.7 * hist_d + 0.3 * np.clip(luma_d * 4.0, 0, 1)
    n = len(score)
    if n < 2:
        return []
    half = max(2, int(round(fps)))
    out: list[Candidate] = []
    for i in range(1, n):
        lo, hi = max(1, i - half), min(n, i + half + 1)
        window = np.concatenate([score[lo:i], score[i + 1:hi]])
        if window.size == 0:
            continue
        med = float(np.median(window))
        mad = float(np.median(np.abs(window - med))) * 1.4826 + 0.01
        z = (score[i] - med) / mad
        if z < k or score[i] < 0.08:
            continue
        out.append(Candidate(i / fps, i, float(z), "cut" if hist_d[i] >= cut_level else "change"))
    # keep the strongest within min_gap
    out.sort(key=lambda c: -c.score)
    kept: list[Candidate] = []
    for c in out:
        if all(abs(c.seconds - o.seconds) >= min_gap for o in kept):
            kept.append(c)
    return sorted(kept, key=lambda c: c.seconds)


def detect_keyframes(path: str | Path, progress: Callable[[float], None] | None = None,
                     cancelled: Callable[[], bool] | None = None, **kw) -> list[Candidate]:
    """Shot cuts and strong visual changes in a video, as candidates for keyframes."""
    hist_d, luma_d, fps = frame_scores(path, progress, cancelled)
    return pick_candidates(hist_d, luma_d, fps, **kw)
