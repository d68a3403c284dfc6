"""Search: what a person may see that matches their words or a reference, from every wing.

Each wing declares its source (core/wings.py `register_search_source`, this wing's own in its apps.py);
this module asks every declared source, ranks what they found together, and gives the sources the one way
every wing's text is matched and excerpted.
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass

from django.db import connections
from django.db.models import Case, ExpressionWrapper, F, FloatField, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Concat
from django.urls import reverse

from core.wings import SearchHit, search_sources
from people.models import User

from .models import Decision
from .policy import Action, incidents
from .selectors import short

# --- search ------------------------------------------------------------------------------------------------
#
# `/search/` and `GET /api/search/?q=`: incidents, decisions and messages, by words and by reference. Each
# wing registers a source (as it registers what waits on a person); every source restricts through its
# policy *before* it matches, so what a person may not see is never matched, never counted, never quoted.
#
# On PostgreSQL the words are matched by full-text search (English stemming: "flooding" finds "flood"),
# ranked, and excerpted by ts_headline; elsewhere (the embedded SQLite) every word must appear somewhere in
# the record, newest first. No index serves either, deliberately: the text is read from the rows the person
# may see, and a council has hundreds of incidents and thousands of entries, not millions. (Not measured at
# scale; a GIN index on the weighted vectors is the step to take if a search ever shows up as slow.)

SEARCH_LIMIT = 50  # hits in all; no paging: a person adds words to narrow
SEARCH_MAX_LENGTH = 200  # characters of a query
SEARCH_CONFIG = "english"
SNIPPET_LENGTH = 200  # characters, about two lines
# ts_headline marks every word the query matched (in any of its forms) in the whole text, with two control
# characters nobody types: the snippet is cut round the first, in Python, as it is on SQLite, and the marks
# are taken out again. (Its own fragments drop stop words and punctuation at their edges.)
_MARK, _END = "\x01", "\x02"
_HEADLINE = {"start_sel": _MARK, "stop_sel": _END, "highlight_all": True}
REFERENCE_RANK = 100.0  # above any word's rank: a reference found comes first



@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: list[SearchHit]
    more: bool  # more matched than are shown: "add words to narrow"



def search(person: User, query: str, limit: int = SEARCH_LIMIT) -> SearchResults:
    """What the person may see that matches the words or the reference, best first, at most `limit` hits.
    Each source is asked for one more than fits, so `more` is exact; each query costs the same however many
    hits it finds (one query per kind, with the incident joined)."""
    query = " ".join(query.split())[:SEARCH_MAX_LENGTH]
    if not query:
        return SearchResults(query, [], False)
    hits = [hit for source in search_sources() for hit in source(person, query, limit + 1)]
    hits.sort(key=lambda h: (-h.rank, -h.when.timestamp(), h.kind, h.url))
    return SearchResults(query, hits[:limit], len(hits) > limit)


@dataclass(frozen=True)
class TextSearch:
    """How one kind of record is searched: its text fields with their weights ("A" counts most, then B, C,
    D), and the fields its snippet is cut from."""

    fields: dict[str, str]
    snippet: tuple[str, ...]


def search_words(query: str) -> list[str]:
    """The words of a query, each once, without the quotes a person may put round them."""
    words = (word.strip('"“”') for word in query.split())
    return list(dict.fromkeys(word for word in words if word))


# "INC-2026-0001", "inc 2026 1", "2026-0001", "0001", "1": a reference, whole or by its number.
_REFERENCE = re.compile(r"(?:inc[-\s]*)?(?:(\d{4})[-\s]+)?0*(\d{1,6})", re.IGNORECASE)


def reference_match(query: str, field_name: str = "reference") -> Q | None:
    """The incidents a query names by reference (None: it is not a reference)."""
    found = _REFERENCE.fullmatch(query.strip())
    if found is None:
        return None
    year, number = found.groups()
    if year:
        return Q(**{f"{field_name}__iexact": f"INC-{int(year)}-{int(number):04d}"})
    return Q(**{f"{field_name}__iendswith": f"-{int(number):04d}"})


def _joined(fields: tuple[str, ...]):
    if len(fields) == 1:
        return F(fields[0])
    parts: list = []
    for name in fields:
        parts += [F(name), Value("\n")]
    return Concat(*parts[:-1], output_field=TextField())


def text_search(queryset: QuerySet, query: str, how: TextSearch, *, also: Q | None = None) -> QuerySet:
    """The rows of `queryset` (already restricted to what the person may see) that match the query, each
    annotated with `search_rank`, and on PostgreSQL with `search_headline` for its snippet. `also`: rows
    found whatever their words (an incident named by its reference), ranked above the rest."""
    if connections[queryset.db].vendor == "postgresql":
        from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector

        vector = functools.reduce(operator.add, (SearchVector(name, config=SEARCH_CONFIG, weight=weight)
                                                 for name, weight in how.fields.items()))
        words = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
        queryset = queryset.alias(search_document=vector).annotate(
            search_headline=SearchHeadline(_joined(how.snippet), words, config=SEARCH_CONFIG, **_HEADLINE))
        matched, rank = Q(search_document=words), SearchRank(vector, words)
    else:
        # Every word somewhere in the record (in any of its fields); nothing when there are no words.
        matched = Q(pk__in=[])
        words = search_words(query)
        if words:
            matched = functools.reduce(operator.and_, (
                functools.reduce(operator.or_, (Q(**{f"{name}__icontains": word}) for name in how.fields))
                for word in words))
        rank = Value(0.0)
    if also is not None:
        matched |= also
        rank = rank + Case(When(also, then=Value(REFERENCE_RANK)), default=Value(0.0))
    return queryset.filter(matched).annotate(search_rank=ExpressionWrapper(rank, output_field=FloatField()))


def search_snippet(row, query: str, how: TextSearch) -> str:
    text = "\n".join(getattr(row, name) or "" for name in how.snippet)
    return excerpt(text, query, getattr(row, "search_headline", None))


def excerpt(text: str, query: str, headline: str | None = None, size: int = SNIPPET_LENGTH) -> str:
    """A short plain-text excerpt of `text`, with "…" wherever it was cut: round the first word PostgreSQL
    marked in its headline (which knows "flooded" matched "flooding"), else round the first of the query's
    words found, else from its beginning."""
    if headline and _MARK in headline:
        before, after = headline.split(_MARK, 1)
        before, after = " ".join(_unmarked(before).split()), " ".join(_unmarked(after).split())
        text = f"{before} {after}".strip()
        start = len(before) + 1 if before else 0
    else:
        text = " ".join(_unmarked(text).split())
        found = [m.start() for word in search_words(query) if (m := re.search(re.escape(word), text, re.IGNORECASE))]
        start = min(found, default=0)
    if not text:
        return ""
    lead = size // 4  # some words before the match, for context
    begin = 0 if start <= lead else text.rfind(" ", 0, start - lead) + 1
    return _cut(text, begin, size)


def _unmarked(text: str) -> str:
    return text.replace(_MARK, "").replace(_END, "")


def _cut(text: str, begin: int, size: int) -> str:
    """`size` characters of `text` from `begin`, ended at a word's end where there is one."""
    end = begin + size
    if end >= len(text):
        end = len(text)
    else:
        space = text.rfind(" ", begin + size // 2, end)
        end = space if space > 0 else end
    return ("…" if begin else "") + text[begin:end].strip() + ("…" if end < len(text) else "")


INCIDENT_SEARCH = TextSearch({"title": "A", "summary": "B"}, ("summary",))
DECISION_SEARCH = TextSearch({"decision": "A", "rationale": "B", "options_considered": "C", "information": "C"},
                             ("decision", "rationale", "options_considered", "information"))


def incident_search(person: User, query: str, limit: int) -> list[SearchHit]:
    """Incidents by reference or by words in their title and summary; decisions by words in the entry, of
    the incidents the person may see. A restricted incident's outsiders never reach its rows."""
    seen = incidents.restrict(person, Action.VIEW)
    found = text_search(seen, query, INCIDENT_SEARCH, also=reference_match(query))
    hits = [SearchHit(kind="incident", title=incident.title, snippet=search_snippet(incident, query, INCIDENT_SEARCH),
                      url=reverse("incident-detail", args=[incident.pk]), incident=incident,
                      when=incident.opened_at, rank=incident.search_rank)
            for incident in found.order_by("-search_rank", "-opened_at", "-id")[:limit]]
    entries = text_search(Decision.objects.filter(incident__in=seen.values("pk")).select_related("incident"),
                          query, DECISION_SEARCH)
    hits += [SearchHit(kind="decision", title=f"Decision {entry.number}: {short(entry.decision)}",
                       snippet=search_snippet(entry, query, DECISION_SEARCH),
                       url=reverse("incident-detail", args=[entry.incident_id]) + "#decisions",
                       incident=entry.incident, when=entry.decided_at, rank=entry.search_rank)
             for entry in entries.order_by("-search_rank", "-decided_at", "-id")[:limit]]
    return hits


SEARCH_EMPTY = "Enter words or a reference to search for."
SEARCH_TOO_LONG = f"Search for {SEARCH_MAX_LENGTH} characters or fewer: a few distinctive words are enough."

