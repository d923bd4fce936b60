"""English words no lexicon knows: g2p-en's small GRU letter-to-ARPAbet model (decoded here with
numpy; the ``g2p_en`` package itself is never imported), its ARPAbet mapped onto misaki's symbols, and
a rule-based letter-to-sound fallback for when that model's weights are missing.
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from functools import lru_cache

import numpy as np

from engine.text.en_phones import PRIMARY, SECONDARY, VOWELS, _has_vowel, _mark_first_vowel

_GRAPHEMES = ["<pad>", "<unk>", "</s>"] + list("abcdefghijklmnopqrstuvwxyz")
_ARPABET = ["<pad>", "<unk>", "<s>", "</s>"] + (
    "AA0 AA1 AA2 AE0 AE1 AE2 AH0 AH1 AH2 AO0 AO1 AO2 AW0 AW1 AW2 AY0 AY1 AY2 B CH D DH "
    "EH0 EH1 EH2 ER0 ER1 ER2 EY0 EY1 EY2 F G HH IH0 IH1 IH2 IY0 IY1 IY2 JH K L M N NG "
    "OW0 OW1 OW2 OY0 OY1 OY2 P R S SH T TH UH0 UH1 UH2 UW UW0 UW1 UW2 V W Y Z ZH"
).split()
_ARPA_VOWELS = {
    "AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "W", "AY": "I", "EH": "ɛ", "ER": "ɜɹ",
    "EY": "A", "IH": "ɪ", "IY": "i", "OW": "O", "OY": "Y", "UH": "ʊ", "UW": "u",
}
_ARPA_CONSONANTS = {
    "B": "b", "CH": "ʧ", "D": "d", "DH": "ð", "F": "f", "G": "ɡ", "HH": "h", "JH": "ʤ", "K": "k",
    "L": "l", "M": "m", "N": "n", "NG": "ŋ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ", "T": "t",
    "TH": "θ", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ",
}


def arpabet_to_misaki(arpa: list[str]) -> str:
    """ARPAbet with stress digits -> misaki US phonemes (stress mark before the vowel)."""
    out = []
    for p in arpa:
        if p in _ARPA_CONSONANTS:
            out.append(_ARPA_CONSONANTS[p])
            continue
        base, stress = (p[:-1], p[-1]) if p[-1].isdigit() else (p, "0")
        if base not in _ARPA_VOWELS:
            continue
        if stress == "0" and base == "AH":
            v = "ə"
        elif stress == "0" and base == "ER":
            v = "əɹ"
        else:
            v = _ARPA_VOWELS[base]
        out.append({"1": PRIMARY, "2": SECONDARY}.get(stress, "") + v)
    return _us_reductions("".join(out))


_RE_SYLLABIC_L = re.compile(r"(?<=[bdfɡkmnpstvzʃʒʧʤθð])əl$")
_RE_SYLLABIC_N = re.compile(r"(?<=[tdsz])ən$")
_RE_ED = re.compile(r"(?<=[td])[ɪə]d$")
_RE_ES = re.compile(r"(?<=[szʃʒʧʤ])[ɪə]z$")
_RE_FLAP = re.compile(r"(?<=[AIOWYiuæɑəɛɪɹʊʌɔɜ])t(?=[AIOWYiuæɑəɛɪʊʌɔɜᵻ]|ᵊl|əɹ)")


def _us_reductions(ps: str) -> str:
    """Reductions and flaps the way misaki's US lexicon writes them."""
    ps = _RE_SYLLABIC_L.sub("ᵊl", ps)
    ps = _RE_SYLLABIC_N.sub("ᵊn", ps)
    ps = _RE_ED.sub("ᵻd", ps)
    ps = _RE_ES.sub("ᵻz", ps)
    ps = _RE_FLAP.sub("ɾ", ps)
    return _ensure_primary(ps)


