"""Finding protected identifiers (the child's or family's names, address, school) in a text.

One function, `check`, answers for the editor's live check and for every release gate alike
(comms/gates.py, failing_gates): what a person sees while typing is what the gate will do. The text is
read first, whatever it was typed or pasted as (comms/identifier_text.py: look-alike letters, digits
and signs for letters, invisible characters, names run together, abbreviations); each identifier is
read into the words it is looked for as, and then looked for.

What it answers, for each identifier:

- **found** (a hard block: nobody can release past it) when the whole identifier is in the text, or its
  distinctive words together with a word that follows them in the identifier ("Brookfield Pri" of
  "Brookfield Primary School", "Acacia Ave" of "12 Acacia Avenue"), or all of its two or more distinctive
  words close together ("Hollins, Kayden"); or, for an identifier written in parts between commas (an
  address), any part found so that identifies on its own: one with a distinctive word and another, or a
  house number on a street ("12 Acacia Ave" and "Leeds LS6 2AB" of "12 Acacia Avenue, Leeds LS6 2AB");
- otherwise **a part** (a soft block: the comms lead may confirm it, with a reason, for one version)
  for each distinctive word of it found on its own ("Brookfield"). A word is distinctive unless it is
  an address, school or web word, a title, a number, shorter than three letters or an ordinary English
  word (comms/data/common_words.txt, ORDINARY_FROM): "Kayden", "Hollins", "Acacia" are; "Oak", "Rose",
  "Primary", "12" are not. A postcode is one distinctive word, written with or without its space, in
  any case ("LS6 2AB", "ls62ab"); the district or town an address is in (a part after a comma with no
  number or address word in it, once an earlier part has said where: "Headingley", "Leeds") is an
  ordinary one. An identifier made only of ordinary words ("Oak Lane") is found whole or not at all; if
  one of its words identifies on its own, protect that word by itself too.

Ordinary words pass: whole words only (not "Hill" in "Hillside"), look-alikes only where the word typed
is not itself an ordinary word ("torn" is not "Tom"), and tests/data/council_statements holds real-style
statements that must raise nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import product
from typing import Any

from .identifier_text import (
    ABBREVIATIONS,
    CACHED_TEXT,
    LONGEST_GROUP,
    POSTCODE,
    RUN_TOGETHER_MIN,
    SPELLED_OUT_MIN,
    STOP_WORDS,
    Document,
    also_written,
    is_distinctive,
    leet,
    remembered_when_short,
    skeleton,
)

# --- reading an identifier ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Word:
    raw: str
    plain: str
    distinctive: bool
    stop: bool


class _Plan:
    """An identifier as words, and the keys each run of its words may be found as."""

    def __init__(self, words: list[_Word]):
        self.words = words
        self.distinctive = [j for j, w in enumerate(words) if w.distinctive]
        self._keys: dict[tuple[int, int], frozenset[str]] = {}

    def keys(self, j: int, k: int) -> frozenset[str]:
        """The keys of words j..k (inclusive) written as one: "kaydenhollins", "brookfieldpri"."""
        if (j, k) not in self._keys:
            words = self.words[j:k + 1]
            keys: set[str] = set()
            written = also_written()
            phrase = "".join(w.plain for w in words)
            keys |= written.get(phrase, frozenset())
            for spelling in self.spellings(j, k):
                keys.add(spelling)
                keys.add("\x02" + leet(spelling))
            raw = "".join(w.raw.replace(" ", "") for w in words)  # a postcode is one word with a space
            for casing in {raw, raw.lower(), raw.upper(), "".join(w.raw.replace(" ", "").capitalize() for w in words)}:
                keys.add("\x01" + skeleton(casing))
            self._keys[(j, k)] = frozenset(keys)
        return self._keys[(j, k)]

    def spellings(self, j: int, k: int, limit: int = 64) -> list[str]:
        """Words j..k written as one, each in every way it may be abbreviated."""
        options = []
        for word in self.words[j:k + 1]:
            forms = {word.plain}
            for entry in also_written().get(word.plain, ()):
                forms.add(entry)
                forms.update(a.replace(" ", "") for a in ABBREVIATIONS.get(_entry_phrase(entry), ()))
            options.append(sorted(forms))
        return ["".join(combo) for combo in _limited(product(*options), limit)]


@cache
def _entry_phrase(key: str) -> str:
    return next((entry for entry in ABBREVIATIONS if entry.replace(" ", "") == key), key)


def _limited(iterable, limit: int):
    for n, item in enumerate(iterable):
        if n >= limit:
            return
        yield item


@lru_cache(maxsize=2048)
def _plans(value: str) -> tuple[_Plan, ...]:
    """An identifier read as words, as the text is. A word with a weak boundary in it ("O'Brien",
    "McDonald-Reid") is also read in its pieces, so "O Brien" is found too."""
    return _read_plans(value, _towns(value))


def _read_plans(value: str, towns: frozenset[str]) -> tuple[_Plan, ...]:
    document = Document(value)
    whole = _with_postcodes([_word(document, first, last, towns) for first, last in document.words()])
    pieces = _with_postcodes([_word(document, i, i, towns) for i in range(len(document.fragments))])
    plans = [_Plan(whole)] if whole else []
    if len(pieces) != len(whole):
        plans.append(_Plan(pieces))
    return tuple(plans)


def _word(document: Document, first: int, last: int, towns: frozenset[str] = frozenset()) -> _Word:
    raw = document.shown(first, last)
    plain = raw.casefold()
    return _Word(raw, plain, is_distinctive(plain) and plain not in towns, plain in STOP_WORDS)


def _postcode_at(plains: list[str], i: int) -> int:
    """How many of the words from the i-th make a postcode ("LS6", "2AB"; "LS62AB"), or 0."""
    for n in range(1, 7):  # as many as the pieces of "lS6 2aB"
        if i + n <= len(plains) and POSTCODE.fullmatch("".join(plains[i:i + n])):
            return n
    return 0


def _with_postcodes(words: list[_Word]) -> list[_Word]:
    """The words of an identifier with a postcode as one word, and a distinctive one: it is a street or
    part of one, found on its own with or without its space."""
    plains = [w.plain for w in words]
    merged: list[_Word] = []
    i = 0
    while i < len(words):
        n = _postcode_at(plains, i)
        if n:
            code = "".join(plains[i:i + n])
            merged.append(_Word(f"{code[:-3]} {code[-3:]}".upper(), code, True, False))
            i += n
        else:
            merged.append(words[i])
            i += 1
    return merged


def _segment_words(segment: str) -> tuple[list[str], list[str]]:
    """A comma-separated part of an identifier, as its words (postcodes apart) and its postcodes."""
    document = Document(segment)
    plains = [document.shown(first, last).casefold() for first, last in document.words()]
    words: list[str] = []
    postcodes: list[str] = []
    i = 0
    while i < len(plains):
        n = _postcode_at(plains, i)
        if n:
            postcodes.append("".join(plains[i:i + n]))
        else:
            words.append(plains[i])
        i += n or 1
    return words, postcodes


def _says_where(plain: str) -> bool:
    """A house number, or a word of an address or school ("12", "Avenue", "House", "Primary")."""
    return any(ch.isdigit() for ch in plain) or plain in also_written()


@lru_cache(maxsize=2048)
def _towns(value: str) -> frozenset[str]:
    """The words of an address that name the district or town it is in, rather than a place in it: after
    a comma, a part with no number and no address word in it, once an earlier part has said where
    ("12 Acacia Avenue, Headingley, Leeds LS6 2AB": Headingley, Leeds). Thousands of people live there,
    so on its own such a word points to nobody; with the rest it is still part of the whole."""
    towns: set[str] = set()
    said_where = False
    for segment in value.split(","):
        words, postcodes = _segment_words(segment)
        where = any(_says_where(w) for w in words)
        if said_where and not where:
            towns.update(words)
        said_where = said_where or where or bool(postcodes)
    return frozenset(towns)


@lru_cache(maxsize=2048)
def _segment_plans(value: str) -> tuple[_Plan, ...]:
    """The comma-separated parts of an identifier that identify on their own, each to be found whole as
    the identifier would be: a part with a distinctive word and another ("12 Acacia Avenue" and
    "Leeds LS6 2AB" of "12 Acacia Avenue, Leeds LS6 2AB"), or a house number on a named street
    ("41 Mill Lane"). A town, a flat's number ("Flat 3") or a postcode alone is not one: a town is
    ordinary, and the others are only numbers, or a distinctive part of the whole."""
    segments = [segment for segment in value.split(",") if segment.strip()]
    if len(segments) < 2:
        return ()
    towns = _towns(value)
    plans = []
    for segment in segments:
        for plan in _read_plans(segment, towns):
            words = [w for w in plan.words if not w.stop]
            numbered = any(ch.isdigit() for w in words for ch in w.plain) and any(
                not _says_where(w.plain) for w in words) and len(words) >= 3
            if len(words) >= 2 and (plan.distinctive or numbered):
                plans.append(plan)
    return tuple(plans)


# --- matching ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """A distinctive word of an identifier, found on its own."""

    identifier: Any
    word: str  # the identifier's word, as the identifier has it
    found: str  # the text's word, as the text shows it (look-alike letters read as Latin)

    @property
    def key(self) -> str:
        """What a comms lead's confirmation covers: this word of this identifier."""
        return f"{getattr(self.identifier, 'pk', None) or getattr(self.identifier, 'value', self.identifier)}:" \
               f"{self.word.casefold()}"


