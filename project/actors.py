"""Who speaks each original line: GE2E speaker embeddings (engine/speaker.py) of the transcribed lines,
clustered into actors.  Plain Python, no Qt.

Clustering is agglomerative with average linkage on cosine similarity: two groups join while their average
similarity is at least ``threshold`` (or until ``n_actors`` groups remain when the user knows the count).
Lines too short for an embedding (under 0.7 s of speech) join the actor of the line with one across the
shortest pause.  The reference for "Clone this actor's voice" is the actor's longest lines, joined.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SR = 16000
#: Average cosine similarity at which two groups of lines are one speaker (GE2E, measured on the stock voices
#: and on the benchmark's generated dialogue: same speaker 0.80-0.95, different speakers 0.45-0.75).
THRESHOLD = 0.78
MIN_EMBED_SECONDS = 0.7
RELIABLE_SECONDS = 1.5
NEIGHBOUR_BONUS = 0.1


def line_embeddings(audio16: np.ndarray, spans: list[tuple[float, float]],
                    cancelled: Callable[[], bool] | None = None, batch_lines: int = 64) -> list[np.ndarray | None]:
    """One GE2E embedding per span (None where the span is too short), computed in batches of lines."""
    from engine.speaker import embed_batch

    out: list[np.ndarray | None] = []
    for k in range(0, len(spans), batch_lines):
        if cancelled is not None and cancelled():
            from project.transcribe import TranscribeCancelled

            raise TranscribeCancelled()
        segs = [np.asarray(audio16[int(a * SR): int(b * SR)], np.float32) for a, b in spans[k:k + batch_lines]]
        embs = embed_batch([s if len(s) >= MIN_EMBED_SECONDS * SR else s[:0] for s in segs], SR)
        out.extend(embs)
    return out


def cluster(embeddings: list[np.ndarray], threshold: float = THRESHOLD, n_actors: int | None = None) -> list[int]:
    """Actor index per embedding, numbered by first appearance (0, 1, ...)."""
    n = len(embeddings)
    if n == 0:
        return []
    e = np.stack([v / max(np.linalg.norm(v), 1e-12) for v in embeddings]).astype(np.float64)
    sim = e @ e.T
    groups: list[list[int]] = [[i] for i in range(n)]
    # average similarity between groups, updated as groups join (n is a few hundred lines at most)
    gs = sim.copy()
    np.fill_diagonal(gs, -np.inf)
    sizes = [1] * n
    alive = list(range(n))
    while len(alive) > 1:
        sub = gs[np.ix_(alive, alive)]
        k = int(np.argmax(sub))
        i, j = alive[k // len(alive)], alive[k % len(alive)]
        best = sub.flat[k]
        if n_actors is not None:
            if len(alive) <= n_actors:
                break
        elif best < threshold:
            break
        # merge j into i
        for m in alive:
            if m not in (i, j):
                v = (gs[i, m] * sizes[i] + gs[j, m] * sizes[j]) / (sizes[i] + sizes[j])
                gs[i, m] = gs[m, i] = v
        sizes[i] += sizes[j]
        groups[i].extend(groups[j])
        alive.remove(j)
    label = [0] * n
    for g_index, g in enumerate(sorted((groups[a] for a in alive), key=min)):
        for i in g:
            label[i] = g_index
    return label


def assign_actors(audio16: np.ndarray, spans: list[tuple[float, float]], threshold: float = THRESHOLD,
                  n_actors: int | None = None, cancelled: Callable[[], bool] | None = None) -> list[int]:
    """Actor index per span (see the module docstring).  Only lines of at least ``RELIABLE_SECONDS`` found the
    actors (a short line's embedding is too noisy to start one); shorter lines join the actor whose mean
    embedding is closest, and lines without an embedding the actor of the line across the shortest pause."""
    embs = line_embeddings(audio16, spans, cancelled)
    have = [i for i, v in enumerate(embs) if v is not None]
    labels = [0] * len(spans)
    if not have:
        return labels
    core = [i for i in have if spans[i][1] - spans[i][0] >= RELIABLE_SECONDS] or have
    lab = cluster([embs[i] for i in core], threshold, n_actors)
    for i, v in zip(core, lab, strict=True):
        labels[i] = v
    cents = []
    for g in range(max(lab) + 1):
        m = np.mean([embs[i] for i, v in zip(core, lab, strict=True) if v == g], axis=0)
        cents.append(m / max(np.linalg.norm(m), 1e-12))
    cents_a = np.stack(cents)
    core_set = set(core)
    for i in have:
        if i not in core_set:
            score = cents_a @ embs[i]
            # a short piece right next to a longer one usually continues it: the neighbour's actor wins
            # unless another actor's voice is clearly closer (a short reply after a quick turn)
            near = _nearest_core(spans, core, i)
            if near is not None:
                score[labels[near]] += NEIGHBOUR_BONUS
            labels[i] = int(np.argmax(score))
    starts = np.array([spans[i][0] for i in have])
    ends = np.array([spans[i][1] for i in have])
    for i, v in enumerate(embs):
        if v is None:  # the actor of the line across the shortest pause (not the nearest middle: a long
            # neighbour's middle is far even when it runs right up to this piece)
            gaps = np.maximum(starts - spans[i][1], spans[i][0] - ends)
            labels[i] = labels[have[int(np.argmin(gaps))]]
    return labels


def _nearest_core(spans: list[tuple[float, float]], core: list[int], i: int, within: float = 0.8) -> int | None:
    best, gap_best = None, within
    for j in core:
        gap = max(spans[j][0] - spans[i][1], spans[i][0] - spans[j][1])
        if gap < gap_best:
            best, gap_best = j, gap
    return best


def purity(labels: list[int], truth: list) -> float:
    """Share of lines whose actor's majority true speaker is their own (the benchmark's clustering figure)."""
    from collections import Counter

    total = 0
    for actor in set(labels):
        members = [t for lab, t in zip(labels, truth, strict=True) if lab == actor]
        total += Counter(members).most_common(1)[0][1]
    return total / max(1, len(labels))


def reference_audio(audio16: np.ndarray, spans: list[tuple[float, float]], max_seconds: float = 25.0,
                    min_line_seconds: float = 1.0) -> np.ndarray:
    """The actor's voice for cloning: their longest lines (at least ``min_line_seconds``), longest first, joined
    with 0.25 s of silence, up to ``max_seconds``."""
    chosen = []
    total = 0.0
    for a, b in sorted(spans, key=lambda s: s[0] - s[1]):
        if b - a < min_line_seconds or total >= max_seconds:
            continue
        chosen.append((a, b))
        total += b - a
    gap = np.zeros(int(0.25 * SR), np.float32)
    parts = []
    for a, b in sorted(chosen):
        parts.extend([np.asarray(audio16[int(a * SR): int(b * SR)], np.float32), gap])
    return np.concatenate(parts[:-1]) if parts else np.zeros(0, np.float32)
