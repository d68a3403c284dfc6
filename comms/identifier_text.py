"""How a text is read before protected identifiers are looked for in it (comms/identifiers.py): its
words in the form they are compared in, each with every way it may be written.

What a reader would still read as the identifier is found, however it was typed or pasted:

- **Look-alike letters, in every script and in Latin itself** (UTS #39 confusable skeletons, from
  Unicode's confusables.txt, vendored in comms/data): Cyrillic о, Greek ο, `ł`, small capitals
  (`ʜᴏʟʟɪɴs`), capital I for small l (`HoIIins`), full-width and mathematical letters, accents.
  The skeleton keeps case, since I and l look alike only in that case: the text is compared as written
  with the identifier as stored, in lower case, in capitals and capitalised word by word.
- **Digits and signs for letters** (`H0llins`, `Ho11ins`, `Hollin$`, `Ho!!ins`) in a word that is
  mostly letters (so the A11 road is not "All").
- **Combining marks** (accents, and strokes, slashes or circles typed over each letter, such as U+0336)
  are taken off whatever they sit on, before anything else is read.
- **Invisible and direction-changing characters** (zero-width spaces and joiners, the soft hyphen, the
  bidirectional controls such as U+202E) are removed, and letters a right-to-left override shows in
  reverse ("snilloH" after U+202E shows as "Hollins") are read as shown as well as as written; **narrow spaces inside a word** (hair space,
  thin space, narrow no-break space) and **a hyphen at a line break** ("Hol-⏎lins") join what they
  split, while the pieces are still looked at on their own.
- **Names run together** in hashtags, handles, email and web addresses (`#KaydenHollins`,
  `@kaydenhollins`, `kayden_hollins`, `brookfieldprimary.sch.uk`), and letters spaced or dotted out
  (`S m i t h`).
- **Plural and possessive endings** ("the Hollinses", "Hollins'", "St Marys").
- **Abbreviations** of UK address and school words, both ways (Road/Rd, Lane/Ln, Primary/Pri,
  Church of England/CofE/C of E/CE, …: ABBREVIATIONS below).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, lru_cache, wraps
from pathlib import Path

DATA = Path(__file__).with_name("data")

# --- what a word may be written as ------------------------------------------------------------------------

# Each entry: the word (or phrase) and what it is also written as. Both ways: an identifier stored as
# "Brookfield Pri" is found as "Brookfield Primary", and the other way round.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    # Addresses (Royal Mail and common usage).
    "road": ("rd",), "street": ("st", "str"), "lane": ("ln",), "avenue": ("ave", "av", "avn"),
    "close": ("cl",), "crescent": ("cres", "cresc", "cr"), "drive": ("dr", "drv"), "court": ("ct", "crt"),
    "gardens": ("gdns", "gdn"), "garden": ("gdn",), "place": ("pl",), "square": ("sq",),
    "terrace": ("terr", "ter", "tce"), "grove": ("gr", "grv", "gro"), "park": ("pk",), "parade": ("pde",),
    "way": ("wy",), "walk": ("wlk",), "green": ("grn",), "mount": ("mt",), "estate": ("est",),
    "house": ("ho", "hse"), "cottage": ("cott",), "cottages": ("cotts",), "building": ("bldg",),
    "buildings": ("bldgs",), "apartment": ("apt",), "apartments": ("apts",), "flat": ("flt",),
    "heights": ("hts",), "view": ("vw",), "wharf": ("whf",), "yard": ("yd",), "lodge": ("ldg",),
    "manor": ("mnr",), "meadow": ("mdw",), "meadows": ("mdws",), "orchard": ("orch",), "quay": ("qy",),
    "circus": ("circ",), "approach": ("appr", "app"), "broadway": ("bdwy",), "bridge": ("br", "brg"),
    "centre": ("ctr", "cntr", "center"), "junction": ("jct", "jn"), "highway": ("hwy",),
    "boulevard": ("blvd",), "embankment": ("emb",), "esplanade": ("esp",), "causeway": ("cswy",),
    "north": ("n", "nth"), "south": ("s", "sth"), "east": ("e",), "west": ("w",), "upper": ("upr",),
    "lower": ("lwr",), "great": ("gt",), "little": ("lt", "lit"), "saint": ("st",), "church": ("ch", "chu"),
    "farm": ("fm",), "industrial": ("ind",), "mews": (), "row": (), "rise": (), "vale": (), "hill": (),
    "wood": (), "end": (), "side": (), "gate": (), "field": (), "fields": (), "villas": (), "chase": (),
    "croft": (), "dale": (), "hollow": (), "passage": (), "precinct": (), "grange": (), "lea": (),
    # Schools.
    "primary": ("pri", "prim", "prmy", "pry"), "secondary": ("sec", "secdy"), "school": ("sch", "schl"),
    "academy": ("acad", "ac"), "junior": ("jnr", "jun", "jr"), "infant": ("inf", "infs"),
    "nursery": ("nurs", "nsy"), "college": ("coll", "col"), "community": ("comm", "cmty"),
    "catholic": ("cath",), "federation": ("fed",), "university": ("univ", "uni"), "grammar": ("gram",),
    "preparatory": ("prep",), "special": ("spec",), "technical": ("tech",), "international": ("intl",),
    "foundation": ("fdn",), "voluntary": ("vol",), "high": (), "trust": (), "free": (), "studio": (),
    "sixth": ("6th",), "form": (), "first": ("1st",), "middle": (), "upper school": (), "lower school": (),
    "church of england": ("cofe", "ce", "c of e"), "roman catholic": ("rc", "r c"),
    "voluntary aided": ("va",), "voluntary controlled": ("vc",), "pupil referral unit": ("pru",),
    "junior and infant": ("ji", "j and i", "j i"), "primary school": ("ps",), "high school": ("hs",),
    "church of england primary": ("cep",),
    # Titles.
    "doctor": ("dr",), "councillor": ("cllr",), "reverend": ("rev", "revd"), "professor": ("prof",),
    "mister": ("mr",), "mr": (), "mrs": (), "ms": (), "miss": (), "mx": (), "master": (), "sir": (),
    "dame": (), "lady": (), "lord": (),
}
# Words that are part of how an identifier is written, never what makes it one (besides the above).
STOP_WORDS = frozenset({"the", "of", "and", "at", "in", "on", "for", "to", "a", "an", "by", "with", "upon"})
NAME_PARTICLES = frozenset({"de", "la", "le", "van", "von", "der", "den", "da", "di", "du", "del", "mac", "mc"})
WEB_WORDS = frozenset({
    "www", "http", "https", "com", "org", "net", "co", "uk", "gov", "sch", "ac", "nhs", "edu", "info", "html",
    "htm", "php", "gmail", "googlemail", "hotmail", "outlook", "yahoo", "icloud", "live", "btinternet",
    "instagram", "facebook", "fb", "tiktok", "twitter", "snapchat", "youtube", "linkedin", "whatsapp",
})
# How common a word must be (wordfreq's Zipf frequency: 3.5 is about three times in a million words)
# to pass on its own as an ordinary word rather than a distinctive part of an identifier.
ORDINARY_FROM = 3.5
# Letters spelled out one by one are matched for names of three letters or more: two letters spelled out
# ("E.D.") are as often initials or abbreviations as a name.
SPELLED_OUT_MIN = 3
# Inside a hashtag, handle or address, a word is looked for anywhere from four letters; a three-letter one
# only at either end ("#justiceforzoe"), so "Ali" is not found in "#qualitycare".
RUN_TOGETHER_MIN = 4
LONGEST_GROUP = 6  # the most words or pieces of a word compared as one ("#brookfieldprimaryschool")
LONGEST_WORD = 80  # letters: longer stretches of a text are looked into only as run together (below)

# What is remembered between checks, so that a word met again is not read again: only what is short
# (ordinary words; a stretch of a text with no space in it is read each time), and only so many of each,
# so that the memory kept is bounded whatever text is sent.
CACHED_CHUNK = 32  # characters of a chunk of text between spaces
CACHED_STRETCH = 32  # characters of a stretch of fragments read as one word
CACHED_TEXT = 25_000  # characters of a whole text: more than a message's subject and body may hold

_WEAK = "\ue000"  # a boundary that may or may not split a word: pieces are looked at joined and apart
# Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties), the bidirectional controls among
# them: characters that draw nothing. Format characters (Cf) go too, whatever their range; the soft
# hyphen goes after it has been read as a hyphen at a line break.
_IGNORABLE = re.compile(
    "[\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]")
# The bidirectional controls that reorder what is shown (Unicode's bidi algorithm, UAX #9): the override
# that reverses the letters after it, the others that keep the letters inside them in their own order,
# and the characters that end a paragraph, and with it every override.
_RIGHT_TO_LEFT_OVERRIDE, _POP_DIRECTION, _POP_ISOLATE = "\u202e", "\u202c", "\u2069"
_EMBEDDINGS = frozenset("\u202a\u202b\u202d")
_ISOLATES = frozenset("\u2066\u2067\u2068")
_PARAGRAPH_ENDS = frozenset("\n\r\x1c\x1d\x1e\x85\u2029")
_HYPHEN_AT_LINE_BREAK = re.compile(
    r"(?<=[^\W\d_])[-\u00ad\u2010\u2011][ \t\u00a0]*(?:\r\n|[\n\r\x0b\x0c\x85\u2028\u2029])[ \t\u00a0]*(?=[^\W\d_])")
# Spaces narrower than a word space (six-per-em, punctuation, thin, hair, narrow no-break, medium
# mathematical): inside a word they are not seen as a gap.
_NARROW_SPACES = re.compile(r"(?<=\w)[\u2005\u2006\u2008\u2009\u200a\u202f\u205f]+(?=\w)")
# Signs standing for letters, inside a word: read as the digits that look the same, so the word is read
# as digits-for-letters (below).
_SIGNS = (
    (re.compile(r"(?<=[^\W_])[!|]+(?=[^\W_])|(?<=[^\W_])\|+|\|+(?=[^\W_])"), "1"),
    (re.compile(r"(?<=[^\W\d_])\$"), "5"),
    (re.compile(r"(?<=[^\W\d_])@(?=[^\W\d_])(?![^\s@]*\.[^\W_])"), "4"),  # not an email address
)
# Combining marks (nonspacing and enclosing): an accent, a stroke through a letter, a circle round it.
_MARKS = frozenset({"Mn", "Me"})
_CHUNK = re.compile(r"\S+")
_PIECE = re.compile(r"[^\W_]+")
_APOSTROPHES = "'’‘`´ʼ′"
_RUN_TOGETHER = re.compile(r"^[(\[{\"'“‘]*[#@]|[^\W_][./@_\\][^\W_]|://")
_LEET = str.maketrans("0123456789i", "olzeasgtbgl")  # i with l and 1: a word written with them is one word
# A number and its ending ("1st", "1990s", "4pm", "10km"), which is never a word written in digits.
_NUMBER_WITH_UNIT = re.compile(r"\d+(?:st|nd|rd|th|s|am|pm|hrs?|mins?|k|m|km|kg|g|mg|ml|cm|mm|mph|ft|yrs?|yo)\Z")
# A UK postcode, as its letters and digits run together ("ls62ab"): the outward code (area and district,
# "LS6", "SW1A") and the inward code ("2AB"). Written with or without its space, in any case.
POSTCODE = re.compile(r"[a-z]{1,2}[0-9][a-z0-9]?[0-9][a-z]{2}")
_OUTWARD_CODE = re.compile(r"[a-z]{1,2}[0-9][a-z0-9]?")
_INWARD_CODE = re.compile(r"[0-9][a-z]{2}")
_SMALL_CAPITAL = re.compile(r"^LATIN (?:LETTER SMALL CAPITAL|SMALL CAPITAL LETTER) ([A-Z])\b")
_LATIN_LETTER = re.compile(r"^LATIN (SMALL|CAPITAL) LETTER (?:DOTLESS |SCRIPT |LONG )?([A-Z])(?: WITH .+)?$")


def remembered_when_short(limit: int, maxsize: int):
    """functools.lru_cache, for a function whose first argument is text of up to `limit` characters:
    longer text is read each time and never kept."""

    def decorate(function):
        cached = lru_cache(maxsize=maxsize)(function)

        @wraps(function)
        def read(text: str, *rest):
            return cached(text, *rest) if len(text) <= limit else function(text, *rest)

        read.cache_info, read.cache_clear = cached.cache_info, cached.cache_clear
        return read

    return decorate


# --- the data ---------------------------------------------------------------------------------------------


@cache
def _prototypes() -> dict[str, str]:
    """UTS #39's confusables: each character and the prototype it is confused with ("І" → "l", "m" → "rn")."""
    table: dict[str, str] = {}
    with (DATA / "confusables.txt").open(encoding="utf-8-sig") as handle:
        for line in handle:
            fields = line.split("#", 1)[0].split(";")
            if len(fields) < 2:
                continue
            table[chr(int(fields[0], 16))] = "".join(chr(int(c, 16)) for c in fields[1].split())
    return table