def _ensure_primary(ps: str) -> str:
    if PRIMARY in ps or not _has_vowel(ps):
        return ps
    if SECONDARY in ps:
        return ps.replace(SECONDARY, PRIMARY, 1)
    return _mark_first_vowel(ps, PRIMARY)


class NeuralG2P:
    """Greedy decoding of g2p-en's ``checkpoint20.npz`` (GRU encoder-decoder, letters -> ARPAbet)."""

    def __init__(self, path: str):
        z = np.load(path)
        hid = z["enc_w_hh"].shape[1]
        self.hidden = hid
        # Input projections of every symbol are precomputed: one table lookup per step.
        self.enc_in = (z["enc_emb"] @ z["enc_w_ih"].T + z["enc_b_ih"]).astype(np.float32)
        self.dec_in = (z["dec_emb"] @ z["dec_w_ih"].T + z["dec_b_ih"]).astype(np.float32)
        self.enc_whh_t = np.ascontiguousarray(z["enc_w_hh"].T, dtype=np.float32)
        self.enc_bhh = z["enc_b_hh"].astype(np.float32)
        self.dec_whh_t = np.ascontiguousarray(z["dec_w_hh"].T, dtype=np.float32)
        self.dec_bhh = z["dec_b_hh"].astype(np.float32)
        self.fc_w_t = np.ascontiguousarray(z["fc_w"].T, dtype=np.float32)
        self.fc_b = z["fc_b"].astype(np.float32)

    @staticmethod
    def find() -> str | None:
        """Path of the checkpoint Dubline ships (resources/models/g2p_en), else g2p_en's (not imported), or None."""
        from engine import resources
        from engine.errors import ModelError

        try:
            if resources.exists("models", "g2p_en", "checkpoint20.npz"):
                return str(resources.path("models", "g2p_en", "checkpoint20.npz"))
        except ModelError:
            pass
        try:
            spec = importlib.util.find_spec("g2p_en")
        except (ImportError, ValueError):
            return None
        if spec is None or not spec.submodule_search_locations:
            return None
        for loc in spec.submodule_search_locations:
            path = os.path.join(loc, "checkpoint20.npz")
            if os.path.isfile(path):
                return path
        return None

    def _step(self, x_proj: np.ndarray, h: np.ndarray, whh_t: np.ndarray, bhh: np.ndarray) -> np.ndarray:
        n = self.hidden
        hp = h @ whh_t + bhh
        r = 1.0 / (1.0 + np.exp(-(x_proj[:n] + hp[:n])))
        u = 1.0 / (1.0 + np.exp(-(x_proj[n:2 * n] + hp[n:2 * n])))
        c = np.tanh(x_proj[2 * n:] + r * hp[2 * n:])
        return (1.0 - u) * c + u * h

    def predict(self, word: str) -> list[str]:
        """ARPAbet for a lowercase a-z word."""
        ids = [_GRAPHEMES.index(c) for c in word if "a" <= c <= "z"] + [2]
        h = np.zeros(self.hidden, np.float32)
        for i in ids:
            h = self._step(self.enc_in[i], h, self.enc_whh_t, self.enc_bhh)
        prev, out = 2, []
        for _ in range(len(ids) + 8):
            h = self._step(self.dec_in[prev], h, self.dec_whh_t, self.dec_bhh)
            prev = int(np.argmax(h @ self.fc_w_t + self.fc_b))
            if prev == 3:
                break
            out.append(_ARPABET[prev])
        return out


_NEURAL: NeuralG2P | None | bool = False  # False: not tried yet
_NEURAL_LOCK = threading.Lock()


def _neural() -> NeuralG2P | None:
    global _NEURAL
    if _NEURAL is False:
        with _NEURAL_LOCK:
            if _NEURAL is False:
                path = NeuralG2P.find()
                try:
                    _NEURAL = NeuralG2P(path) if path else None
                except (OSError, KeyError, ValueError):
                    _NEURAL = None
    return _NEURAL  # type: ignore[return-value]


# -- rule-based letter-to-sound (used only when g2p-en is not installed) --------

