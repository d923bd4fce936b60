"""Duration planning: turn predicted per-token durations into integer frames
that add up to exactly the frames asked for.

Pure functions over numpy arrays; no model here.

How time is found or given back: every token gets an *elasticity* by class.
Pauses give and take most, vowels (and tone marks) next, consonants least, so
a compressed line keeps its consonants crisp and a stretched one lengthens
pauses and vowels rather than plosives (the classic finding that vowels and
pauses absorb most tempo change, e.g. Klatt 1976).  We solve, in the log
domain, for one global factor ``k`` with

    d_i = clip(p_i * exp(k * w_i), min_i, max_i),   sum(d_i) = target

by bisection (the sum is monotonic in ``k``), then round with the largest
remainder method so the integer sum is exactly ``target``.  Word anchors split
the line into pieces that are planned the same way, one target per piece.

The end of a line: the model gives the silence after the last word to the
last phoneme (a final ``s`` of 21 frames, 3 of them heard) and to the final
punctuation.  Stretched with the rest, that silence took a quarter of a
region.  So the backend finds where the speech really ends (see
:func:`speech_end_frames`) and hands :func:`plan` a :class:`Tail`: the last
token keeps only its heard frames, everything after it becomes a short
release of :data:`RELEASE_SECONDS`, and neither takes part in stretching.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.errors import DurationError

# Token classes.  FIXED: a token whose frames the plan must not change (the tail).
BOUNDARY_START, BOUNDARY_END, PAUSE, SPACE, VOWEL, CONSONANT, MARK, FIXED = range(8)

#: Log-domain elasticity per class (see module docstring).
ELASTICITY = {
    BOUNDARY_START: 0.0,
    BOUNDARY_END: 0.6,
    PAUSE: 1.6,
    SPACE: 0.9,
    VOWEL: 1.0,
    CONSONANT: 0.45,
    MARK: 0.6,
    FIXED: 0.0,
}

#: Upper bound on stretch per class, as a multiple of the predicted duration;
#: beyond it the remaining time goes to pauses (unbounded) and then the end.
MAX_STRETCH = {
    BOUNDARY_START: 1.0,
    BOUNDARY_END: 8.0,
    PAUSE: 1e9,
    SPACE: 6.0,
    VOWEL: 6.0,
    CONSONANT: 2.0,
    MARK: 4.0,
    FIXED: 1.0,
}

#: Frames of silence kept before the first phoneme: speech should start when
#: the region starts, not a third of a second later as the stock graph does.
LEAD_IN_FRAMES = 2
#: Natural tail after the last phoneme (the model's prediction, capped).
LEAD_OUT_MAX_FRAMES = 4

FRAME_SAMPLES = 600  # one duration frame at 24 kHz = 25 ms
SAMPLE_RATE = 24000

#: The one place that says how much air follows the last word of a line:
#: a short, natural release, whatever the final punctuation.  A user who wants
#: more air at the end shortens the region.
RELEASE_SECONDS = 0.075

#: Speech ends where the prosody model's energy falls below this fraction of
#: the way from its silence floor to its speech level (calibrated on the
#: development lines against the decoded audio: median error -0.4 frames).
SPEECH_END_FRACTION = 0.6
SPEECH_END_OFFSET_FRAMES = -0.4


@dataclass(frozen=True)
class Tail:
    """The end of a line: token ``index`` carries the last heard speech, for
    ``speech_frames`` frames; the tokens after it are silence and become a
    release of ``release_frames``."""

    index: int
    speech_frames: int
    release_frames: int


def release_frames(pad_samples: int = 0) -> int:
    """Whole frames of release so that frames plus ``pad_samples`` (the
    sub-frame rest of an exact target, which lands at the very end) come
    closest to :data:`RELEASE_SECONDS`."""
    want = RELEASE_SECONDS * SAMPLE_RATE - pad_samples
    return max(1, int(round(want / FRAME_SAMPLES)))


def speech_end_frames(energy: np.ndarray, per_frame: int = 2) -> float | None:
    """Where speech ends, in duration frames from the start, read from the
    prosody model's energy curve (``per_frame`` values per frame).

    The floor is the curve's last values (the end boundary is always silent),
    the speech level its 90th percentile; speech ends after the last value
    above :data:`SPEECH_END_FRACTION` of the way between them.  None when the
    curve has no contrast (nothing to find).
    """
    e = np.asarray(energy, dtype=np.float64).reshape(-1)
    if len(e) < 4 * per_frame:
        return None
    floor = float(np.median(e[-3 * per_frame :]))
    level = float(np.percentile(e, 90))
    if level - floor < 1.0:
        return None
    above = np.flatnonzero(e > floor + SPEECH_END_FRACTION * (level - floor))
    if not len(above):
        return None
    return (above[-1] + 1) / per_frame + SPEECH_END_OFFSET_FRAMES


def find_tail(fed_frames: np.ndarray, spoken: np.ndarray, end_frame: float, release: int) -> Tail | None:
    """The :class:`Tail` of a pass rendered with ``fed_frames`` whose speech
    ends at ``end_frame``.  ``spoken`` marks the tokens that carry speech
    (the tail starts no earlier than after the last of them, minus its
    silence).  None when the end lies in no spoken token."""
    fed = np.asarray(fed_frames, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(fed)])
    idx = np.flatnonzero(np.asarray(spoken))
    if not len(idx):
        return None
    last = int(idx[-1])
    # the token the speech ends in; never after the last spoken token
    k = int(np.searchsorted(starts, end_frame, side="right")) - 1
    k = min(max(k, int(idx[0])), last)
    while k > int(idx[0]) and not spoken[k]:
        k -= 1
    heard = int(round(end_frame - starts[k]))
    heard = max(1, min(heard, int(fed[k])))
    return Tail(k, heard, release)


@dataclass(frozen=True)
class Plan:
    frames: np.ndarray  # int64 per token
    natural_frames: int
    warnings: tuple[str, ...] = ()
    tail: Tail | None = None  # the tail the plan kept (None: planned without one)


def apply_tail(pred: np.ndarray, classes: np.ndarray, tail: Tail | None) -> tuple[np.ndarray, np.ndarray]:
    """``pred`` and ``classes`` with the line's end fixed: the last heard
    token at its heard frames, the release shared by the tokens after it
    (earlier ones first; a token may get none), all of them FIXED."""
    pred = np.asarray(pred, dtype=np.float64).copy()
    classes = np.asarray(classes).copy()
    if tail is None:
        return pred, classes
    k = tail.index
    pred[k] = float(tail.speech_frames)
    n_after = len(pred) - k - 1
    if n_after > 0:
        share = np.zeros(n_after)
        for j in range(tail.release_frames):
            share[j % n_after] += 1.0
        pred[k + 1 :] = share
    classes[k:] = FIXED
    return pred, classes


def natural_frames(pred: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Integer natural durations, with the lead-in/out trimmed to our policy."""
    nat = np.maximum(min_frames(classes, pred), np.rint(pred)).astype(np.int64)
    nat[classes == BOUNDARY_START] = np.minimum(nat[classes == BOUNDARY_START], LEAD_IN_FRAMES)
    nat[classes == BOUNDARY_END] = np.minimum(nat[classes == BOUNDARY_END], LEAD_OUT_MAX_FRAMES)
    return nat


