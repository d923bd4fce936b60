"""A small rule-based part-of-speech guesser: just enough to pick a homograph's reading from
misaki's lexicon (``to read`` / ``I read it yesterday`` / ``the record`` / ``a lead pipe``).
"""

from __future__ import annotations

_LEAD_METAL_NEXT = frozenset("pipe pipes poisoning paint pencil pencils weight weights shot balloon based".split())
_MODALS = frozenset(
    "will would shall should can could may might must do does did don't doesn't didn't won't wouldn't "
    "can't cannot couldn't shouldn't mustn't mightn't let's please i'll you'll we'll they'll he'll "
    "she'll it'll gonna wanna gotta".split()
)
_HAVE = frozenset("have has had having i've you've we've they've haven't hasn't hadn't".split())
_BE = frozenset(
    "is was were are am be been being isn't wasn't weren't aren't it's he's she's that's "
    "there's i'm you're we're they're".split()
)
_DETERMINERS = frozenset(
    "the a an this that these those my your his her its our their some any no every each "
    "another either neither which whose what".split()
)
_PREPOSITIONS = frozenset("of in for with without into from on at about by under over through during".split())
_SUBJECTS = frozenset("i you we they he she it who".split())
_THIRD_SINGULAR = frozenset("he she it who".split())
_ADVERBS = frozenset(
    "also often never always usually sometimes still really just then once only even already "
    "quickly slowly carefully finally not".split()
)
_INTENSIFIERS = frozenset("very so too quite really pretty more most less least rather".split())
_OBJECT_STARTERS = frozenset(
    "the a an this that these those my your his her our their it them him me us its some".split()
)
#: Words that follow a noun rather than modify one ("the close of", "a minute later").
_NOT_CONTENT = frozenset(
    "of to in on at for with and or but is was were are be been by from as than that which who "
    "later ago before after earlier left more again too away".split()
)
_PAST_CUES = frozenset("yesterday ago last earlier previously was were had did once".split())
_NOT_PAST_ED = frozenset("need indeed speed seed bed red bred shed feed weed breed proceed exceed succeed".split())


def guess_tags(words: list[str | None]) -> list[str | None]:
    """Tags for a phrase: ``words`` are lowercase words or ``None`` for punctuation.

    Only a handful of tags are produced ("VB", "VBD", "VBN", "BE", "NOUN", "ADJ",
    "DT"), enough to pick a homograph's reading from misaki's lexicon.
    """
    n = len(words)
    tags: list[str | None] = [None] * n
    # sentence-level past-tense cue, per stretch between . ! ?
    past = [False] * n
    start = 0
    for i in range(n + 1):
        if i == n or words[i] is None:
            seg = [w for w in words[start:i] if w]
            cue = any(w in _PAST_CUES for w in seg) or any(
                len(w) > 4 and w.endswith("ed") and w not in _NOT_PAST_ED for w in seg
            )
            for k in range(start, i):
                past[k] = cue
            start = i + 1
    for i, w in enumerate(words):
        if w is None:
            continue
        p = words[i - 1] if i > 0 else None
        pp = words[i - 2] if i > 1 else None
        nx = words[i + 1] if i + 1 < n else None
        if w == "lead" and (p in ("of", "with") or nx in _LEAD_METAL_NEXT):
            tags[i] = "METAL"  # the metal, not the verb
            continue
        if w == "a":
            tags[i] = "DT" if nx is not None and nx not in _NOT_CONTENT or p is None else None
            continue
        if p == "to" or p in _MODALS or (p in _ADVERBS and pp in _MODALS):
            tags[i] = "VB"
        elif p in _HAVE or (p in _ADVERBS and pp in _HAVE):
            tags[i] = "VBN"
        elif p in _BE or (p in _ADVERBS and pp in _BE):
            tags[i] = "BE"
        elif p in _DETERMINERS or (p in _INTENSIFIERS and pp in _DETERMINERS):
            tags[i] = "ADJ" if nx is not None and nx not in _NOT_CONTENT else "NOUN"
        elif p in _INTENSIFIERS:
            tags[i] = "ADJ"
        elif p in _PREPOSITIONS:
            tags[i] = "NOUN"
        elif p in _SUBJECTS or (p in _ADVERBS and pp in _SUBJECTS):
            subj = p if p in _SUBJECTS else pp
            if past[i] or (subj in _THIRD_SINGULAR and not w.endswith("s")):
                tags[i] = "VBD"
            else:
                tags[i] = "VBP"
        elif nx in _OBJECT_STARTERS:
            tags[i] = "VBD" if past[i] else "VB"
    return tags

