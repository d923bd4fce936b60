"""Read out numbers and symbols in Mandarin text, keeping source spans.

    >>> normalize_spans("2024年3月5日")
    [(0, 1, '二'), (1, 2, '零'), (2, 3, '二'), (3, 4, '四'), (4, 5, '年'), (5, 6, '三'), ...]

Every piece says which raw span ``[src_start, src_end)`` its spoken text comes
from, so each spoken character can be traced back to the input.  Pieces come in
source order and cover the text without gaps; untouched text is returned
verbatim (``kind == "text"``).

Handled: integers (with 两 before measure words), decimals, negatives,
thousands separators, ordinals (第3), 4-digit years before 年 and ISO dates
(2024-03-05, 2024/3/5), clock times (14:30, 14:30:15; 3点半 reads naturally),
percentages, currency symbols (¥ ￥ $ € £), measurement units (kg, km, °C, ...),
fractions (1/2), ranges (3-5, 3~5%, 10:00-12:00), simple arithmetic (+ = × ÷),
and phone-like digit strings (read digit by digit, 1 as 幺).
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "Expr",
    "Piece",
    "digits_to_zh",
    "int_to_zh",
    "normalize_pieces",
    "normalize_spans",
    "normalize_text",
    "number_to_zh",
    "scan_numbers",
]

_DIGIT_ZH = "零一二三四五六七八九"
# Full-width digits -> ASCII (same length, so positions are kept).
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")


class Piece(NamedTuple):
    src_start: int
    src_end: int
    text: str  # spoken text (CJK only for non-"text" pieces; may be "")
    # "text": verbatim source; "digits": read digit by digit; "number": a cardinal
    # that may take a following measure word (一个); "quantity": a closed
    # reading (decimal, percentage, clock time, fraction, date part, unit, sign).
    kind: str


class Expr(NamedTuple):
    """One numeric expression found in the text: its span and its pieces."""

    start: int
    end: int
    pieces: tuple[Piece, ...]


# --------------------------------------------------------------------------- numbers


def _group_to_zh(n: int, first: bool) -> str:
    """1..9999 -> Chinese, without the group's 万/亿 suffix."""
    out = ""
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d == 0:
            if out:
                zero = True
            continue
        if zero:
            out += "零"
            zero = False
        if d == 1 and unit == "十" and not out and first:
            out += "十"
        elif d == 2 and unit == "千":
            out += "两千"
        else:
            out += _DIGIT_ZH[d] + unit
    return out


def int_to_zh(n: int, liang: bool = False) -> str:
    """Cardinal reading: 2024 -> 两千零二十四, 15 -> 十五, 10005 -> 一万零五.

    ``liang`` reads a bare 2 as 两 (before measure words: 两个).
    """
    if n < 0:
        return "负" + int_to_zh(-n, liang)
    if n == 0:
        return "零"
    if n == 2 and liang:
        return "两"
    if n >= 10**16:
        return digits_to_zh(str(n))
    groups = []
    rest = n
    while rest:
        groups.append(rest % 10000)
        rest //= 10000
    units = ["", "万", "亿", "万亿"]
    out = ""
    pending_zero = False
    first = True
    for idx in range(len(groups) - 1, -1, -1):
        g = groups[idx]
        if g == 0:
            if not first:
                pending_zero = True
            continue
        if not first and (pending_zero or g < 1000):
            out += "零"
        pending_zero = False
        if g == 2 and idx > 0:
            out += "两"
        else:
            out += _group_to_zh(g, first)
        out += units[idx]
        first = False
    return out


def digits_to_zh(s: str, phone: bool = False) -> str:
    """Digit by digit: "2024" -> 二零二四; ``phone`` reads 1 as 幺."""
    out = []
    for ch in s:
        if ch.isdigit():
            d = int(ch)
            out.append("幺" if (phone and d == 1) else _DIGIT_ZH[d])
    return "".join(out)


def number_to_zh(s: str, liang: bool = False) -> str:
    """A number string ("1,234.50", "-3", "0.5") -> its reading."""
    s = s.replace(",", "").replace("，", "")
    neg = s.startswith(("-", "−"))
    if neg:
        s = s[1:]
    if "." in s:
        ip, fp = s.split(".", 1)
        out = int_to_zh(int(ip or "0")) + "点" + digits_to_zh(fp)
    else:
        out = int_to_zh(int(s), liang)
    return ("负" if neg else "") + out


# --------------------------------------------------------------------------- tables

_CURRENCY = {"¥": "元", "￥": "元", "$": "美元", "€": "欧元", "£": "英镑", "₩": "韩元"}