def _solve(pred: np.ndarray, classes: np.ndarray, target: int, mins: np.ndarray) -> np.ndarray:
    """Continuous durations summing to ``target`` (assumes feasibility checked)."""
    w = np.array([ELASTICITY[int(c)] for c in classes], dtype=np.float64)
    cap = np.array([MAX_STRETCH[int(c)] for c in classes], dtype=np.float64)
    base = np.maximum(pred.astype(np.float64), 1e-3)
    maxs = np.maximum(mins, base * cap)

    def total(k: float) -> tuple[float, np.ndarray]:
        d = np.clip(base * np.exp(k * w), mins, maxs)
        return float(d.sum()), d

    lo, hi = -1.0, 1.0
    while total(lo)[0] > target and lo > -60:
        lo *= 2
    while total(hi)[0] < target and hi < 60:
        hi *= 2
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        s, _ = total(mid)
        if s < target:
            lo = mid
        else:
            hi = mid
    s, d = total(hi)
    if s < target - 1e-6:
        # Everything is at its cap: the rest becomes silence at the end.
        end = np.flatnonzero(classes == BOUNDARY_END)
        idx = end[-1] if len(end) else len(d) - 1
        d[idx] += target - s
    elif s > target + 1e-6:
        # Only possible when all tokens sit at their minimum (checked by caller).
        d = d * (target / s)
    return d


def _round_exact(d: np.ndarray, target: int, mins: np.ndarray, frozen: np.ndarray | None = None) -> np.ndarray:
    """Largest-remainder rounding to integers that sum exactly to ``target``;
    ``frozen`` tokens keep their (whole) value."""
    fl = np.maximum(np.floor(d).astype(np.int64), mins.astype(np.int64))
    if frozen is not None and frozen.any():
        fl[frozen] = mins[frozen]
        free = np.flatnonzero(~frozen)
        if len(free):
            sub = _round_exact(d[free], target - int(fl[frozen].sum()), mins[free])
            fl[free] = sub
            return fl
    rem = target - int(fl.sum())
    if rem > 0:
        frac = d - np.floor(d)
        order = np.argsort(-frac, kind="stable")
        n = len(order)
        for j in range(rem):
            fl[order[j % n]] += 1
    elif rem < 0:
        # Take back from the tokens with most room above their minimum.
        room = fl - mins.astype(np.int64)
        frac = d - np.floor(d)
        order = np.lexsort((frac, -room))
        i = 0
        while rem < 0 and i < 10 * len(order):
            j = order[i % len(order)]
            if fl[j] > mins[j]:
                fl[j] -= 1
                rem += 1
            i += 1
    return fl


