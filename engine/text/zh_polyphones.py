"""Context rules for the common polyphones read on their own, where no dictionary word covers them
(得 dé/de/děi, 地, 长, 只, 行, 重, 种, 觉, 为, 教, 还, 数, 着, 了, 过), with the character tables they
consult and the character-level view of a chunk (:class:`_Ctx`) they read context from.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.text.pinyin import ParsedPinyin
from engine.text.zh_dicts import _state
from engine.text.zh_types import _Word, is_cjk

_NUMERIC_CHARS = set("零〇一二三四五六七八九十百千万亿两幺")
_DIGIT_CHARS = set("零〇一二三四五六七八九幺")
_MAGNITUDES = set("十百千万亿")
_NUMERAL_BEFORE_MEASURE = set("一二两三四五六七八九十几百千万每这那哪某半第")
_PARTICLES = set("吗呢吧啊呀哇啦嘛呗咯喽哒嘞呐")
_KINSHIP = set("妈爸哥姐弟妹爷奶姥婆公叔伯舅姑婶姨宝娃太")
_ZI_NOT_NEUTRAL = {
    "孔子", "老子", "孟子", "庄子", "墨子", "荀子", "韩非子", "君子", "天子", "太子", "弟子", "才子", "游子",
    "赤子", "男子", "女子", "分子", "原子", "电子", "质子", "中子", "离子", "粒子", "因子", "量子", "光子",
    "孢子", "瓜子", "莲子", "松子", "棋子", "卵子", "精子", "学子", "士子", "臣子", "诸子", "逆子", "独子",
    "长子", "次子", "母子", "父子", "妃子", "甲子", "仔子", "夫子", "内子", "犬子", "公子", "王子", "世子",
}
_NEUTRAL_LAST = {
    "麻烦", "骨头", "馒头", "衣服", "舒服", "朋友", "漂亮", "明白", "时候", "告诉", "喜欢", "认识", "意思",
    "事情", "先生", "学生", "眼睛", "耳朵", "脑袋", "地方", "豆腐", "葡萄", "萝卜", "玻璃", "窗户", "聪明",
    "糊涂", "清楚", "热闹", "暖和", "结实", "老实", "客气", "关系", "故事", "消息", "休息", "月亮", "太阳",
    "名字", "头发", "石头", "木头", "枕头", "指头", "舌头", "尾巴", "嘴巴", "哑巴", "家伙", "打扮", "打听",
    "打算", "商量", "招呼", "答应", "吩咐", "收拾", "琢磨", "折腾", "委屈", "姑娘", "媳妇", "师傅", "师父",
    "大夫", "队伍", "那么", "这么", "怎么", "什么", "多么", "这个", "那个", "哪个", "东西", "谢谢", "部分",
    "亲戚", "钥匙", "算盘", "规矩", "厉害", "困难", "心思", "动静", "地道", "别人", "窝囊", "疙瘩", "护士",
}
_DIRECTIONAL_HEAD = set("上下进出回过起开")
#: what starts a count after 过 "after" (过两天, 过一会儿)
_COUNT_START = set("一二两三四五六七八九十几半")
_GUO_VERBS = set("去吃看听见做来到说用玩试想学写读住买坐哭爱有干喝打唱聊碰")
_AA_VERBS = set("看想试说听走问尝找写读教等聊玩猜歇坐动摸揉洗练学查算数抱亲笑跳逛转讲比闻瞧拍")
_DEGREE_ADVERBS = set("很太真最更多好挺蛮较极超特非么")
_PRONOUNS = set("我你他她它您")
#: one-character verbs jieba's single tag gets wrong (换 is tagged nz)
_COMMON_VERBS = set("换走去来做买卖拿说看找吃喝想写改跑回等给带送叫问开关用学")
#: 还 huán before a pronoun when one of these comes first (再还我, 快还你, 不还他)
_HUAN_BEFORE = set("再要快先没去来得不会能该就把") | _PRONOUNS
#: verbs after which X为 reads wéi, "as" (选他为队长, 立她为后)
_WEI_VERBS = set("选称任拜封立奉推评定")
#: what follows the verb 种 zhòng (种了, 种树, 种下)
_ZHONG_VERB_NEXT = set("了过着下树花草菜地田瓜豆苗")


def _single_char_rule(ch: str, default: ParsedPinyin, ctx: _Ctx, k: int) -> ParsedPinyin:
    """Context rules for polyphones read on their own (not covered by a dictionary word)."""
    prev = ctx.char(k - 1)
    nxt = ctx.char(k + 1)
    word = ctx.word_of(k)
    alone = len(word.text) == 1
    widx = ctx.word_index(k)
    prev_word = ctx.words[widx - 1] if widx > 0 else None
    next_word = ctx.words[widx + 1] if widx + 1 < len(ctx.words) else None
    pos = word.pos
    if ch == "得":
        if alone and next_word is not None and (_is_verb(next_word) or _adverb_then_verb(ctx, widx + 1)) and (
            prev_word is None or prev_word.pos in ("r", "n", "nr", "d") or prev_word.text in ("还", "就", "也", "都", "必须", "总")
        ):
            return ParsedPinyin("dei", 3)
        if alone and nxt == "了" and prev_word is not None and prev_word.pos in ("r", "n", "nr"):
            return ParsedPinyin("de", 2)  # 他得了第一名: obtained (跑得了 stays de liǎo)
        if prev:
            return ParsedPinyin("de", 5)
        return ParsedPinyin("de", 2)
    if ch == "地" and not alone and len(word.text) >= 3 and k == ctx.word_end(k) - 1 and (
            word.pos[:1] in ("z", "d") or word.text[0] == word.text[1]):
        return ParsedPinyin("de", 5)  # jieba's one word 轻轻地, 慢慢地
    if ch == "地" and alone:
        if prev_word is not None and (
            (len(prev_word.text) >= 2 and prev_word.pos[:1] in ("a", "b", "d", "z", "i", "l", "v"))
            or (len(prev_word.text) == 2 and prev_word.text[0] == prev_word.text[1])
        ):
            return ParsedPinyin("de", 5)
        return ParsedPinyin("di", 4)
    if ch == "长":
        if prev and prev in _DEGREE_ADVERBS or (nxt and nxt in "度久远短期条"):
            return ParsedPinyin("chang", 2)
        if nxt and nxt in "大高得着了成胖":
            return ParsedPinyin("zhang", 3)
        return ParsedPinyin("chang", 2)
    if ch == "只":
        if prev and prev in _NUMERAL_BEFORE_MEASURE:
            return ParsedPinyin("zhi", 1)
        return ParsedPinyin("zhi", 3)
    if ch == "行" and prev and prev in _NUMERAL_BEFORE_MEASURE and nxt != "人":
        return ParsedPinyin("hang", 2)
    if ch == "重" and nxt and nxt in "新来复做写建启逢申叠返播装温":
        return ParsedPinyin("chong", 2)
    if ch == "种":
        if prev and prev in _NUMERAL_BEFORE_MEASURE | set("各多"):
            return ParsedPinyin("zhong", 3)
        if pos.startswith("v") or (nxt and nxt in _ZHONG_VERB_NEXT):
            return ParsedPinyin("zhong", 4)
    if ch == "觉" and ("睡" in ctx.chars_before(k, 3) or (alone and (
            "睡" in _clause_before(ctx.text, k, 10) or (prev and prev in "个一午")))):
        return ParsedPinyin("jiao", 4)
    if ch == "为" and alone and any(c in _WEI_VERBS for c in ctx.chars_before(k, 3)):
        return ParsedPinyin("wei", 2)
    if ch == "教" and nxt and (nxt in "我你他她它们大" or (nxt == "教" and ctx.char(k + 2) in tuple("我你他她它们大"))):
        return ParsedPinyin("jiao", 1)
    if ch == "还" and nxt and (nxt in "钱书债款给清回" or (nxt in _PRONOUNS and prev and prev in _HUAN_BEFORE)):
        return ParsedPinyin("huan", 2)
    if ch == "数" and (prev == "一" and ctx.char(k - 2) == "数" or (nxt and nxt in "一到数了着过钱清不完")):
        return ParsedPinyin("shu", 3)
    if ch == "着" and not (nxt and nxt in "急火凉迷"):
        return ParsedPinyin("zhe", 5)
    if ch == "了" and (alone or k == ctx.word_end(k) - 1):
        return ParsedPinyin("le", 5)
    if ch == "过" and not alone and k == ctx.word_start(k) + 1 and prev in _GUO_VERBS:
        return ParsedPinyin("guo", 5)  # experiential 过: 去过 吃过 (but 穿过 chuān guò)
    if ch == "过" and alone and nxt and nxt in _COUNT_START and (prev_word is None or not prev_word.pos.startswith("v")):
        return ParsedPinyin("guo", 4)  # 过两天, 再过三天: "after" (看/过/两次 keeps guo)
    if ch == "过" and alone and pos == "ug":
        return ParsedPinyin("guo", 5)
    return default


def _adverb_then_verb(ctx: _Ctx, widx: int) -> bool:
    """Word ``widx`` is an adverb or 多 and a verb follows it (你得/先/走, 你得/多/喝): 得 děi "must"."""
    if widx >= len(ctx.words):
        return False
    word = ctx.words[widx]
    if len(word.text) > 1 and word.text[0] == "多":  # jieba's one word 多喝水
        return _state["jieba_tags"].get(word.text[1], "").startswith("v")
    if widx + 1 >= len(ctx.words):
        return False
    return (word.pos == "d" or word.text == "多") and _is_verb(ctx.words[widx + 1])


def _is_verb(word: _Word) -> bool:
    """A verb by jieba's tag, or (a word jieba does not tag, 换个) by its first character's."""
    if word.pos.startswith("v"):
        return True
    if word.pos == "x" and word.text:
        first = word.text[0]
        return first in _COMMON_VERBS or _state["jieba_tags"].get(first, "").startswith("v")
    return False


def _clause_before(text: str, k: int, n: int) -> str:
    """Up to ``n`` characters before ``k``, not across punctuation."""
    out = []
    for c in reversed(text[max(0, k - n) : k]):
        if not is_cjk(c):
            break
        out.append(c)
    return "".join(reversed(out))


@dataclass
class _Ctx:
    """Character-level view of one chunk with its jieba words."""

    text: str
    words: list[_Word]
    starts: list[int]  # start index of each word in text

    def char(self, k: int) -> str:
        return self.text[k] if 0 <= k < len(self.text) else ""

    def chars_before(self, k: int, n: int) -> str:
        return self.text[max(0, k - n) : k]

    def word_index(self, k: int) -> int:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= k:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def word_of(self, k: int) -> _Word:
        return self.words[self.word_index(k)]

    def word_start(self, k: int) -> int:
        return self.starts[self.word_index(k)]

    def word_end(self, k: int) -> int:
        w = self.word_index(k)
        return self.starts[w] + len(self.words[w].text)
