"""English text normalisation with source spans.

:func:`normalize` cuts an English run of text into :class:`Piece` s.  A piece is
either something to say (``kind == "word"``: ``text`` holds one or more
space-separated words, e.g. ``"five dollars and fifty cents"`` for ``"$5.50"``)
or a punctuation mark that becomes a pause (``kind == "punct"``).  Every piece
remembers the span ``[src_start, src_end)`` of the text it came from, so each
spoken word can be mapped back onto the raw characters.  Whitespace and
characters with nothing to say (stray apostrophes, ``*``, ``_``...) produce no
piece.

Numbers are written out in American English: cardinals, decimals, negatives,
ordinals (``22nd``), years (``1999``, ``2024``), decades (``1990s``, ``'80s``),
times (``3:30 pm``), percentages, currency (``$``, ``€``, ``£``, ``¥``), measures
(``5 kg``, ``20°C``), ranges (``3-5``) and simple fractions (``3/4``).  Number
words are separated by spaces (``"twenty five"``), the way Kokoro's own front
end (misaki) speaks them.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["Piece", "normalize", "cardinal", "ordinal", "year", "digits", "decimal", "plural_of_number"]


class Piece(NamedTuple):
    src_start: int  # span in the text given to normalize()
    src_end: int
    text: str  # words to say (space separated) or the punctuation mark(s)
    kind: str = "word"  # "word" or "punct"


# ---------------------------------------------------------------------------
# Numbers to words
# ---------------------------------------------------------------------------

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ["", "thousand", "million", "billion", "trillion", "quadrillion"]
_ORDINAL_WORDS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def _below_1000(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES[hundreds], "hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens])
        if ones:
            words.append(_ONES[ones])
    elif rest or not words:
        words.append(_ONES[rest])
    return words


def cardinal(n: int) -> str:
    """``1234`` -> ``"one thousand two hundred thirty four"`` (no "and")."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n >= 1000 ** len(_SCALES):
        return digits(str(n))
    if n < 1000:
        return " ".join(_below_1000(n))
    words: list[str] = []
    groups = []
    while n:
        n, g = divmod(n, 1000)
        groups.append(g)
    for i in range(len(groups) - 1, -1, -1):
        if groups[i]:
            words += _below_1000(groups[i])
            if _SCALES[i]:
                words.append(_SCALES[i])
    return " ".join(words)


def _ordinalize_word(word: str) -> str:
    if word in _ORDINAL_WORDS:
        return _ORDINAL_WORDS[word]
    if word.endswith("y"):
        return word[:-1] + "ieth"
    return word + "th"


def ordinal(n: int) -> str:
    """``22`` -> ``"twenty second"``."""
    words = cardinal(n).split()
    words[-1] = _ordinalize_word(words[-1])
    return " ".join(words)


def digits(s: str) -> str:
    """Read a digit string digit by digit: ``"007"`` -> ``"zero zero seven"``."""
    return " ".join(_ONES[int(c)] for c in s if c.isdigit())


def year(n: int) -> str:
    """Read a year: 1999 -> nineteen ninety nine, 2005 -> two thousand five, 1905 -> nineteen oh five."""
    if n < 1000 or n > 9999 or n % 1000 == 0 or 2000 < n < 2010:
        return cardinal(n)
    hi, lo = divmod(n, 100)
    if lo == 0:
        return cardinal(hi) + " hundred"
    if lo < 10:
        return cardinal(hi) + " oh " + cardinal(lo)
    return cardinal(hi) + " " + cardinal(lo)


def decimal(s: str) -> str:
    """``"3.14"`` -> ``"three point one four"``; ``"1,234.5"`` works; ``".5"`` -> ``"point five"``."""
    s = s.replace(",", "")
    whole, _, frac = s.partition(".")
    words = []
    if whole:
        words.append(_int_words(whole))
    if frac:
        words += ["point", digits(frac)]
    return " ".join(words)


def _int_words(s: str) -> str:
    """Whole number from its digits; leading zeros / very long strings are read digit by digit."""
    s = s.replace(",", "")
    if len(s) > 1 and s[0] == "0" or len(s) > 18:
        return digits(s)
    return cardinal(int(s))


