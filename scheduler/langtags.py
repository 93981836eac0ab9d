"""Is a configured language a BCP 47 tag? The syntax of RFC 5646, checked without a registry.

Rules and connector options compare languages with the tags the connectors write (``vi``,
``zh-Hans``, ``en-US``), so a rule written ``languages = ["Vietnamese"]`` or ``["vi_VN"]``
would silently match nothing. The check is the RFC's ABNF — language, up to three extlangs,
script, region, variants, extensions, private use — with one deliberate narrowing: the primary
language subtag must be 2 or 3 letters (or the tag private use, ``x-…``). The 4-letter form is
reserved and no 5–8 letter language subtag has ever been registered, while ``english`` or
``chinese`` are exactly the mistakes worth catching.
"""

from __future__ import annotations

import re

from connectors.normalize import language_tag

_LANGTAG = re.compile(
    r"""
    (?:
      [a-z]{2,3}(?:-[a-z]{3}){0,3}            # language, extlang
      (?:-[a-z]{4})?                          # script: Hans
      (?:-(?:[a-z]{2}|[0-9]{3}))?             # region: US, 419
      (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*  # variants: 1996, fonipa
      (?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*    # extensions: u-ca-buddhist
      (?:-x(?:-[a-z0-9]{1,8})+)?              # private use
    | x(?:-[a-z0-9]{1,8})+                    # private use alone
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
EXAMPLES = "use a BCP 47 tag such as vi, zh-Hans, en-US"


def is_language_tag(value: str) -> bool:
    """True for a well-formed BCP 47 tag (``vie``, ``zh-Hans``, ``en-US``; case-insensitive)."""
    return _LANGTAG.fullmatch(value) is not None


def language_problem(value: object) -> str | None:
    """Why ``value`` is no language tag, with the tag it probably means; None when it is one."""
    if isinstance(value, str) and is_language_tag(value):
        return None
    if not isinstance(value, str):
        return f"a language is a text; {EXAMPLES}"
    guess = language_tag(value)
    hint = f" (did you mean {guess!r}?)" if guess and is_language_tag(guess) else ""
    return f"{value!r} is not a BCP 47 language tag{hint}; {EXAMPLES}"