# unit symbol -> (reading, may use 两 for 2)
_UNITS: dict[str, tuple[str, bool]] = {
    "km/h": ("公里每小时", True), "m/s": ("米每秒", True), "mph": ("英里每小时", True),
    "km²": ("平方公里", True), "m²": ("平方米", True), "cm²": ("平方厘米", True), "㎡": ("平方米", True),
    "m³": ("立方米", True), "cm³": ("立方厘米", True),
    "kg": ("千克", True), "KG": ("千克", True), "Kg": ("千克", True), "mg": ("毫克", True), "g": ("克", True),
    "km": ("公里", True), "KM": ("公里", True), "cm": ("厘米", True), "mm": ("毫米", True),
    "μm": ("微米", True), "nm": ("纳米", True), "m": ("米", True),
    "ml": ("毫升", True), "mL": ("毫升", True), "ML": ("毫升", True), "L": ("升", True), "l": ("升", True),
    "ms": ("毫秒", True), "min": ("分钟", True), "h": ("小时", True), "s": ("秒", True),
    "°C": ("摄氏度", False), "℃": ("摄氏度", False), "°F": ("华氏度", False), "℉": ("华氏度", False),
    "°": ("度", False),
    "kHz": ("千赫兹", True), "MHz": ("兆赫兹", True), "GHz": ("吉赫兹", True), "Hz": ("赫兹", True),
    "KB": ("千字节", True), "kb": ("千字节", True), "MB": ("兆字节", True), "GB": ("吉字节", True),
    "TB": ("太字节", True), "mAh": ("毫安时", True), "kW": ("千瓦", True), "kWh": ("千瓦时", True),
    "W": ("瓦", True), "kcal": ("千卡", True), "t": ("吨", True), "lb": ("磅", True), "lbs": ("磅", True),
    "oz": ("盎司", True), "ft": ("英尺", True),
}
_UNIT_RE = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))

# First character of a following word that makes a bare 2 read as 两.
_LIANG_NEXT = set(
    "个只本条张次位件天种辆台把双对份块斤岁倍层遍场部首支家间口名片篇趟句点周年项门声下步成分秒杯瓶碗颗棵根朵"
    "匹头架艘座栋所封袋包盒箱桶盘节套枝枚笔餐顿回届列排群批伙样类小公千万百亿米克吨升人元毛里拳脚眼刀枪滴"
)
_QUANTITY_NEXT = set("点时月日号楼")  # 1点 / 1月 / 1号: closed readings (yi1)
_DIGITS_KEYWORDS = (
    "电话", "号码", "手机", "热线", "拨打", "致电", "账号", "编号", "尾号", "验证码", "房间", "工号", "学号",
    "卡号", "密码", "邮编", "单号", "QQ", "qq", "分机", "座机", "车次", "航班",
)

_NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
_RE_NUMBER = re.compile(_NUMBER)
_RE_ISO_DATE = re.compile(
    r"(?P<y>\d{4})(?P<sep>[-/.])(?P<mo>1[0-2]|0?[1-9])(?P=sep)(?P<d>3[01]|[12]\d|0?[1-9])(?![\d.])"
)
_RE_TIME = re.compile(r"(?P<h>2[0-4]|[01]?\d)(?P<c1>[:：])(?P<mi>[0-5]\d)(?:(?P<c2>[:：])(?P<se>[0-5]\d))?(?!\d)")
_RE_PHONE = re.compile(
    r"(?:\+\d{1,3}[ -]?)?(?:1[3-9]\d[ -]\d{4}[ -]\d{4}|\(?0\d{2,3}\)?[ -]?\d{7,8}|\d{3,4}[ -]\d{3,4}[ -]\d{4})(?!\d)"
)
_RE_PLUS_PHONE = re.compile(r"\+\d{6,15}(?!\d)")
_RE_YEAR = re.compile(r"\d{4}(?=\s?年|\s?[-~～—–至到]\s?\d{4}\s?年)")
_RE_PERCENT = re.compile(rf"(?P<num>{_NUMBER})\s?[%％‰]")
_RE_UNIT = re.compile(rf"(?P<num>{_NUMBER})\s?(?P<unit>{_UNIT_RE})(?![A-Za-z²³])")
_RE_FRACTION = re.compile(r"(?P<a>\d+)/(?P<b>\d+)(?![\d/])")
_RE_CURRENCY = re.compile(rf"(?P<sym>[¥￥$€£₩])\s?(?P<num>{_NUMBER})")
_RE_LEADING_ZERO = re.compile(r"0\d+(?![\d.,])")
_RE_LONG_DIGITS = re.compile(r"\d{11,}(?![\d.])")
_RE_OPERATOR = re.compile(r"\s?(?P<op>[-~～—–+=×÷:：])\s?(?=[\d¥￥$€£₩])")

