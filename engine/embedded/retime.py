"""Re-timing finished audio: the compression of a line rendered at its natural
pace (engine/embedded/tempo.py), the gentle warp that puts anchored word
starts on their exact samples (engine/embedded/warp.py), and the fill that
moves a line's last sound to where its release begins; the word timings are
moved through the same time map."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine import duration as dur
from engine.embedded.heard import audible_mask, quiet_runs
from engine.embedded.tempo import tempo_map
from engine.embedded.warp import map_samples, warp_to_boundaries

SAMPLE_RATE = dur.SAMPLE_RATE
FRAME = dur.FRAME_SAMPLES


def token_starts(frames: np.ndarray) -> np.ndarray:
    """Each token's first frame."""
    return np.concatenate([[0], np.cumsum(frames)[:-1]]).astype(np.int64)


def anchor_points(frames: np.ndarray, spec_anchors, anchors, in_len: int, out_len: int):
    """The fixed points of a line's re-timing: each anchored token's start in the rendered audio (its frame
    boundary) and its exact sample in the output, kept while both increase.  Returns ``(src, dst, marks)``:
    the points from 0, without the ends; ``marks`` is ``(char index, source sample, output sample or None
    when it could not be pinned)`` per anchor."""
    starts = token_starts(frames)
    src, dst, marks = [0], [0], []
    for (ci, sec), (tok, _pos, _lbl) in zip(sorted(spec_anchors or ()), sorted(anchors, key=lambda a: a[0]),
                                            strict=False):
        s_at = int(starts[tok]) * FRAME
        t_at = min(int(round(float(sec) * SAMPLE_RATE)), out_len - 1)
        pinned = src[-1] < s_at < in_len and dst[-1] < t_at
        if pinned:
            src.append(s_at)
            dst.append(t_at)
        marks.append((int(ci), s_at, t_at if pinned else None))
    return src, dst, marks


def map_timings(timings, src: list[int], dst: list[int]):
    """``timings`` moved through the piecewise-linear time map ``src -> dst`` (samples)."""
    return [
        replace(u, start_seconds=float(map_samples(u.start_seconds * SAMPLE_RATE, src, dst)) / SAMPLE_RATE,
                end_seconds=float(map_samples(u.end_seconds * SAMPLE_RATE, src, dst)) / SAMPLE_RATE)
        for u in timings
    ]


def pin_anchors(speech: np.ndarray, timings, frames: np.ndarray, spec_anchors, anchors):
    """The plan puts each anchored start on the nearest 25 ms frame; a gentle piecewise re-timing moves it onto
    its exact sample (engine/embedded/warp.py).  Returns (speech, timings, [(char index, seconds achieved)])."""
    length = len(speech)
    src, dst, marks = anchor_points(frames, spec_anchors, anchors, length, length)
    achieved = [(ci, (s_at if t_at is None else t_at) / SAMPLE_RATE) for ci, s_at, t_at in marks]
    src.append(length)
    dst.append(length)
    if src != dst:
        speech = warp_to_boundaries(speech, src, dst)
        timings = map_timings(timings, src, dst)
    return speech, timings, achieved


def scale_anchors(anchors, factor: float):
    """Anchors ``(token, frame, label)`` of a compressed line at the natural pace it is rendered at."""
    if not anchors:
        return anchors
    return [(tok, int(round(pos * factor)), label) for tok, pos, label in anchors]


def compress(speech: np.ndarray, timings, plan: dur.Plan, spec_anchors, anchors, out_len: int):
    """A line rendered at its natural pace (``plan``), compressed to ``out_len`` samples by WSOLA.

    The time map is uniform between its fixed points: every anchored word start on its
    exact sample, and the release after the last word kept at its length (it is air, not
    speech).  Returns (speech, timings, [(char index, seconds achieved)]).
    """
    length = len(speech)
    src, dst, marks = anchor_points(plan.frames, spec_anchors, anchors, length, out_len)
    release = plan.tail.release_frames * FRAME if plan.tail is not None else 0
    if release and src[-1] < length - release and dst[-1] < out_len - release:
        src.append(length - release)
        dst.append(out_len - release)
    src.append(length)
    dst.append(out_len)
    speech = tempo_map(speech, src, dst)
    achieved = [(ci, float(map_samples(s_at, src, dst)) / SAMPLE_RATE) for ci, s_at, _t in marks]
    return speech, map_timings(timings, src, dst), achieved