@cache
def _ascii_shapes() -> dict[int, str]:
    """The skeleton of ASCII itself, as a str.translate table: I, 1 and | are l, 0 is O, m is rn."""
    return {ord(k): v for k, v in _prototypes().items() if k.isascii() and v.isascii() and k.isalnum()}


@cache
def common_words() -> dict[str, float]:
    """Ordinary English words and how common each is (comms/data/common_words.txt)."""
    words: dict[str, float] = {}
    with (DATA / "common_words.txt").open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#") or "\t" not in line:
                continue
            word, zipf = line.rstrip("\n").split("\t")
            words[word] = float(zipf)
    return words


@cache
def also_written() -> dict[str, frozenset[str]]:
    """Every way of writing an entry of ABBREVIATIONS → the entries it may stand for ("st" → street, saint)."""
    table: dict[str, set[str]] = defaultdict(set)
    for entry, aliases in ABBREVIATIONS.items():
        key = entry.replace(" ", "")
        table[key].add(key)
        for alias in aliases:
            table[alias.replace(" ", "")].add(key)
    return {k: frozenset(v) for k, v in table.items()}


@cache
def _phrases() -> dict[str, list[tuple[str, ...]]]:
    """Phrases of more than one word among ABBREVIATIONS and their aliases, by their first word."""
    by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for entry, aliases in ABBREVIATIONS.items():
        for phrase in (entry, *aliases):
            words = tuple(phrase.split())
            if len(words) > 1:
                by_first[words[0]].append(words)
    return by_first


