"""Finding protected identifiers (the child's or family's names, address, school) in a text.

Whole-word, and seeing through what a person could not see on the page, on both the identifier and the
text, so a name cannot slip through however it was typed or pasted:

- invisible characters are removed (Unicode format characters: zero-width space and joiners, the word
  joiner, and the soft hyphen that text pasted from Word carries by accident);
- compatibility forms are folded (full-width and mathematical letters, ligatures), then case;
- accents are removed ("Zoë" is "Zoe");
- letters that look alike in other scripts are mapped to the Latin letter they imitate (Cyrillic о and ѕ,
  Greek ο, dotless ı), from Unicode's confusables data (UTS #39, via the maintained
  `confusable-homoglyphs` package);
- punctuation and spacing separate words, and letters spaced or dotted out one by one ("S m i t h",
  "S.M.I.T.H") are joined back into the word they spell.

"Smith's", "SMITH," and "smith-jones" contain "Smith"; "Smithson" and "blacksmith" do not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

from confusable_homoglyphs.confusables import confusables_data

_NOT_ALNUM = re.compile(r"[\W_]+", re.UNICODE)
# Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties): characters that draw nothing.
# Format characters (Cf) are removed too, whatever their range.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]")
# Spelled-out matching is for names of three letters or more: two letters spelled out ("E.D.") are as
# often initials or abbreviations as a name.
SPELLED_OUT_MIN = 3


@cache
def _latin(char: str) -> str:
    """The ASCII letter or digit a character imitates, or the character itself. Follows the confusables
    data a few steps (Cyrillic т → small capital ᴛ → T), and only ever lands on ASCII."""
    current, seen = char, {char}
    for _ in range(4):
        singles = [entry["c"] for entry in confusables_data.get(current, ()) if len(entry["c"]) == 1]
        if not singles:
            break
        ascii_ones = [c for c in singles if c.isascii()]
        current = ascii_ones[0] if ascii_ones else singles[0]
        if current.isascii() or current in seen:
            break
        seen.add(current)
    return current.casefold() if current.isascii() and current.isalnum() else char


def _words(text: str) -> list[str]:
    visible = "".join(ch for ch in _IGNORABLE.sub("", text or "") if unicodedata.category(ch) != "Cf")
    folded = unicodedata.normalize("NFKC", visible).casefold()
    bare = "".join(ch for ch in unicodedata.normalize("NFD", folded) if not unicodedata.combining(ch))
    latin = "".join(ch if ch.isascii() else _latin(ch) for ch in bare)
    return _NOT_ALNUM.sub(" ", latin).split()


def _spelled_out_runs(words: list[str]) -> list[str]:
    """Runs of two or more single letters, joined: "we saw a s m i t h s" gives "asmiths". A name spelled
    out is found inside its run, whatever single letters stand beside it."""
    runs: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1:
            run.append(word)
            continue
        if len(run) >= 2:
            runs.append("".join(run))
        run = []
    return runs


def normalise(text: str) -> str:
    """The words of a text in the form they are compared in, separated by single spaces and framed by
    spaces ("" for a text with no letters or digits)."""
    words = _words(text)
    return f" {' '.join(words)} " if words else ""


def matches(text: str, identifiers: Iterable) -> list:
    """The identifiers (objects with `.value`, or strings) that occur in `text` as whole words."""
    words = _words(text)
    haystack = f" {' '.join(words)} "
    runs = _spelled_out_runs(words)
    found = []
    for identifier in identifiers:
        needle = normalise(getattr(identifier, "value", identifier))
        if not needle:
            continue
        compact = needle.replace(" ", "")
        if needle in haystack or (len(compact) >= SPELLED_OUT_MIN and any(compact in run for run in runs)):
            found.append(identifier)
    return found