#: The last heard sound may end this far before the release without being moved.
FILL_SLACK_SECONDS = 0.020
#: The largest rate change of the re-timing (a short line cannot be slowed more).
FILL_MAX_RATE = 1.25
#: A silence inside the line this long, at a punctuation pause, takes the time instead.
FILL_PAUSE_SECONDS = 0.060


def fill_to_release(audio: np.ndarray, units: list, release: int, floor: int = 0):
    """``(audio, units)`` with the last heard sound moved to ``release`` samples before the end.

    A stretched line's last syllable can fade below :data:`engine.embedded.heard.AUDIBLE_DB`
    frames before its planned end (the prosody model hears it longer than the
    waveform does), so the line falls silent early.  The missing time goes to
    the longest silence at a punctuation pause inside the line (after sample
    ``floor``, an anchored word's start), which is lengthened; without one, to
    everything heard after the first sound (or ``floor``), re-timed evenly by
    WSOLA, at most :data:`FILL_MAX_RATE` slower.  The silence after the last
    sound is shortened by as much: the length is unchanged.  Why pauses first:
    speech re-timed to fill the gap cost Mandarin CER at 1.3x on development
    lines (the last 0.4 s: jf_nezumi 0.090 -> 0.109; the whole line: 0.090 ->
    0.102), a longer pause leaves the words' samples as they are
    (benchmarks/README.md, "Speech fills its region").  ``units`` (UnitTiming)
    follow the same time map.
    """
    heard, hop = audible_mask(audio, SAMPLE_RATE)
    idx = np.flatnonzero(heard)
    n = len(audio)
    if not len(idx):
        return audio, units
    end = (int(idx[-1]) + 1) * hop
    start = max(int(floor), int(idx[0]) * hop)
    gap = n - release - end
    if gap < FILL_SLACK_SECONDS * SAMPLE_RATE or end <= start:
        return audio, units
    pause = _longest_pause(heard, hop, units, start, end)
    if pause is not None:  # stretch the silence between two fixed points inside it
        a, b = pause
        src, dst = [0, a, b, n - gap], [0, a, b + gap, n]
        m = min(512, a)
        piece = tempo_map(audio[a - m : b + 512], [0, m, b - a + m, b - a + m + 512],
                          [0, m, b - a + m + gap, b - a + m + 512 + gap])
        out = np.concatenate([audio[: a - m], piece, audio[b + 512 : n - gap]])
        return out.astype(np.float32), map_timings(units, src, dst)
    gap = min(gap, int((end - start) * (FILL_MAX_RATE - 1.0)))
    if gap < FILL_SLACK_SECONDS * SAMPLE_RATE:
        return audio, units
    # re-time only the piece from a little before ``start``; a fixed point at ``start`` copies it unchanged
    lead = min(start, 512)
    a = start - lead
    piece = tempo_map(audio[a:], [0, lead, end - a, n - a], [0, lead, end + gap - a, n - a]) if lead else \
        tempo_map(audio, [0, end, n], [0, end + gap, n])
    out = np.concatenate([audio[:a], piece]).astype(np.float32)
    src, dst = ([0, start] if start else [0]) + [end, n], ([0, start] if start else [0]) + [end + gap, n]
    return out, map_timings(units, src, dst)


def _longest_pause(heard: np.ndarray, hop: int, units: list, lo: int, hi: int) -> tuple[int, int] | None:
    """(first, last sample) of the middle of the longest silent run between samples ``lo`` and ``hi`` that
    overlaps a punctuation pause of ``units`` and lasts :data:`FILL_PAUSE_SECONDS`; up to 25 ms of it are
    kept at either side (the decays and onsets around it are not touched)."""
    pauses = [(u.start_seconds * SAMPLE_RATE, u.end_seconds * SAMPLE_RATE) for u in units if u.kind == "pause"]
    runs = [(k * hop, j * hop) for k, j in quiet_runs(heard, lo // hop + 1, hi // hop)]
    runs = [(a, b) for a, b in runs
            if b - a >= FILL_PAUSE_SECONDS * SAMPLE_RATE and any(p0 < b and a < p1 for p0, p1 in pauses)]
    if not runs:
        return None
    best = max(runs, key=lambda r: r[1] - r[0])
    keep = min(int(0.025 * SAMPLE_RATE), (best[1] - best[0]) // 4)
    return best[0] + keep, best[1] - keep