_OPERATORS = {
    "-": "到", "~": "到", "～": "到", "—": "到", "–": "到", "+": "加", "=": "等于", "×": "乘", "÷": "除以",
    ":": "比", "：": "比",  # a score or ratio (clock times are matched before this)
}


def _digit_pieces(text: str, start: int, end: int, phone: bool = False) -> list[Piece]:
    """One piece per digit (separators between digits become empty pieces)."""
    out = []
    for i in range(start, end):
        ch = text[i]
        out.append(Piece(i, i + 1, digits_to_zh(ch, phone) if ch.isdigit() else "", "digits"))
    return out


def _plain_number(text: str, start: int, end: int, neg_start: int | None = None) -> list[Piece]:
    """A plain number at [start, end) (optionally with a minus sign at neg_start)."""
    s = text[start:end]
    s_start = start if neg_start is None else neg_start
    if "." in s:
        reading = number_to_zh(s)
        kind = "quantity"
    else:
        digits = s.replace(",", "")
        before = text[max(0, s_start - 6) : s_start]
        if len(digits) >= 3 and any(k in before for k in _DIGITS_KEYWORDS) and neg_start is None and "," not in s:
            return _digit_pieces(text, start, end, phone=True)
        if len(digits) >= 13 and "," not in s:
            return _digit_pieces(text, start, end)
        nxt = text[end : end + 2].lstrip()[:1]
        prev = text[s_start - 1] if s_start > 0 else ""
        liang = digits == "2" and nxt in _LIANG_NEXT and prev != "第" and neg_start is None
        reading = int_to_zh(int(digits), liang)
        kind = "quantity" if nxt in _QUANTITY_NEXT else "number"
    if neg_start is not None:
        reading = "负" + reading
        kind = "quantity"
    return [Piece(s_start, end, reading, kind)]


def _match_at(text: str, i: int, prev_end: int) -> tuple[int, list[Piece]] | None:
    """Try every expression form at position ``i``; first match wins."""
    ch = text[i]

    if ch in _CURRENCY:
        m = _RE_CURRENCY.match(text, i)
        if m:
            reading = number_to_zh(m.group("num")) + _CURRENCY[m.group("sym")]
            return m.end(), [Piece(i, m.end(), reading, "quantity")]
        return None

    if ch == "+":
        m = _RE_PLUS_PHONE.match(text, i) or _RE_PHONE.match(text, i)
        if m and (i == 0 or not text[i - 1].isdigit()):
            return m.end(), [Piece(i, i + 1, "", "digits"), *_digit_pieces(text, i + 1, m.end(), phone=True)]

    if ch in _OPERATORS or ch in "−" or ch.isspace():
        m = _RE_OPERATOR.match(text, i)
        if m and prev_end == i:  # directly after an expression: range / arithmetic
            return m.end(), [Piece(i, m.end(), _OPERATORS[m.group("op")], "text")]
        prev = text[i - 1] if i > 0 else " "
        if ch in "-−" and not ((prev.isascii() and prev.isalnum()) or prev in "._%"):
            if i + 1 < len(text) and text[i + 1].isdigit():
                return _match_number(text, i + 1, neg_start=i)
        return None

    if not ch.isdigit():
        return None
    if i > 0 and text[i - 1].isdigit():
        return None
    return _match_number(text, i, None)