def min_frames(classes: np.ndarray, pred: np.ndarray | None = None) -> np.ndarray:
    """Smallest duration per token: one frame (the aligner needs >= 1 frame
    each); a FIXED token exactly its predicted frames (the tail is fed to the
    model at its natural length, so it may plan 0 frames here)."""
    mins = np.ones(len(classes), dtype=np.int64)
    fixed = np.asarray(classes) == FIXED
    if pred is not None and fixed.any():
        mins[fixed] = np.rint(np.asarray(pred, dtype=np.float64)[fixed]).astype(np.int64)
    return mins


def plan(
    pred: np.ndarray,
    classes: np.ndarray,
    target_frames: int | None,
    anchors: list[tuple[int, int, str]] | None = None,
    tail: Tail | None = None,
) -> Plan:
    """Plan integer frames per token.

    pred: predicted float frames per token (speed 1).
    classes: class per token (see constants above).
    target_frames: total frames wanted, or None for the natural length.
    anchors: ``(token_index, frame_position, label)``: token ``token_index``
      must start at ``frame_position`` frames from the start of the line.
    tail: where the line's speech ends (see :class:`Tail`); a target too
      short to keep it is planned without it.
    """
    raw_pred, raw_classes = pred, classes
    pred, classes = apply_tail(raw_pred, raw_classes, tail)
    nat = natural_frames(pred, classes)
    natural = int(nat.sum())
    if target_frames is None:
        return Plan(nat, natural, (), tail)
    target = int(target_frames)
    if tail is not None and target < int(min_frames(classes, pred).sum()):
        tail = None
        pred, classes = apply_tail(raw_pred, raw_classes, None)
    mins = min_frames(classes, pred)
    warnings: list[str] = []
    anchors = sorted(anchors or [], key=lambda a: a[0])

    # Pieces between anchors: [start_tok, end_tok) with a frame budget each.
    cuts: list[tuple[int, int, str]] = [(0, 0, "the start of the line")]
    last_pos = 0
    for tok, pos, label in anchors:
        if pos < 0 or pos > target:
            raise DurationError(f"{label} is outside the line (0-{target * FRAME_SAMPLES / 24000:.3f} s)")
        if tok <= cuts[-1][0]:
            raise DurationError(f"{label} is out of order with the anchor before it")
        if pos < last_pos:
            raise DurationError(f"{label} comes before the anchor before it")
        cuts.append((tok, pos, label))
        last_pos = pos
    cuts.append((len(pred), target, "the end of the line"))

    # Plan around the trimmed lead-in/out, not the model's long silences.
    base = pred.copy()
    bs, be = classes == BOUNDARY_START, classes == BOUNDARY_END
    base[bs] = np.minimum(base[bs], LEAD_IN_FRAMES)
    base[be] = np.minimum(base[be], LEAD_OUT_MAX_FRAMES)

    out = np.zeros(len(pred), dtype=np.int64)
    for (a_tok, a_pos, _a_label), (b_tok, b_pos, b_label) in zip(cuts, cuts[1:], strict=False):
        budget = b_pos - a_pos
        sl = slice(a_tok, b_tok)
        need = int(mins[sl].sum())
        if budget < need:
            # rounded up: "needs at least 1.63 s" must be enough when typed back in
            seconds = math.ceil(need * FRAME_SAMPLES / 24000 * 100 - 1e-9) / 100
            if len(cuts) == 2:
                raise DurationError(
                    f"{target * FRAME_SAMPLES / 24000:.2f} s is too short for this text: "
                    f"it needs at least {seconds:.2f} s"
                )
            raise DurationError(
                f"too little time before {b_label}: the words before it need at least {seconds:.2f} s"
            )
        d = _solve(base[sl], classes[sl], budget, mins[sl].astype(np.float64))
        out[sl] = _round_exact(d, budget, mins[sl], classes[sl] == FIXED)

    ratio = target / max(1, natural)
    if ratio < 0.5:
        warnings.append(f"compressed to {ratio:.2f}x natural: intelligibility at risk")
    elif ratio < 0.7:
        warnings.append(f"compressed to {ratio:.2f}x natural: speech will sound rushed")
    elif ratio > 2.0:
        warnings.append(f"stretched to {ratio:.2f}x natural: long pauses and drawn-out vowels")
    elif ratio > 1.4:
        warnings.append(f"stretched to {ratio:.2f}x natural: speech will sound slow")
    return Plan(out, natural, tuple(warnings), tail)
