"""Cutting merchants' and shoppers' text short without breaking a character apart.

Python slices code points; a reader sees graphemes: an accent on its letter, a flag (two
regional indicators), an emoji with its skin tone or variation selector, a family of emoji
joined by zero-width joiners. Django's ``truncatechars`` keeps combining accents together but
cuts a joined emoji after its joiner ("👨‍👩‍👧‍👦" became "👨‍👩‍…") and a flag into a lone letter.
"""

import unicodedata

ELLIPSIS = "…"
ZWJ = "\u200d"


def _is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _extends_previous(ch: str) -> bool:
    """Whether ``ch`` belongs to the character before it."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Mc", "Me")  # accents, vowel signs, enclosing marks
        or ch == ZWJ
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors (the emoji form of ☕︎, ❤︎)
        or 0x1F3FB <= cp <= 0x1F3FF  # skin tones
        or 0xE0020 <= cp <= 0xE007F  # tags (the flags of England, Scotland, Wales)
    )


def grapheme_boundary(text: str, index: int) -> int:
    """The largest position at or before ``index`` where ``text`` may be cut without
    splitting a character a reader sees as one."""
    i = max(0, min(index, len(text)))
    while 0 < i < len(text):
        ch, before = text[i], text[i - 1]
        if _extends_previous(ch) or before == ZWJ:
            i -= 1
            continue
        if _is_regional_indicator(ch) and _is_regional_indicator(before):
            run, j = 0, i - 1  # flags pair up from the start of their run
            while j >= 0 and _is_regional_indicator(text[j]):
                run, j = run + 1, j - 1
            if run % 2:
                i -= 1
                continue
        break
    return i


def shorten(text: str, limit: int) -> str:
    """``text``, or its beginning and "…" in at most ``limit`` characters: cut between words
    when one ends near the limit, and never inside a character."""
    text = str(text)
    if len(text) <= limit:
        return text
    cut = grapheme_boundary(text, limit - len(ELLIPSIS))
    space = text.rfind(" ", 0, cut + 1)
    if space > cut * 0.7:
        cut = space
    return text[:cut].rstrip() + ELLIPSIS