_LTS_RULES = [
    # (letters, phonemes); longest first within each initial letter, tried in order
    ("tion", "ʃən"), ("sion", "ʒən"), ("cial", "ʃᵊl"), ("tial", "ʃᵊl"), ("ture", "ʧəɹ"),
    ("ough", "O"), ("augh", "ɔ"), ("eigh", "A"), ("igh", "I"), ("tch", "ʧ"), ("dge", "ʤ"),
    ("sch", "sk"), ("chr", "kɹ"), ("ph", "f"), ("sh", "ʃ"), ("ch", "ʧ"), ("th", "θ"), ("ck", "k"),
    ("ng", "ŋ"), ("qu", "kw"), ("wh", "w"), ("wr", "ɹ"), ("kn", "n"), ("gh", "ɡ"),
    ("ee", "i"), ("ea", "i"), ("ie", "i"), ("oo", "u"), ("ou", "W"), ("ow", "O"), ("oi", "Y"),
    ("oy", "Y"), ("ai", "A"), ("ay", "A"), ("au", "ɔ"), ("aw", "ɔ"), ("ew", "ju"), ("ey", "i"),
    ("oa", "O"), ("ue", "u"), ("ar", "ɑɹ"), ("or", "ɔɹ"), ("er", "əɹ"), ("ir", "ɜɹ"), ("ur", "ɜɹ"),
    ("x", "ks"), ("j", "ʤ"), ("y", "j"), ("q", "k"), ("c", "k"), ("g", "ɡ"), ("r", "ɹ"),
]
_LTS_SHORT = {"a": "æ", "e": "ɛ", "i": "ɪ", "o": "ɑ", "u": "ʌ"}
_LTS_LONG = {"a": "A", "e": "i", "i": "I", "o": "O", "u": "u"}


def rule_based_g2p(word: str) -> str:
    """A small letter-to-sound rule set: crude but offline, dependency free and vocab-only."""
    w = "".join(c for c in word.lower() if "a" <= c <= "z")
    if not w:
        return ""
    out: list[str] = []
    i, n = 0, len(w)
    magic_e = n > 3 and w.endswith("e") and w[-2] not in "aeiou" and w[-3] in "aeiou"
    while i < n:
        c = w[i]
        if c == "e" and i == n - 1 and n > 2:
            break  # silent final e
        if i + 1 < n and w[i + 1] == c and c not in "aeiou":
            i += 1  # doubled consonant
            continue
        if c in "cg" and i + 1 < n and w[i + 1] in "eiy":
            out.append("s" if c == "c" else "ʤ")
            i += 1
            continue
        if c == "y" and i > 0:
            out.append("i" if i == n - 1 and n > 3 else "I")
            i += 1
            continue
        for letters, ps in _LTS_RULES:
            if w.startswith(letters, i):
                out.append(ps)
                i += len(letters)
                break
        else:
            if c in _LTS_SHORT:
                long_ = magic_e and i == n - 3
                out.append(_LTS_LONG[c] if long_ else _LTS_SHORT[c])
            else:
                out.append(c)
            i += 1
    ps = "".join(out)
    # reduce the vowels of later syllables, stress the first
    first = next((k for k, ch in enumerate(ps) if ch in VOWELS), None)
    if first is None:
        return ps
    tail = "".join("ə" if ch in "æʌɑ" else ch for ch in ps[first + 1:])
    return _us_reductions(ps[:first] + PRIMARY + ps[first] + tail)


@lru_cache(maxsize=8192)
def _oov_phonemes(word: str) -> str:
    """Phonemes for a lowercase a-z word the lexicon does not know."""
    model = _neural()
    if model is not None:
        ps = arpabet_to_misaki(model.predict(word))
        if ps:
            return ps
    return rule_based_g2p(word)


def oov_backend() -> str:
    """``"g2p-en-gru"`` when the neural fallback is available, else ``"rules"``."""
    return "g2p-en-gru" if _neural() is not None else "rules"

