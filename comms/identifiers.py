"""Finding protected identifiers (the child's or family's names, address, school) in a text.

Case-insensitive and whole-word, seeing through punctuation, possessives and accents: "Smith's",
"SMITH," and "smith-jones" all contain "Smith"; "Smithson" does not; "Zoë" matches "Zoe".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_NOT_ALNUM = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Lower-case words separated by single spaces, accents removed, framed by spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = _NOT_ALNUM.sub(" ", stripped.casefold()).split()
    return f" {' '.join(words)} " if words else ""


def matches(text: str, identifiers: Iterable) -> list:
    """The identifiers (objects with `.value`, or strings) that occur in `text` as whole words."""
    haystack = normalise(text)
    found = []
    for identifier in identifiers:
        value = getattr(identifier, "value", identifier)
        needle = normalise(value)
        if needle and needle in haystack:
            found.append(identifier)
    return found