@dataclass(frozen=True)
class Findings:
    found: tuple  # identifiers found in full: a hard block
    parts: tuple[Part, ...]  # distinctive parts of the others, found on their own: a soft block

    def __bool__(self) -> bool:
        return bool(self.found or self.parts)

    @property
    def part_keys(self) -> frozenset[str]:
        return frozenset(part.key for part in self.parts)

    @property
    def part_kinds(self) -> str:
        """What the parts are parts of, in words that name no value: "school", "name or address"."""
        kinds: list[str] = []
        for part in self.parts:
            shown = getattr(part.identifier, "get_kind_display", None)
            kind = shown().lower() if shown else "detail"
            if kind not in kinds:
                kinds.append(kind)
        return " or ".join(kinds)


class _Matcher:
    def __init__(self, document: Document, plan: _Plan):
        self.document = document
        self.plan = plan
        self._spans: dict[tuple[int, int], dict[int, list[int]]] = {}

    def spans(self, j: int, k: int) -> dict[int, list[int]]:
        """Where words j..k are in the text: first fragment → last fragments."""
        if (j, k) not in self._spans:
            found: dict[int, list[int]] = defaultdict(list)
            index = self.document.index
            for key in self.plan.keys(j, k):
                for first, last in index.get(key, ()):
                    found[first].append(last)
            self._spans[(j, k)] = found
        return self._spans[(j, k)]

    def chain(self, start: int, may_skip, enough) -> bool:
        """Whether the identifier's words from `start` on are in the text one right after another (a
        group of its words may be one run-together word of the text), leaving out only words `may_skip(j)`
        allows, until `enough(last)` holds for the last word found."""
        words = len(self.plan.words)
        tried: set[tuple[int, int, int]] = set()

        def extend(j: int, p: int, last: int) -> bool:
            if last >= 0 and enough(last):
                return True
            if j >= words or (j, p, last) in tried:
                return False
            tried.add((j, p, last))
            if last >= 0 and may_skip(j) and extend(j + 1, p, last):
                return True
            return any(extend(k + 1, end + 1, k) for k in range(j, min(j + LONGEST_GROUP, words))
                       for end in self.spans(j, k).get(p, ()))

        starts = {first for k in range(start, min(start + LONGEST_GROUP, words)) for first in self.spans(start, k)}
        return any(extend(start, p, -1) for p in sorted(starts))

    def whole(self) -> bool:
        """Every word of the identifier but its stop words ("of", "the"), in order."""
        words = self.plan.words
        required = [j for j, w in enumerate(words) if not w.stop] or list(range(len(words)))
        return self.chain(required[0], lambda j: words[j].stop, lambda last: last >= required[-1])

    def core_and_after(self) -> bool:
        """Its distinctive words in order, and at least one word that follows them in the identifier
        ("Brookfield School" of "Brookfield Primary School")."""
        d, words = self.plan.distinctive, self.plan.words
        if not d or d[-1] == len(words) - 1:
            return False
        return self.chain(d[0], lambda j: words[j].stop or j > d[-1], lambda last: last > d[-1])

    def alone(self, j: int) -> list[tuple[int, int]]:
        return [(first, last) for first, lasts in self.spans(j, j).items() for last in lasts]

    def run_together(self) -> tuple[bool, dict[int, list[tuple[int, int]]]]:
        """In hashtags, handles, addresses and spelled-out letters: the identifier whole (or its
        distinctive words with a word after them), and each distinctive word."""
        plan, words = self.plan, self.plan.words
        whole = set(plan.spellings(0, len(words) - 1, 256))
        whole.add("".join(w.plain for w in words if not w.stop))
        d = plan.distinctive
        if d and d[-1] < len(words) - 1:
            for k in range(d[-1] + 1, len(words)):
                whole.update(plan.spellings(d[0], k, 128))
        # An ordinary word is not looked for inside a hashtag ("Hill" in "#hillside"), only spelled out.
        ordinary = len([w for w in words if not w.stop]) == 1 and not d
        found_whole = False
        parts: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for letters, first, last, spelled in self.document.run_together:
            least = SPELLED_OUT_MIN if spelled else RUN_TOGETHER_MIN
            texts = [letters]
            if any(c.isdigit() for c in letters):
                texts.append(leet(letters))
            for text in texts:
                if (spelled or not ordinary) and any(
                        len(s) >= least and (s in text if text == letters else leet(s) in text) for s in whole):
                    found_whole = True
                for j in d:
                    word = words[j].plain
                    probe = word if text == letters else leet(word)
                    if len(word) >= least and probe in text:
                        parts[j].append((first, last))
                    elif not spelled and len(word) == 3 and len(text) >= 6 and (
                            text.startswith(probe) or text.endswith(probe)):
                        parts[j].append((first, last))
        return found_whole, parts


