"""Mandarin pinyin syllables: parsing, validation, normalisation, phonemes.

Accepted spellings (case-insensitive):

* tone marks: ``fā chóng lǜ nǚ lüè ḿ ê̄`` (precomposed or combining marks; an
  unmarked syllable is neutral tone);
* tone numbers: ``fa1 XING2 lv4 lü4 lu:4 de5 de0`` or no digit (= neutral);
* erhua forms ``nar3`` / ``nǎr`` (one syllable ending in r-colouring).

The normalised form is lowercase tone-number pinyin in the usual spelling with
``v`` for ü after n/l (``lv4``, ``nve4``, ``ju3``, ``yue4``, ``nar3``).

Phonemes follow the Kokoro v1.0 / misaki "legacy" Mandarin format: IPA with a
tone arrow (``→ ↗ ↓ ↘`` for tones 1-4, nothing for neutral) right after the
nucleus vowel(s) and before a nasal coda, e.g. ``hang2`` -> ``xa↗ŋ``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from engine.text.units import Syllable, TextError

__all__ = [
    "TONE_ARROWS",
    "ParsedPinyin",
    "is_valid_syllable",
    "make_syllable",
    "normalize_syllable",
    "parse_syllable",
    "split_syllables",
    "syllable_phonemes",
    "to_tone_marks",
    "valid_syllables",
]

TONE_ARROWS = {1: "→", 2: "↗", 3: "↓", 4: "↘", 5: ""}

# Every syllable that may be written (normalised spelling, no tone).  The
# standard table plus the marginal syllables that appear in dictionaries
# (biang, fiao, hm, hng, ê, ...).
_SYLLABLE_TABLE = """
a ai an ang ao e ei en eng er o ou ê m n ng hm hng
ba bai ban bang bao bei ben beng bi bian biang biao bie bin bing bo bong bu
pa pai pan pang pao pei pen peng pi pian piao pie pin ping po pou pu
ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu
fa fan fang fei fen feng fiao fo fou fu
da dai dan dang dao de dei den deng di dia dian diao die din ding diu dong dou du duan dui dun duo
ta tai tan tang tao te tei teng ti tian tiao tie ting tong tou tu tuan tui tun tuo
na nai nan nang nao ne nei nen neng ni nia nian niang niao nie nin ning niu nong nou nu nuan nun nuo nv nve
la lai lan lang lao le lei len leng li lia lian liang liao lie lin ling liu lo long lou lu luan lun luo lv lve
ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo
ka kai kan kang kao ke kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo
ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun huo
ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun
qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun
xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun
zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo
cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun chuo
sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan shuang shui shun shuo
ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo
za zai zan zang zao ze zei zen zeng zi zong zou zu zuan zui zun zuo
ca cai can cang cao ce cei cen ceng ci cong cou cu cuan cui cun cuo
sa sai san sang sao se sen seng si song sou su suan sui sun suo
ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun
wa wai wan wang wei wen weng wo wong wu
"""

_VALID: frozenset[str] = frozenset(_SYLLABLE_TABLE.split())

# initial spelling -> (IPA, voiced?)
_INITIALS: dict[str, tuple[str, bool]] = {
    "b": ("p", False),
    "p": ("pʰ", False),
    "m": ("m", True),
    "f": ("f", False),
    "d": ("t", False),
    "t": ("tʰ", False),
    "n": ("n", True),
    "l": ("l", True),
    "g": ("k", False),
    "k": ("kʰ", False),
    "h": ("x", False),
    "j": ("ʨ", False),
    "q": ("ʨʰ", False),
    "x": ("ɕ", False),
    "zh": ("ꭧ", False),
    "ch": ("ꭧʰ", False),
    "sh": ("ʂ", False),
    "r": ("ɻ", True),
    "z": ("ʦ", False),
    "c": ("ʦʰ", False),
    "s": ("s", False),
}
# Longest first so "zh" wins over "z".
_INITIAL_ORDER = sorted(_INITIALS, key=len, reverse=True)

# canonical final -> (nucleus incl. glide, nasal coda)
_FINALS: dict[str, tuple[str, str]] = {
    "a": ("a", ""),
    "ai": ("ai", ""),
    "an": ("a", "n"),
    "ang": ("a", "ŋ"),
    "ao": ("au", ""),
    "e": ("ɤ", ""),
    "ei": ("ei", ""),
    "en": ("ə", "n"),
    "eng": ("ə", "ŋ"),
    "o": ("wo", ""),  # bo po mo fo lo: [wo] like misaki
    "ou": ("ou", ""),
    "ong": ("ʊ", "ŋ"),
    "i": ("i", ""),
    "ia": ("ja", ""),
    "ian": ("jɛ", "n"),
    "iang": ("ja", "ŋ"),
    "iao": ("jau", ""),
    "ie": ("je", ""),
    "in": ("i", "n"),
    "ing": ("i", "ŋ"),
    "iong": ("jʊ", "ŋ"),
    "iou": ("jou", ""),
    "io": ("jɔ", ""),
    "u": ("u", ""),
    "ua": ("wa", ""),
    "uo": ("wo", ""),
    "uai": ("wai", ""),
    "uei": ("wei", ""),
    "uan": ("wa", "n"),
    "uen": ("wə", "n"),
    "uang": ("wa", "ŋ"),
    "ueng": ("wə", "ŋ"),
    "ü": ("y", ""),
    "üe": ("ɥe", ""),
    "üan": ("ɥɛ", "n"),
    "ün": ("y", "n"),
    "-i": ("ɨ", ""),  # apical vowel of zhi chi shi ri zi ci si
}

# Whole syllables without a regular initial/final split.
_SPECIAL: dict[str, tuple[str, bool, str, str]] = {
    # spelling: (onset IPA, onset voiced, nucleus, coda)
    "a": ("", True, "a", ""),
    "o": ("", True, "ɔ", ""),  # interjection 哦
    "ê": ("", True, "ɛ", ""),
    "er": ("", True, "ɚ", ""),
    "m": ("", True, "m", ""),
    "n": ("", True, "n", ""),
    "ng": ("", True, "ŋ", ""),
    "hm": ("h", False, "m", ""),
    "hng": ("h", False, "ŋ", ""),
    "yo": ("", True, "jɔ", ""),
    "wong": ("", True, "ʊ", "ŋ"),  # as misaki
}

_ZERO_INITIAL: dict[str, str] = {
    "yi": "i", "ya": "ia", "ye": "ie", "yao": "iao", "you": "iou", "yan": "ian", "yin": "in",
    "yang": "iang", "ying": "ing", "yong": "iong", "yu": "ü", "yue": "üe", "yuan": "üan", "yun": "ün",
    "wu": "u", "wa": "ua", "wo": "uo", "wai": "uai", "wei": "uei", "wan": "uan", "wen": "uen",
    "wang": "uang", "weng": "ueng",
}

_TONE_MARKS = {"\u0304": 1, "\u0301": 2, "\u030c": 3, "\u0306": 3, "\u0300": 4}
_TONE_MARK_OF = {1: "\u0304", 2: "\u0301", 3: "\u030c", 4: "\u0300"}
_ERHUA_SUFFIX = "ɚ"

_SPLIT_RE = re.compile(r"[\s,，;；/|]+")


@dataclass(frozen=True)
class ParsedPinyin:
    """One parsed syllable.  ``base`` is the normalised spelling without tone or erhua r."""

    base: str
    tone: int  # 1..5
    erhua: bool = False

    @property
    def spelling(self) -> str:
        """Normalised spelling without tone, e.g. ``"lv"``, ``"nar"``."""
        return self.base + ("r" if self.erhua else "")

    @property
    def numbered(self) -> str:
        """Tone-number form, e.g. ``"lv4"``, ``"de5"``, ``"nar3"``."""
        return f"{self.spelling}{self.tone}"

    def with_tone(self, tone: int) -> ParsedPinyin:
        return ParsedPinyin(self.base, tone, self.erhua)

    def __str__(self) -> str:
        return self.numbered


def valid_syllables() -> frozenset[str]:
    """All valid toneless spellings (normalised, without erhua)."""
    return _VALID


def _canonical_spelling(letters: str) -> str:
    """Lowercase letters (ü already folded) -> normalised spelling (may be invalid)."""
    s = letters.replace("u:", "ü").replace("v", "ü")
    if s[:1] in ("j", "q", "x", "y"):
        s = s.replace("ü", "u")
    else:
        s = s.replace("ü", "v")
    if s in ("lue", "nue"):  # common IME spelling of lüe / nüe
        s = s[0] + "ve"
    return s


def _base_valid(s: str) -> bool:
    return s in _VALID


@lru_cache(maxsize=8192)
def _parse_cached(text: str) -> ParsedPinyin:
    raw = text.strip()
    if not raw:
        raise TextError("empty pinyin syllable")
    decomposed = unicodedata.normalize("NFD", raw.lower())
    tone_mark: int | None = None
    kept: list[str] = []
    for ch in decomposed:
        if ch in _TONE_MARKS:
            if tone_mark is not None:
                raise TextError(f"pinyin syllable {raw!r} has more than one tone mark")
            tone_mark = _TONE_MARKS[ch]
        else:
            kept.append(ch)
    body = unicodedata.normalize("NFC", "".join(kept))
    tone_digit: int | None = None
    if body and body[-1].isdigit():
        d = int(body[-1])
        if d > 5:
            raise TextError(f"pinyin syllable {raw!r} has an invalid tone number {d} (use 1-5)")
        tone_digit = 5 if d == 0 else d
        body = body[:-1]
    if tone_mark is not None and tone_digit is not None and tone_mark != tone_digit:
        raise TextError(f"pinyin syllable {raw!r} has both a tone mark and a different tone number")
    tone = tone_mark or tone_digit or 5
    if not body or not all(c.isalpha() or c == ":" for c in body):
        raise TextError(f"{raw!r} is not a valid pinyin syllable")
    spelling = _canonical_spelling(body)
    if _base_valid(spelling):
        return ParsedPinyin(spelling, tone, False)
    if spelling.endswith("r") and len(spelling) > 1:
        base = _canonical_spelling(body[:-1])
        if _base_valid(base) and base not in ("er",):
            return ParsedPinyin(base, tone, True)
    raise TextError(f"{raw!r} is not a valid pinyin syllable")


def parse_syllable(text: str) -> ParsedPinyin:
    """Parse one syllable in tone-mark or tone-number form.

    Raises :class:`TextError` (without a position) when it is not valid pinyin.
    """
    if not isinstance(text, str):
        raise TextError(f"pinyin syllable must be a string, got {type(text).__name__}")
    return _parse_cached(text)


def is_valid_syllable(text: str) -> bool:
    try:
        parse_syllable(text)
    except TextError:
        return False
    return True


def normalize_syllable(text: str) -> str:
    """Any accepted spelling -> tone-number form (``"lǜ"`` -> ``"lv4"``, ``"de"`` -> ``"de5"``)."""
    return parse_syllable(text).numbered


def split_syllables(text: str) -> list[str]:
    """Split a reading such as ``"fā chū"`` or ``"chong2,qing4"`` into syllables."""
    return [p for p in _SPLIT_RE.split(text.strip()) if p]


def to_tone_marks(text: str | ParsedPinyin) -> str:
    """Tone-mark form for display: ``"lv4"`` -> ``"lǜ"``, ``"hao3"`` -> ``"hǎo"``, ``"de5"`` -> ``"de"``."""
    p = text if isinstance(text, ParsedPinyin) else parse_syllable(text)
    s = p.base.replace("v", "ü")
    if p.tone != 5:
        mark = _TONE_MARK_OF[p.tone]
        if "a" in s:
            idx = s.index("a")
        elif "e" in s or "ê" in s:
            idx = s.index("e") if "e" in s else s.index("ê")
        elif "ou" in s:
            idx = s.index("o")
        else:
            vowels = [i for i, c in enumerate(s) if c in "iouü"]
            if vowels:
                idx = vowels[-1]
            else:  # m n ng hm hng
                idx = next(i for i, c in enumerate(s) if c in "mn")
        s = unicodedata.normalize("NFC", s[: idx + 1] + mark + s[idx + 1 :])
    return s + ("r" if p.erhua else "")


@lru_cache(maxsize=1024)
def _decompose(base: str) -> tuple[str, bool, str, str]:
    """Normalised spelling -> (onset IPA, onset voiced, nucleus IPA, coda IPA)."""
    if base in _SPECIAL:
        return _SPECIAL[base]
    if base in _ZERO_INITIAL:
        nucleus, coda = _FINALS[_ZERO_INITIAL[base]]
        return "", True, nucleus, coda
    initial = next((i for i in _INITIAL_ORDER if base.startswith(i)), "")
    rest = base[len(initial) :].replace("v", "ü")
    if initial in ("j", "q", "x"):
        rest = {"u": "ü", "ue": "üe", "uan": "üan", "un": "ün"}.get(rest, rest)
    rest = {"iu": "iou", "ui": "uei", "un": "uen"}.get(rest, rest)
    if rest == "i" and initial in ("zh", "ch", "sh", "r", "z", "c", "s"):
        rest = "-i"
    if initial == "":
        # zero-initial syllables not in the table above: a ai an ang ao e ei en eng ou
        nucleus, coda = _FINALS[rest]
        return "", True, nucleus, coda
    onset, voiced = _INITIALS[initial]
    nucleus, coda = _FINALS[rest]
    return onset, voiced, nucleus, coda


def syllable_phonemes(syllable: str | ParsedPinyin, tone: int | None = None) -> tuple[str, int, int]:
    """Phonemes of one syllable and its voiced slice.

    Returns ``(phonemes, voiced_start, voiced_end)``; ``tone`` (1..5) replaces
    the syllable's own tone when given.  ``"hao3"`` -> ``("xau↓", 1, 4)``.
    """
    p = syllable if isinstance(syllable, ParsedPinyin) else parse_syllable(syllable)
    t = p.tone if tone is None else tone
    if t not in TONE_ARROWS:
        raise TextError(f"invalid tone {t!r} (use 1-5)")
    onset, voiced, nucleus, coda = _decompose(p.base)
    phonemes = onset + nucleus + TONE_ARROWS[t] + coda
    if p.erhua:
        phonemes += _ERHUA_SUFFIX
    start = 0 if voiced else len(onset)
    return phonemes, start, len(phonemes)


def make_syllable(syllable: str | ParsedPinyin, tone: int | None = None,
                  lexical_tone: int | None = None) -> tuple[str, Syllable]:
    """Phonemes plus the :class:`Syllable` record for one spoken syllable.

    ``tone`` is the spoken tone and ``lexical_tone`` the tone before sandhi; both
    default to the syllable's own tone.
    """
    p = syllable if isinstance(syllable, ParsedPinyin) else parse_syllable(syllable)
    spoken = p.tone if tone is None else tone
    lexical = p.tone if lexical_tone is None else lexical_tone
    phonemes, start, end = syllable_phonemes(p, spoken)
    return phonemes, Syllable(
        pinyin=f"{p.spelling}{spoken}",
        tone=spoken,
        lexical_tone=lexical,
        voiced_start=start,
        voiced_end=end,
    )
