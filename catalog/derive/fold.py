"""Search folding: the one rule that makes `giao duc`, `Giao Duc` and `giáo dục` the same query.

The static site folds the query in JavaScript (``assets/core.js``, function ``fold``) and the
course text here in Python, so the two must agree character for character. Each step is chosen
because both languages do it the same way, from the Unicode tables alone:

1. lowercase (``str.lower`` / ``String.prototype.toLowerCase``: full Unicode case mapping);
2. NFKD (compatibility decomposition: ``ế`` → ``e`` + marks, fullwidth ``Ａ`` → ``A`` typed
   by Chinese input methods, ligatures split);
3. drop every combining mark (general category M*: JS ``/\\p{M}/u``);
4. ``đ`` → ``d`` (the Vietnamese stroke letter has no decomposition, so step 3 keeps it);
5. collapse whitespace — the exact set JS ``\\s`` matches — to one space, and trim.

Han characters pass through untouched, so a Chinese query is matched as a plain substring with
no word splitting. ``moocx search`` uses the same function to fold its query.

Speed: the harvest folds every new or changed course, so steps 3 and 4 are one
``str.translate`` over the marks of ``catalog/derive/marks.py`` (Python's loop over
``unicodedata.category`` per character was the harvest's second-largest cost); ASCII text, which
has no marks, skips steps 2–4, and text with no run of spaces nor any other space character
skips step 5.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from catalog.derive.marks import mark_class

#: JavaScript's ``\s`` (ECMA-262 WhiteSpace + LineTerminator), spelled out so Python matches it.
_JS_WHITESPACE = re.compile(
    "[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+"
)


@cache
def _marks() -> dict[int, str | None]:
    """``str.translate`` table: every combining mark deleted, ``đ`` → ``d``."""
    table: dict[int, str | None] = {ord("đ"): "d"}
    body = mark_class()
    i = 0
    while i < len(body):  # "a-b" ranges and single characters
        if i + 2 < len(body) and body[i + 1] == "-":
            table.update(dict.fromkeys(range(ord(body[i]), ord(body[i + 2]) + 1)))
            i += 3
        else:
            table[ord(body[i])] = None
            i += 1
    return table


#: Anything :data:`_JS_WHITESPACE` would change: a run of two spaces, or another space character.
_ODD_SPACE = re.compile(
    "[\t\n\v\f\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]|  "
)


def fold(text: str | None) -> str:
    """``text`` lowercased, without diacritics, ``đ`` as ``d``, whitespace collapsed."""
    if not text:
        return ""
    folded = text.lower()
    if not folded.isascii():
        folded = unicodedata.normalize("NFKD", folded).translate(_marks())
    if _ODD_SPACE.search(folded):
        folded = _JS_WHITESPACE.sub(" ", folded)
    return folded.strip(" ")