def _found_whole(matcher: _Matcher) -> bool:
    """Whether a comma-separated part of an identifier is in the text as a whole identifier would be."""
    if matcher.whole() or matcher.core_and_after() or matcher.run_together()[0]:
        return True
    d = matcher.plan.distinctive
    return _near({j: matcher.alone(j) for j in d}, d, len(matcher.plan.words) + 2)


def _near(places: dict[int, list[tuple[int, int]]], needed: list[int], window: int) -> bool:
    """Every needed word somewhere within `window` fragments of the others."""
    if len(needed) < 2 or any(not places.get(j) for j in needed):
        return False
    for first, _ in places[needed[0]]:
        low, high = first - window, first + window
        if all(any(low <= start and end <= high for start, end in places[j]) for j in needed[1:]):
            return True
    return False


# The same text is checked several times in one request (gates, page, serializer): the last few are kept.
@remembered_when_short(CACHED_TEXT, maxsize=4)
def _document(text: str) -> Document:
    return Document(text)


def check(text: str, identifiers: Iterable) -> Findings:
    """The protected identifiers in `text`: those found in full, and the distinctive parts found on their
    own of the others. `identifiers` are ProtectedIdentifier rows (anything with `.value`) or strings.
    The editor's live check and every release gate call this, and nothing else."""
    document = _document(text or "")
    found: list = []
    parts: list[Part] = []
    for identifier in identifiers:
        value = getattr(identifier, "value", identifier)
        full = False
        alone: dict[int, list[tuple[int, int]]] = {}
        plan_used = None
        for plan in _plans(value):
            matcher = _Matcher(document, plan)
            if matcher.whole() or matcher.core_and_after():
                full = True
                break
            together, in_run = matcher.run_together()
            if together:
                full = True
                break
            places = {j: matcher.alone(j) + in_run.get(j, []) for j in plan.distinctive}
            only = [j for j, w in enumerate(plan.words) if not w.stop]
            if only == plan.distinctive and len(only) == 1 and places[only[0]]:
                full = True  # a one-word identifier found in a hashtag ("#justiceforzoe")
                break
            if _near(places, plan.distinctive, len(plan.words) + 2):
                full = True
                break
            if plan_used is None or sum(bool(v) for v in places.values()) > sum(bool(v) for v in alone.values()):
                alone, plan_used = places, plan
        full = full or any(_found_whole(_Matcher(document, plan)) for plan in _segment_plans(value))
        if full:
            found.append(identifier)
            continue
        for j, where in alone.items():
            if where:
                first, last = min(where, key=lambda span: (span[1] - span[0], span[0]))  # "Kayden", not the tag
                parts.append(Part(identifier, plan_used.words[j].raw, document.shown(first, last)))
    return Findings(tuple(found), tuple(parts))


def matches(text: str, identifiers: Iterable) -> list:
    """The identifiers found in full in `text` (a hard block)."""
    return list(check(text, identifiers).found)


def message_findings(subject: str, body: str, identifiers: Iterable) -> Findings:
    """A message's subject and text, checked as one: what the editor shows and the gates decide on."""
    return check(f"{subject}\n\n{body}", identifiers)


