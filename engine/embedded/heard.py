"""Timings checked against the waveform: where each word is actually heard.

The plan says when each token starts, in 25 ms frames; the decoder decides
how loud each frame is.  Next to a silence (a pause, the start or the end of
the line) the two differ: a word's last phoneme decays before its planned
frames end, a first consonant starts quietly.  Those edges are moved to what
the audio says, read from a 10 ms energy envelope (as benchmarks/bench_fill.py reads it) against one threshold, the
same everywhere in Dubline: :data:`AUDIBLE_DB` below the line's peak.

Edges between words that run into each other are left where the plan put
them (there is no silence to find), and so are anchored starts, which land
on their exact sample by construction.

Pure functions over numpy arrays; no model here.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

#: A frame is heard when its RMS is within this many dB of the line's peak sample.
AUDIBLE_DB = -45.0
ENVELOPE_SECONDS = 0.010

_SPOKEN = ("zh", "en")


def audible_mask(audio: np.ndarray, sample_rate: int, hop_seconds: float = ENVELOPE_SECONDS,
                 db: float = AUDIBLE_DB) -> tuple[np.ndarray, int]:
    """(heard flag per hop, hop in samples): RMS per hop within ``db`` of the peak."""
    a = np.asarray(audio, dtype=np.float64).reshape(-1)
    hop = max(1, int(round(hop_seconds * sample_rate)))
    n = len(a) // hop
    peak = float(np.max(np.abs(a))) if len(a) else 0.0
    if n == 0 or peak <= 0.0:
        return np.zeros(n, dtype=bool), hop
    rms = np.sqrt(np.mean(a[: n * hop].reshape(n, hop) ** 2, axis=1))
    return rms > peak * 10.0 ** (db / 20.0), hop


def audible_span(audio: np.ndarray, sample_rate: int, hop_seconds: float = ENVELOPE_SECONDS,
                 db: float = AUDIBLE_DB) -> tuple[float, float] | None:
    """(first, last) heard second of ``audio``, None when nothing is heard."""
    heard, hop = audible_mask(audio, sample_rate, hop_seconds, db)
    idx = np.flatnonzero(heard)
    if not len(idx):
        return None
    return idx[0] * hop / sample_rate, (idx[-1] + 1) * hop / sample_rate


def heard_timings(audio: np.ndarray, sample_rate: int, units: list, fixed_starts: frozenset[int] = frozenset()):
    """``units`` (a list of :class:`engine.types.UnitTiming`) with the edges
    that touch a silence moved onto the audio.

    ``fixed_starts``: indexes into ``units`` whose start must not move
    (anchored words).  Pauses between words are re-spanned to the gap the
    words leave.
    """
    heard, hop = audible_mask(audio, sample_rate)
    if not heard.any():
        return list(units)
    total = len(heard)
    out = list(units)
    spoken = [i for i, u in enumerate(out) if u.kind in _SPOKEN]

    def hop_of(seconds: float) -> int:
        return int(min(total, max(0, round(seconds * sample_rate / hop))))

    for pos, i in enumerate(spoken):
        u = out[i]
        prev_i = spoken[pos - 1] if pos > 0 else None
        next_i = spoken[pos + 1] if pos + 1 < len(spoken) else None
        silence_before = prev_i is None or any(out[j].kind == "pause" for j in range(prev_i + 1, i))
        silence_after = next_i is None or any(out[j].kind == "pause" for j in range(i + 1, next_i))
        a, b = hop_of(u.start_seconds), hop_of(u.end_seconds)
        start, end = u.start_seconds, u.end_seconds
        if silence_after:
            # the last heard hop inside the word, then on while the sound goes on
            # (a decay past the planned end; never across a silence to the next onset)
            limit = total if next_i is None else max(b, hop_of(out[next_i].start_seconds))
            idx = np.flatnonzero(heard[a:b])
            if len(idx):
                k = a + int(idx[-1]) + 1
                while k < limit and heard[k]:
                    k += 1
                end = k * hop / sample_rate
        if silence_before and i not in fixed_starts:
            lo = 0 if prev_i is None else hop_of(out[prev_i].end_seconds)
            idx = np.flatnonzero(heard[lo:b])
            if len(idx):
                start = (lo + int(idx[0])) * hop / sample_rate
        if end <= start:  # nothing sensible heard: keep the plan
            start, end = u.start_seconds, u.end_seconds
        out[i] = replace(u, start_seconds=float(start), end_seconds=float(end))

    # Pauses (and spaces) span the gap their neighbours leave.
    for pos in range(len(spoken) - 1):
        i, j = spoken[pos], spoken[pos + 1]
        lo, hi = out[i].end_seconds, max(out[i].end_seconds, out[j].start_seconds)
        for k in range(i + 1, j):  # the first takes the gap, any others follow it
            out[k] = replace(out[k], start_seconds=float(lo), end_seconds=float(hi))
            lo = hi
    if spoken:
        last = out[spoken[-1]]
        for k in range(spoken[-1] + 1, len(out)):
            out[k] = replace(out[k], start_seconds=float(last.end_seconds),
                             end_seconds=float(max(last.end_seconds, out[k].end_seconds)))
    return out


def quiet_runs(heard: np.ndarray, lo: int, hi: int) -> list[tuple[int, int]]:
    """(first, end) hop of each run of unheard hops in ``heard[lo:hi]``, in order."""
    quiet = np.concatenate([[0], (~np.asarray(heard[lo:hi], dtype=bool)).astype(np.int8), [0]])
    edges = np.diff(quiet)
    return [(lo + int(a), lo + int(b)) for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1),
                                                          strict=True)]


def pull_in_tail(audio: np.ndarray, sample_rate: int, search_from: int, keep_end: int,
                 margin_seconds: float = 0.030) -> np.ndarray:
    """Bring sound the cut at ``keep_end`` would lose back inside it.

    A line's last consonant can come after a silent closure (the burst of a
    final "t"), later than the energy curve promised.  When ``audio`` is heard
    after ``keep_end - margin``, the longest silence between ``search_from``
    and that sound is shortened by the difference, so everything heard ends
    ``margin`` before the cut and the length is unchanged (the end is padded
    with silence).  Returns ``audio`` itself when nothing needs to move.
    """
    heard, hop = audible_mask(audio, sample_rate)
    idx = np.flatnonzero(heard)
    if not len(idx):
        return audio
    last_end = (int(idx[-1]) + 1) * hop
    need = last_end + int(margin_seconds * sample_rate) - keep_end
    if need <= 0 or last_end <= search_from:
        return audio
    # the longest silent run (in hops) between search_from and the last heard hop
    lo = search_from // hop
    first, end = max(quiet_runs(heard, lo, int(idx[-1])), key=lambda r: r[1] - r[0], default=(lo, lo))
    guard = 2 * hop  # keep a little silence either side of the cut
    room = (end - first) * hop - 2 * guard
    if room <= 0:
        return audio
    cut = min(need, room)
    a = first * hop + guard + (room - cut) // 2
    out = np.concatenate([audio[:a], audio[a + cut :], np.zeros(cut, dtype=audio.dtype)])
    return out