@cache
def _generic() -> frozenset[str]:
    words = set(also_written()) | STOP_WORDS | NAME_PARTICLES | WEB_WORDS
    for phrase in ABBREVIATIONS:
        words.update(phrase.split())
    return frozenset(words)


def is_distinctive(plain: str) -> bool:
    """Could this word of an identifier point to someone on its own?"""
    letters = sum(ch.isalpha() for ch in plain)
    return (letters >= 3 and letters == len(plain) and plain not in _generic()
            and common_words().get(plain, 0.0) < ORDINARY_FROM)


# --- reading a text ---------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    """A non-ASCII character as the Latin letters it shows, keeping case: its UTS #39 prototype, without
    accents or strokes, small capitals as letters ("ł" → "l", "ʜ" → "h", "О" → "O"). Others stay."""
    if unicodedata.combining(ch):
        return ""
    shown = unicodedata.normalize("NFD", _prototypes().get(ch, ch))
    out = []
    for c in shown:
        if unicodedata.combining(c):
            continue
        if not c.isascii():
            name = unicodedata.name(c, "")
            small = _SMALL_CAPITAL.match(name)
            letter = _LATIN_LETTER.match(name)
            if small:
                c = small.group(1).lower()
            elif letter:
                c = letter.group(2) if letter.group(1) == "CAPITAL" else letter.group(2).lower()
        out.append(c)
    return "".join(out)


def _fold(text: str) -> str:
    if text.isascii():
        return text
    return "".join(ch if ch.isascii() else _fold_char(ch) for ch in text)


def _without_marks(text: str) -> str:
    """The text with every combining mark taken off the letter it sits on: accents, and the strokes,
    slashes and circles that can be typed over each letter of a name (U+0336, U+0338, U+20DD), which
    would otherwise split the word they are put into. Decomposed first, so that "ö" loses its dots too."""
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) not in _MARKS)


def _as_shown(text: str) -> str:
    """The text in the order a reader sees its letters, where a right-to-left override (U+202E) reverses
    them: from the override to its pop (U+202C), the end of an isolate it is in (U+2069) or the end of the
    paragraph. What is nested in it (another embedding, override or isolate) shows in its own order, as
    one piece. Harbour refuses these controls when text is typed (core/text.py); this is for text
    stored before it did, or that came in by another way."""
    root: list = []
    stack: list[tuple[str, list]] = [("paragraph", root)]

    def close() -> None:
        kind, pieces = stack.pop()
        stack[-1][1].append("".join(reversed(pieces)) if kind == "override" else "".join(pieces))

    for ch in text:
        if ch == _RIGHT_TO_LEFT_OVERRIDE:
            stack.append(("override", []))
        elif ch in _EMBEDDINGS:
            stack.append(("embedding", []))
        elif ch in _ISOLATES:
            stack.append(("isolate", []))
        elif ch == _POP_DIRECTION and stack[-1][0] in ("override", "embedding"):
            close()
        elif ch == _POP_ISOLATE and any(kind == "isolate" for kind, _ in stack):
            while stack[-1][0] != "isolate":
                close()
            close()
        elif ch in _PARAGRAPH_ENDS:
            while len(stack) > 1:
                close()
            root.append(ch)
        else:
            stack[-1][1].append(ch)
    while len(stack) > 1:
        close()
    return "".join(root)


def _prepare(text: str) -> str:
    """The text with what draws nothing removed, and weak boundaries marked where a word may continue.
    A text that reverses some of its letters with an override is read both as written and as shown."""
    text = _without_marks(text or "")
    if _RIGHT_TO_LEFT_OVERRIDE in text:
        text = f"{text}\n\n{_as_shown(text)}"
    text = "".join(ch for ch in _IGNORABLE.sub("", text) if ch == "\u00ad" or unicodedata.category(ch) != "Cf")
    text = _HYPHEN_AT_LINE_BREAK.sub(_WEAK, text).replace("\u00ad", "")
    text = _NARROW_SPACES.sub(_WEAK, text)
    text = unicodedata.normalize("NFKC", text)
    for pattern, digit in _SIGNS:
        text = pattern.sub(lambda m, d=digit: d * len(m.group()), text)
    return text


def _case(ch: str) -> str:
    if ch.isdigit():
        return "d"
    return "u" if ch.isupper() else "l" if ch.islower() else "o"


def _split_piece(piece: str) -> list[str]:
    """A run of letters and digits, split where case or kind changes ("KaydenHollins", "RIPKayden",
    "Kayden2010"): each split is weak. "McDonald" stays whole, so "Donald" is not found in it."""
    if len(piece) == 1 or piece.isdigit() or (piece.isalpha() and (piece[1:].islower() or piece.isupper())):
        return [piece]  # most words: nothing to split
    parts: list[str] = []
    start = 0
    for i in range(1, len(piece)):
        before, here = _case(piece[i - 1]), _case(piece[i])
        after = _case(piece[i + 1]) if i + 1 < len(piece) else ""
        split = (before == "l" and here == "u") or (before == "u" and here == "u" and after == "l") or (
            (before == "d") != (here == "d") and "o" not in (before, here))
        if split and piece[start:i] not in ("Mc", "MC"):
            parts.append(piece[start:i])
            start = i
    parts.append(piece[start:])
    return parts


@remembered_when_short(CACHED_CHUNK, maxsize=16384)
def _chunk_pieces(chunk: str) -> tuple[tuple[tuple[str, str, bool], ...], bool]:
    """What one chunk of text (no spaces) reads as: its fragments (as shown, as compared, whether joined
    weakly to the one before) and whether words may be run together in it. Chunks repeat ("the", "and"):
    each is read once."""
    run_together = bool(_RUN_TOGETHER.search(chunk))
    pieces = list(_PIECE.finditer(chunk))
    # Letters dotted out ("E.D.", "S.M.I.T.H") are letters spelled out, not a word run together: a name is
    # found in them from three letters (SPELLED_OUT_MIN), as when spaced out.
    initials = len(pieces) > 1 and all(len(p.group()) == 1 for p in pieces)
    fragments: list[tuple[str, str, bool]] = []
    for n, piece in enumerate(pieces):
        between = chunk[pieces[n - 1].end():piece.start()] if n else ""
        text = piece.group()
        if n and between and all(c in _APOSTROPHES for c in between):
            if text in ("s", "S"):
                continue  # a possessive: "Smith's" is "Smith"
            weak = True
        else:
            weak = n > 0 and ((run_together and not initials) or (bool(between) and set(between) == {_WEAK}))
        for m, part in enumerate(_split_piece(text)):
            folded = _fold(part)
            fragments.append((folded, folded.casefold(), bool(weak or m)))
    return tuple(fragments), run_together


@dataclass(slots=True)
class _Fragment:
    raw: str  # as shown, case kept
    plain: str  # compared without case
    weak_before: bool  # joined to the fragment before by a weak boundary
    chunk: int


@dataclass(slots=True)
class _Chunk:
    first: int
    last: int  # fragment indices, inclusive
    run_together: bool


class Document:
    """A text as fragments (split at every boundary, with which boundaries are weak), the keys of every
    stretch of fragments joined across weak boundaries, and where names may be run together."""

    def __init__(self, text: str):
        self.fragments: list[_Fragment] = []
        self.chunks: list[_Chunk] = []
        for match in _CHUNK.finditer(_prepare(text)):
            self._read_chunk(match.group())
        self.index: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._index_stretches()
        self._index_phrases()
        self._index_postcodes()
        self.run_together = self._run_together()

    def _read_chunk(self, chunk: str) -> None:
        pieces, run_together = _chunk_pieces(chunk)
        if pieces:
            number, first = len(self.chunks), len(self.fragments)
            self.fragments.extend(_Fragment(raw, plain, weak, number) for raw, plain, weak in pieces)
            self.chunks.append(_Chunk(first, len(self.fragments) - 1, run_together))

    def _index_stretches(self) -> None:
        fragments = self.fragments
        for p in range(len(fragments)):
            raw = plain = ""
            for q in range(p, min(p + LONGEST_GROUP, len(fragments))):
                if q > p and not fragments[q].weak_before:
                    break
                raw += fragments[q].raw
                plain += fragments[q].plain
                if len(plain) > LONGEST_WORD:
                    break
                for key in _text_keys(raw, plain):
                    self.index[key].append((p, q))

    def _index_phrases(self) -> None:
        phrases = _phrases()
        plains = [f.plain for f in self.fragments]
        for p, word in enumerate(plains):
            for phrase in phrases.get(word, ()):
                if tuple(plains[p:p + len(phrase)]) == phrase:
                    for key in also_written().get("".join(phrase), ()):
                        self.index[key].append((p, p + len(phrase) - 1))

    def _index_postcodes(self) -> None:
        """A postcode written with its space ("LS6 2AB") is also one word, as it is without ("LS62AB")."""
        words = self.words()
        for (first, middle), (after, last) in zip(words, words[1:], strict=False):
            if middle - first > 3 or last - after > 2:  # more pieces than "lS6" and "2aB" have
                continue
            outward = "".join(f.plain for f in self.fragments[first:middle + 1])
            inward = "".join(f.plain for f in self.fragments[after:last + 1])
            if _OUTWARD_CODE.fullmatch(outward) and _INWARD_CODE.fullmatch(inward):
                self.index[outward + inward].append((first, last))

    def _run_together(self) -> list[tuple[str, int, int, bool]]:
        """Strings where words may be run together: hashtags, handles and addresses (whole), and letters
        spelled out one by one. Each: (letters, first fragment, last fragment, spelled out)."""
        found = []
        for chunk in self.chunks:
            if chunk.run_together:
                letters = "".join(f.plain for f in self.fragments[chunk.first:chunk.last + 1])
                found.append((letters, chunk.first, chunk.last, False))
        # Words of one letter in a row ("S m i t h", "S-m-i-t-h"), each word joined across weak boundaries.
        run: list[int] = []
        words = self.words()
        for first, last in [*words, (-1, -1)]:
            letters = "".join(f.plain for f in self.fragments[first:last + 1]) if first >= 0 else ""
            if len(letters) == 1 and letters.isalpha():
                run.append(first)
                continue
            if len(run) >= 2:
                found.append(("".join(self.fragments[i].plain for i in run), run[0], run[-1], True))
            run = []
        return found

    def words(self) -> list[tuple[int, int]]:
        words: list[tuple[int, int]] = []
        for i, fragment in enumerate(self.fragments):
            if words and fragment.weak_before:
                words[-1] = (words[-1][0], i)
            else:
                words.append((i, i))
        return words

    def shown(self, first: int, last: int) -> str:
        return "".join(f.raw for f in self.fragments[first:last + 1])


def _stems(plain: str) -> list[str]:
    """A word without a plural ending: "Hollinses" → "Hollins", "Smiths" → "Smith" (not "Ross" → "Ros")."""
    stems = []
    if len(plain) >= 4 and plain.endswith("es") and plain[:-2].endswith(("s", "x", "z", "ch", "sh")):
        stems.append(plain[:-2])
    if len(plain) >= 4 and plain.endswith("s") and not plain.endswith("ss"):
        stems.append(plain[:-1])
    return stems


def leet(plain: str) -> str:
    """A word with its digits read as the letters they stand for ("h0ll1ns" → "hollins")."""
    return plain.translate(_LEET)


def skeleton(raw: str) -> str:
    """A word's look-alike skeleton, case kept: capital I, 1 and | as l, 0 as O, m as rn."""
    return raw.translate(_ascii_shapes())


