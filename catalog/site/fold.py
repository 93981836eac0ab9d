"""Search folding: the one rule that makes `giao duc`, `Giao Duc` and `giáo dục` the same query.

The static site folds the query in JavaScript (``assets/app.js``, function ``fold``) and the
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
"""

from __future__ import annotations

import re
import unicodedata

#: JavaScript's ``\s`` (ECMA-262 WhiteSpace + LineTerminator), spelled out so Python matches it.
_JS_WHITESPACE = re.compile(
    "[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+"
)


def fold(text: str | None) -> str:
    """``text`` lowercased, without diacritics, ``đ`` as ``d``, whitespace collapsed."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    return _JS_WHITESPACE.sub(" ", bare.replace("đ", "d")).strip(" ")