def _match_number(text: str, i: int, neg_start: int | None) -> tuple[int, list[Piece]] | None:
    s0 = i if neg_start is None else neg_start
    if neg_start is None:
        m = _RE_ISO_DATE.match(text, i)
        if m:
            pieces = _digit_pieces(text, m.start("y"), m.end("y"))
            pieces.append(Piece(m.end("y"), m.start("mo"), "年", "quantity"))
            pieces.append(Piece(m.start("mo"), m.end("mo"), int_to_zh(int(m.group("mo"))), "quantity"))
            pieces.append(Piece(m.end("mo"), m.start("d"), "月", "quantity"))
            pieces.append(Piece(m.start("d"), m.end("d"), int_to_zh(int(m.group("d"))) + "日", "quantity"))
            return m.end(), pieces
        m = _RE_TIME.match(text, i)
        if m:
            h, mi = int(m.group("h")), int(m.group("mi"))
            pieces = [
                Piece(m.start("h"), m.end("h"), int_to_zh(h, liang=True), "quantity"),
                Piece(m.start("c1"), m.end("c1"), "点", "quantity"),
            ]
            if m.group("se"):
                mi_text = ("零" if mi < 10 else "") + int_to_zh(mi) + "分"
                pieces.append(Piece(m.start("mi"), m.end("mi"), mi_text, "quantity"))
                pieces.append(Piece(m.start("c2"), m.end("c2"), "", "quantity"))
                pieces.append(Piece(m.start("se"), m.end("se"), int_to_zh(int(m.group("se"))) + "秒", "quantity"))
            else:
                mi_text = "" if mi == 0 else ("零" if mi < 10 else "") + int_to_zh(mi) + "分"
                pieces.append(Piece(m.start("mi"), m.end("mi"), mi_text, "quantity"))
            return m.end(), pieces
        m = _RE_PHONE.match(text, i)
        if m:
            return m.end(), _digit_pieces(text, i, m.end(), phone=True)
        m = _RE_YEAR.match(text, i)
        if m:
            return m.end(), _digit_pieces(text, i, m.end())
    m = _RE_PERCENT.match(text, i)
    if m:
        reading = ("负" if neg_start is not None else "") + "百分之" + number_to_zh(m.group("num"))
        if text[m.end() - 1] == "‰":
            reading = reading.replace("百分之", "千分之")
        return m.end(), [Piece(s0, m.end(), reading, "quantity")]
    m = _RE_UNIT.match(text, i)
    if m:
        unit = m.group("unit")
        reading, liang_ok = _UNITS[unit]
        num = m.group("num")
        if neg_start is not None:
            sign = "零下" if unit in ("°C", "℃", "°F", "℉", "°") else "负"
            num_text = sign + number_to_zh(num)
        else:
            num_text = number_to_zh(num, liang=liang_ok)
        return m.end(), [
            Piece(s0, m.end("num"), num_text, "number" if "." not in num and neg_start is None else "quantity"),
            Piece(m.end("num"), m.end(), reading, "quantity"),
        ]
    m = _RE_FRACTION.match(text, i)
    if m and neg_start is None:
        a, b = int(m.group("a")), int(m.group("b"))
        if b != 0:
            return m.end(), [Piece(i, m.end(), int_to_zh(b) + "分之" + int_to_zh(a), "quantity")]
    if neg_start is None:
        m = _RE_LEADING_ZERO.match(text, i)
        if m:
            return m.end(), _digit_pieces(text, i, m.end())
        m = _RE_LONG_DIGITS.match(text, i)
        if m:
            return m.end(), _digit_pieces(text, i, m.end(), phone=True)
    m = _RE_NUMBER.match(text, i)
    if m:
        return m.end(), _plain_number(text, i, m.end(), neg_start)
    return None


def scan_numbers(text: str) -> list[Expr]:
    """Find the numeric expressions in ``text`` (non-overlapping, in order)."""
    t = text.translate(_FULLWIDTH)
    out: list[Expr] = []
    i = 0
    prev_end = -1
    n = len(t)
    while i < n:
        ch = t[i]
        if ch.isdigit() or ch in _CURRENCY or ch in _OPERATORS or ch in "−" or (ch.isspace() and prev_end == i):
            res = _match_at(t, i, prev_end)
            if res is not None and res[0] > i:
                end, pieces = res
                if out and out[-1].end == i:  # range / arithmetic continue the previous expression
                    last = out.pop()
                    out.append(Expr(last.start, end, last.pieces + tuple(pieces)))
                else:
                    out.append(Expr(i, end, tuple(pieces)))
                prev_end = end
                i = end
                continue
        i += 1
    return out


def normalize_pieces(text: str) -> list[Piece]:
    """All of ``text`` as pieces (verbatim text between numeric expressions)."""
    out: list[Piece] = []
    pos = 0
    for expr in scan_numbers(text):
        if expr.start > pos:
            out.append(Piece(pos, expr.start, text[pos : expr.start], "text"))
        out.extend(expr.pieces)
        pos = expr.end
    if pos < len(text):
        out.append(Piece(pos, len(text), text[pos:], "text"))
    return out


def normalize_spans(text: str) -> list[tuple[int, int, str]]:
    """``(src_start, src_end, spoken_text)`` for every piece of ``text``, in order.

    Verbatim stretches are returned as one piece each; numeric expressions are
    split as finely as their reading allows (a year digit by digit, a cardinal
    number as a whole).
    """
    return [(p.src_start, p.src_end, p.text) for p in normalize_pieces(text)]


def normalize_text(text: str) -> str:
    """The spoken text only: ``"温度20°C"`` -> ``"温度二十摄氏度"``."""
    return "".join(p.text for p in normalize_pieces(text))