@remembered_when_short(CACHED_STRETCH, maxsize=32768)
def _text_keys(raw: str, plain: str) -> frozenset[str]:
    """What a stretch of text may be, each as a key: the word and its singular, what its abbreviation
    stands for; its skeleton (unless it is an ordinary word as typed); digits read as letters."""
    forms = [plain, *_stems(plain)]
    keys = set(forms)
    written = also_written()
    for form in forms:
        keys |= written.get(form, frozenset())
    common = common_words()
    unit = _NUMBER_WITH_UNIT.match(plain)
    if not unit and not any(form in common for form in forms):
        shape = skeleton(raw)
        keys.add("\x01" + shape)
        keys.update("\x01" + stem for stem in _stems(shape))
    if plain.isalpha() or unit:
        return frozenset(keys)
    digits = sum(ch.isdigit() for ch in plain)
    letters = sum(ch.isalpha() for ch in plain)
    if digits and letters >= 2 and letters > digits:
        keys.update("\x02" + leet(form) for form in forms)
    return frozenset(keys)


def normalise(text: str) -> str:
    """The words of a text in the form they are compared in, separated by single spaces and framed by
    spaces ("" for a text with no letters or digits)."""
    words = [f.plain for f in Document(text).fragments]
    return f" {' '.join(words)} " if words else ""