def plural_of_number(words: str) -> str:
    """``"nineteen ninety"`` -> ``"nineteen nineties"``; ``"six"`` -> ``"sixes"``."""
    parts = words.split()
    w = parts[-1]
    if w.endswith("y"):
        w = w[:-1] + "ies"
    elif w.endswith(("x", "s")):
        w += "es"
    else:
        w += "s"
    parts[-1] = w
    return " ".join(parts)


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

#: Currency symbol -> (unit, units, subunit, subunits)
_CURRENCY = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "¥": ("yen", "yen", "sen", "sen"),
}
_SCALE_WORDS = {
    "thousand": "thousand",
    "million": "million",
    "billion": "billion",
    "trillion": "trillion",
    "k": "thousand",
    "K": "thousand",
    "m": "million",
    "M": "million",
    "mn": "million",
    "bn": "billion",
    "B": "billion",
    "b": "billion",
    "tn": "trillion",
    "T": "trillion",
}

#: Unit abbreviation -> (singular, plural).  Matched case-sensitively after a number.
_UNITS = {
    "mm": ("millimeter", "millimeters"),
    "cm": ("centimeter", "centimeters"),
    "m": ("meter", "meters"),
    "km": ("kilometer", "kilometers"),
    "mg": ("milligram", "milligrams"),
    "g": ("gram", "grams"),
    "kg": ("kilogram", "kilograms"),
    "t": ("ton", "tons"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "ft": ("foot", "feet"),
    "mi": ("mile", "miles"),
    "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"),
    "L": ("liter", "liters"),
    "l": ("liter", "liters"),
    "h": ("hour", "hours"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "min": ("minute", "minutes"),
    "mins": ("minute", "minutes"),
    "sec": ("second", "seconds"),
    "secs": ("second", "seconds"),
    "ms": ("millisecond", "milliseconds"),
    "mph": ("mile per hour", "miles per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "KB": ("kilobyte", "kilobytes"),
    "kB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"),
    "W": ("watt", "watts"),
    "kW": ("kilowatt", "kilowatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "V": ("volt", "volts"),
    "mAh": ("milliamp hour", "milliamp hours"),
    "x": ("times", "times"),
}
#: Units that are only taken when written right after the number ("5L"), not "5 L".
_ATTACHED_ONLY = {"l", "L", "h", "t", "W", "V", "x", "m", "g"}

#: Abbreviations written with a period.  Value: expansion, or a (before-name, otherwise) pair.
_ABBREVIATIONS: dict[str, str | tuple[str, str]] = {
    "Mr": "mister",
    "Mrs": "missus",
    "Ms": "Ms.",  # the lexicon knows "Ms." (mɪz)
    "Dr": ("doctor", "drive"),
    "St": ("saint", "street"),
    "Mt": "mount",
    "Jr": "junior",
    "Sr": "senior",
    "Prof": "professor",
    "Gen": "general",
    "Capt": "captain",
    "Lt": "lieutenant",
    "Sgt": "sergeant",
    "Rev": "reverend",
    "Gov": "governor",
    "Sen": "senator",
    "Rep": "representative",
    "Ave": "avenue",
    "Blvd": "boulevard",
    "Rd": "road",
    "Inc": "incorporated",
    "Ltd": "limited",
    "Co": "company",
    "Corp": "corporation",
    "Dept": "department",
    "Fig": "figure",
    "fig": "figure",
    "vs": "versus",
    "Vs": "versus",
    "etc": "etc.",  # the lexicon knows "etc." (et cetera)
    "approx": "approximately",
    "Jan": "January",
    "Feb": "February",
    "Mar": "March",
    "Apr": "April",
    "Aug": "August",
    "Sep": "September",
    "Sept": "September",
    "Oct": "October",
    "Nov": "November",
    "Dec": "December",
}
#: Abbreviations whose period may also end the sentence.
_SENTENCE_FINAL = {"etc", "Inc", "Ltd", "Co", "Corp", "Jr", "Sr", "St", "Ave", "Dr", "Blvd", "Rd", "Dept"}
_MULTI_DOT = {"e.g.": "for example", "i.e.": "that is", "a.m.": "a.m.", "p.m.": "p.m."}

_SYMBOL_WORDS = {"&": "and", "+": "plus", "=": "equals", "@": "at", "%": "percent"}

_OPEN_PUNCT = "([{“"
_PUNCT_CHARS = ",.!?;:()[]{}\"“”…—–"

# ---------------------------------------------------------------------------
# Regular expressions
# ---------------------------------------------------------------------------

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_RE_SPACE = re.compile(r"\s+")
_RE_CURRENCY = re.compile(
    rf"(?P<sign>[-−])?(?P<cur>[$€£¥])\s?(?P<num>{_NUM})"
    r"(?:(?P<sp>\s?)(?P<scale>thousand|million|billion|trillion|mn|bn|tn|[kKmMbBT])(?![A-Za-z]))?"
)
_RE_TIME = re.compile(
    r"(?P<h>\d{1,2}):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?(?!\d)"
    r"(?:\s?(?P<ampm>[aApP])\.?[mM]\.?(?![A-Za-z]))?"
)
_RE_HOUR_AMPM = re.compile(r"(?P<h>\d{1,2})\s?(?P<ampm>[aApP])\.?[mM]\.?(?![A-Za-z])")
_RE_NUMBER = re.compile(rf"(?P<sign>[-−])?(?P<num>{_NUM})")
_RE_ORD = re.compile(r"(?i:st|nd|rd|th)(?![A-Za-z])")
_RE_DECADE = re.compile(r"'?s(?![A-Za-z])")
_RE_RANGE = re.compile(rf"\s?[-–]\s?(?P<num>{_NUM})")
_RE_FRACTION = re.compile(r"/(?P<den>\d+)(?![\d/])")
_RE_DEGREE = re.compile(r"\s?°\s?(?P<scale>[CFK](?![A-Za-z]))?")
_RE_PERCENT = re.compile(r"\s?%")
_RE_UNIT = re.compile(
    r"(?P<sp>\s?)(?P<unit>km/h|[A-Za-z]{1,4})(?![A-Za-z0-9])"
)
_RE_TRAILING_CURRENCY = re.compile(r"\s?(?P<cur>[€£$¥])")
_RE_WORD = re.compile(
    r"[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+(?:['’][^\W\d_]+)*)*(?:(?<=[sS])['’](?![^\W\d_]))?"
)
_RE_LEADING_APOS_WORD = re.compile(r"['’](?:em|cause|til|tis|twas|bout|round|n['’]|kay|fraid|neath)(?![^\W\d_])", re.I)
_RE_DECADE_APOS = re.compile(r"['’](?P<d>\d0)s(?![A-Za-z])")
_RE_DOTTED = re.compile(r"(?:[A-Za-z]\.){2,}|(?:[A-Za-z]\.)(?:[A-Za-z])(?![A-Za-z.])")
_RE_ABBR = re.compile(r"(?P<w>[A-Za-z]+)\.")
_RE_ELLIPSIS = re.compile(r"\.{3,}|…")
_RE_DASH = re.compile(r"-{2,}|[—–]|-(?=\s)|(?<=\s)-")


def _followed_by_measure(text: str, pos: int) -> bool:
    """Is the number ending at ``pos`` followed by %, ° or a unit (so it is a quantity, not a year)?"""
    if _RE_PERCENT.match(text, pos) or _RE_DEGREE.match(text, pos):
        return True
    m = _RE_UNIT.match(text, pos)
    return bool(m and m.group("unit") in _UNITS and not (m.group("sp") and m.group("unit") in _ATTACHED_ONLY))


def _num_words(num: str) -> str:
    """Plain number text (commas, decimals) as words."""
    if "." in num:
        return decimal(num)
    return _int_words(num)


def _is_one(num: str) -> bool:
    return num.replace(",", "") == "1"


def _next_word_capitalised(text: str, pos: int) -> bool:
    m = re.compile(r"\s+([A-Z])").match(text, pos)
    return bool(m)


def _at_sentence_end(text: str, pos: int) -> bool:
    """After an abbreviation's period: is this the end of a sentence?"""
    rest = text[pos:]
    return not rest.strip() or bool(re.match(r"\s+[A-Z\"“(]", rest)) and not rest.lstrip()[:1].isdigit()


def text_end_dot(text: str, end: int) -> bool:
    """``text[:end]`` ends with a period that also ends the sentence."""
    return end > 0 and text[end - 1] == "." and _at_sentence_end(text, end)


class _Scanner:
    def __init__(self, text: str):
        self.text = text
        self.pieces: list[Piece] = []

    def word(self, start: int, end: int, words: str) -> None:
        if words:
            self.pieces.append(Piece(start, end, words, "word"))

    def punct(self, start: int, end: int, mark: str) -> None:
        self.pieces.append(Piece(start, end, mark, "punct"))

    # -- helpers -----------------------------------------------------------------
    def prev_char(self, i: int) -> str:
        return self.text[i - 1] if i > 0 else ""

    def sign_ok(self, i: int) -> bool:
        """A '-' at i may be a minus sign (not a hyphen between words/numbers)."""
        p = self.prev_char(i)
        return p == "" or p.isspace() or p in "([{\"“'/=<>"

    # -- number handling -----------------------------------------------------
    def try_currency(self, i: int) -> int | None:
        m = _RE_CURRENCY.match(self.text, i)
        if not m or (m.group("sign") and not self.sign_ok(i)):
            return None
        unit, units, sub, subs = _CURRENCY[m.group("cur")]
        num = m.group("num").replace(",", "")
        scale = m.group("scale")
        if scale and m.group("sp") and len(scale) <= 2 and scale not in ("mn", "bn", "tn"):
            scale = None  # "$5 M" is too ambiguous; "$5M" / "$5 million" are fine
        words = []
        if m.group("sign"):
            words.append("minus")
        end = m.end() if scale else m.end("num")
        if scale:
            words += [_num_words(num), _SCALE_WORDS[scale], units]
        else:
            whole, _, frac = num.partition(".")
            whole_n = int(whole) if whole else 0
            if frac and len(frac) == 2:
                cents = int(frac)
                if whole_n and cents:
                    words += [cardinal(whole_n), unit if whole_n == 1 else units, "and", cardinal(cents), sub if cents == 1 else subs]
                elif cents:
                    words += [cardinal(cents), sub if cents == 1 else subs]
                else:
                    words += [cardinal(whole_n), unit if whole_n == 1 else units]
            else:
                words += [_num_words(num), unit if num == "1" else units]
        self.word(i, end, " ".join(words))
        return end

    def try_time(self, i: int) -> int | None:
        m = _RE_TIME.match(self.text, i)
        if m and int(m.group("h")) <= 24:
            h, mi, s, ampm = int(m.group("h")), int(m.group("m")), m.group("s"), m.group("ampm")
            words = [cardinal(h)]
            if mi == 0 and not s:
                if not ampm:
                    words.append("o'clock" if h <= 12 else "hundred")
            elif mi < 10:
                words += ["oh", cardinal(mi)]
            else:
                words.append(cardinal(mi))
            if s:
                words += ["and", cardinal(int(s)), "second" if int(s) == 1 else "seconds"]
            end = m.end()
            if ampm:
                words.append(ampm.lower() + ".m.")
                if text_end_dot(self.text, end):
                    end -= 1  # "at 3:30 p.m." ending the sentence: the full stop stays a pause
            self.word(i, end, " ".join(words))
            return end
        m = _RE_HOUR_AMPM.match(self.text, i)
        if m and 0 < int(m.group("h")) <= 12:
            end = m.end()
            if text_end_dot(self.text, end):
                end -= 1  # "at 5 p.m." ending the sentence: leave the full stop to be a pause
            self.word(i, end, cardinal(int(m.group("h"))) + " " + m.group("ampm").lower() + ".m.")
            return end
        return None

    def try_number(self, i: int) -> int | None:
        text = self.text
        m = _RE_NUMBER.match(text, i)
        if not m:
            return None
        if m.group("sign") and not self.sign_ok(i):
            return None
        num = m.group("num")
        pos = m.end()
        sign = "minus " if m.group("sign") else ""
        plain_int = num.isdigit()
        # ordinals: 1st, 22nd, 101st
        if plain_int and (om := _RE_ORD.match(text, pos)):
            self.word(i, om.end(), sign + ordinal(int(num)))
            return om.end()
        # decades / plurals: 1990s, 80s
        if plain_int and (dm := _RE_DECADE.match(text, pos)):
            base = year(int(num)) if len(num) == 4 else _int_words(num)
            self.word(i, dm.end(), sign + plural_of_number(base))
            return dm.end()
        # fractions: 3/4
        if plain_int and (fm := _RE_FRACTION.match(text, pos)):
            n, d = int(num), int(fm.group("den"))
            if 2 <= d <= 10 and 0 < n < d:
                den = "half" if d == 2 else "quarter" if d == 4 else ordinal(d)
                if n > 1:
                    den = "halves" if d == 2 else den + "s"
                self.word(i, fm.end(), sign + cardinal(n) + " " + den)
                return fm.end()
        # ranges: 3-5, 1990-1995, 10–20%
        words = sign + self._plain(num, text, pos)
        rm = _RE_RANGE.match(text, pos)
        if rm and not sign and rm.group("num")[0] != ".":
            other = rm.group("num")
            a, b = float(num.replace(",", "")), float(other.replace(",", ""))
            phone = len(num) == 3 and len(other) == 4 and plain_int
            if len(num) == 4 and len(other) == 2 and plain_int and other.isdigit() and words == year(int(num)):
                words += " to " + (year(int(num[:2] + other)) if other[0] != "0" else "oh " + cardinal(int(other)))
                pos = rm.end()  # 2020-21: "twenty twenty to twenty twenty one"
            elif b > a and not phone:
                words += " to " + self._plain(other, text, rm.end())
                pos = rm.end()
            else:
                words = digits(num) if phone else words
                words += " " + (digits(other) if phone else _num_words(other))
                pos = rm.end()
        # trailing things: %, °C, units, trailing currency
        if pm := _RE_PERCENT.match(text, pos):
            self.word(i, pm.end(), words + " percent")
            return pm.end()
        if gm := _RE_DEGREE.match(text, pos):
            unit = "degree" if num == "1" and words == "one" else "degrees"
            scale = {"C": " Celsius", "F": " Fahrenheit", "K": " kelvin", None: ""}[gm.group("scale")]
            self.word(i, gm.end(), words + " " + unit + scale)
            return gm.end()
        if cm := _RE_TRAILING_CURRENCY.match(text, pos):
            unit, units, _, _ = _CURRENCY[cm.group("cur")]
            self.word(i, cm.end(), words + " " + (unit if _is_one(num) and words == "one" else units))
            return cm.end()
        if um := _RE_UNIT.match(text, pos):
            unit = um.group("unit")
            if unit in ("k",) and not um.group("sp"):
                self.word(i, um.end(), words + " thousand")
                return um.end()
            if unit in _UNITS and not (um.group("sp") and unit in _ATTACHED_ONLY):
                one, many = _UNITS[unit]
                self.word(i, um.end(), words + " " + (one if words == "one" else many))
                return um.end()
        self.word(i, pos, words)
        return pos

    @staticmethod
    def _plain(num: str, text: str, end: int) -> str:
        """A number on its own: years for 4-digit integers that look like years."""
        if num.isdigit() and len(num) == 4 and num[0] in "12" and not num.startswith("10"):
            if not _followed_by_measure(text, end):
                return year(int(num))
        return _num_words(num)

    # -- main loop ---------------------------------------------------------------
    def run(self) -> list[Piece]:
        text = self.text
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if c.isspace():
                i = _RE_SPACE.match(text, i).end()
                continue
            # numbers and things starting with a currency sign or a minus
            if c.isdigit() or c in "$€£¥-−." and i + 1 < n:
                end = None
                if c in "$€£¥" or c in "-−" and i + 1 < n and text[i + 1] in "$€£¥":
                    end = self.try_currency(i)
                if end is None and c.isdigit():
                    end = self.try_time(i)
                if end is None and (c.isdigit() or c in "-−." and i + 1 < n and text[i + 1].isdigit()):
                    if c == "." and (i > 0 and text[i - 1].isdigit()):
                        end = None
                    else:
                        end = self.try_number(i)
                if end is not None:
                    i = end
                    continue
            if c in "'’":
                m = _RE_DECADE_APOS.match(text, i)
                if m:
                    self.word(i, m.end(), plural_of_number(cardinal(int(m.group("d")))))
                    i = m.end()
                    continue
                m = _RE_LEADING_APOS_WORD.match(text, i)
                if m and (i == 0 or not text[i - 1].isalnum()):
                    self.word(i, m.end(), m.group().replace("’", "'"))
                    i = m.end()
                    continue
                i += 1  # stray apostrophe / single quote: silent
                continue
            if c.isalpha():
                i = self._word_at(i)
                continue
            if c == "#" and i + 1 < n and text[i + 1].isdigit():
                self.word(i, i + 1, "number")
                i += 1
                continue
            m = _RE_ELLIPSIS.match(text, i)
            if m:
                self.punct(i, m.end(), "…")
                i = m.end()
                continue
            m = _RE_DASH.match(text, i)
            if m:
                self.punct(i, m.end(), "—")
                i = m.end()
                continue
            if c in _SYMBOL_WORDS:
                self.word(i, i + 1, _SYMBOL_WORDS[c])
                i += 1
                continue
            if c in _PUNCT_CHARS:
                self.punct(i, i + 1, c)
                i += 1
                continue
            i += 1  # anything else (-, *, _, /, ~, ...) has nothing to say
        return self.pieces

    def _word_at(self, i: int) -> int:
        text = self.text
        # multi-dot abbreviations: e.g., i.e., a.m.
        for k, v in _MULTI_DOT.items():
            if text[i:i + len(k)].lower() == k and not text[i + len(k):i + len(k) + 1].isalpha():
                end = i + len(k)
                if k in ("a.m.", "p.m.") and _at_sentence_end(text, end):
                    self.word(i, end - 1, v)
                    return end - 1
                self.word(i, end, v)
                return end
        # dotted acronyms: U.S.A., U.K.
        m = _RE_DOTTED.match(text, i)
        if m and (i == 0 or not text[i - 1].isalpha()):
            end = m.end()
            if text[end - 1] == "." and _at_sentence_end(text, end):
                self.word(i, end - 1, m.group())
                return end - 1
            self.word(i, end, m.group())
            return end
        # abbreviations with a period
        m = _RE_ABBR.match(text, i)
        if m and m.group("w") in _ABBREVIATIONS and (i == 0 or not text[i - 1].isalpha()):
            w = m.group("w")
            end = m.end()
            exp = _ABBREVIATIONS[w]
            before_name = _next_word_capitalised(text, end)
            if isinstance(exp, tuple):
                prev_cap = bool(re.search(r"[A-Z][a-z]*\s+$", text[:i]))
                exp = exp[0] if before_name and not (prev_cap and _at_sentence_end(text, end)) else exp[1]
            if exp is not None:
                if w in _SENTENCE_FINAL and _at_sentence_end(text, end) and not (
                    before_name and w in ("St", "Dr") and exp in ("saint", "doctor")
                ):
                    self.word(i, end - 1, exp)
                    return end - 1  # the period is also the end of the sentence
                self.word(i, end, exp)
                return end
        if text.startswith(("No.", "no."), i) and re.match(r"\s?\d", text[i + 3:]):
            self.word(i, i + 3, "number")
            return i + 3
        m = _RE_WORD.match(text, i)
        end = m.end() if m else i + 1
        # split letters and digits ("MP3" -> "MP" handled here, "3" next)
        self.word(i, end, text[i:end].replace("’", "'"))
        return end


def normalize(text: str) -> list[Piece]:
    """Cut ``text`` into word and punctuation pieces with spans (see module doc)."""
    return _Scanner(text).run()
