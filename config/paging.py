"""Lists a page at a time, for pages and the API alike.

A long incident must cost what a short one costs: every list Harbour shows is a page of at most
`PAGE_SIZE` rows (newest first, unless the list says otherwise) and a cursor to the next. The cursor is
the ordering key of the last row shown (keyset pagination), so the thousandth page costs what the first
does, where an OFFSET would make the database walk past every row before it. Rows added while someone
reads (live updates arrive at the top) do not shift the pages they have not reached yet.

A cursor is opaque to its reader: the key's values as JSON, base64url-encoded. A cursor that does not
decode, or does not fit the list it is given to, is refused as bad input ("cursor": ...), never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet

from .api_fields import within_sane_years
from .errors import InvalidInput

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
CURSOR_PARAM = "cursor"
SIZE_PARAM = "page_size"
BAD_CURSOR = "This is not a position in this list. Start again from its first page."

T = TypeVar("T")


def encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


MAX_CURSOR = 512  # far longer than any key Harbour writes


def decode(token: str, parsers: Sequence[Callable[[Any], Any]], param: str = CURSOR_PARAM) -> list[Any]:
    """The key a cursor carries, each value parsed for its column; bad input if it is not one of ours."""
    try:
        if len(token) > MAX_CURSOR:
            raise ValueError
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(raw, list) or len(raw) != len(parsers) or any(v is None for v in raw):
            raise ValueError
        values = [parse(value) for parse, value in zip(parsers, raw, strict=True)]
        if any(v is None for v in values):
            raise ValueError
        return values
    except (ValueError, TypeError, UnicodeError, binascii.Error, ValidationError, OverflowError, RecursionError):
        raise InvalidInput({param: BAD_CURSOR}) from None


def sane_time(value: datetime) -> datetime:
    """A time from a cursor: with its offset, as every key Harbour writes, and a year Harbour could hold
    (years near 1 or 9999 overflow when moved to UTC)."""
    if value.tzinfo is None or not within_sane_years(value):
        raise ValueError
    return value


def page_size(value: str | None, param: str = SIZE_PARAM) -> int | None:
    """The length asked for, or None for the list's own. Given but empty is an error, as any other
    value that is not a length is."""
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]{1,3}", value) or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise InvalidInput({param: f"Give a whole number from 1 to {MAX_PAGE_SIZE}."})
    return int(value)


@dataclass
class Page(Generic[T]):
    """One page of a list: its rows, and the cursor to the rest (None when these are the last)."""

    items: list[T]
    next: str | None = None
    cursor: str | None = None  # the cursor this page was asked for with (None: the first page)
    extra: dict[str, Any] = field(default_factory=dict)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    @property
    def is_first(self) -> bool:
        return self.cursor is None


@dataclass(frozen=True)
class Keyset:
    """An order over unique keys, e.g. ("-decided_at", "-number"): the last column must make each row's
    key unique, so "the rows after this key" is exact. Each column should be led by an index that also
    holds the list's filter (the incident, the person), so a page reads only its own rows."""

    fields: tuple[str, ...]
    size: int = PAGE_SIZE  # how many a page shows, unless asked (the API's ?page_size=)
    # Columns the list is filtered to one value of (the incident), put first in ORDER BY so the database
    # reads the page straight from the index that leads with them, whatever it guesses about the table.
    within: tuple[str, ...] = ()

    def __init__(self, *fields: str, size: int = PAGE_SIZE, within: tuple[str, ...] = ()):
        object.__setattr__(self, "fields", tuple(fields))
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "within", tuple(within))

    @property
    def _columns(self) -> list[tuple[str, bool]]:
        return [(f.lstrip("-"), f.startswith("-")) for f in self.fields]

    def key(self, row: Any) -> list[Any]:
        return [_value(row, name) for name, _ in self._columns]

    def after(self, queryset: QuerySet, key: Sequence[Any]) -> QuerySet:
        """Rows that come after `key` in this order: (a < x) or (a = x and b < y) or …"""
        condition, equal = Q(), {}
        for (name, descending), value in zip(self._columns, key, strict=True):
            condition |= Q(**equal, **{f"{name}__{'lt' if descending else 'gt'}": value})
            equal[name] = value
        return queryset.filter(condition)

    def parsers(self, model: type[Model]) -> list[Callable[[Any], Any]]:
        return [_parser(model, name) for name, _ in self._columns]

    def page(self, queryset: QuerySet, cursor: str | None = None, size: int | None = None,
             param: str = CURSOR_PARAM) -> Page:
        """At most `size` rows in this order, starting after the cursor; one query, whatever the length."""
        size = size or self.size
        ordered = queryset.order_by(*self.within, *self.fields)
        if cursor:
            ordered = self.after(ordered, decode(cursor, self.parsers(queryset.model), param))
        rows = list(ordered[:size + 1])
        more = len(rows) > size
        rows = rows[:size]
        return Page(rows, encode(self.key(rows[-1])) if more else None, cursor or None)


def _value(row: Any, name: str) -> Any:
    if isinstance(row, dict):
        return row[name]
    for part in name.split("__"):
        row = getattr(row, part)
    return row


def _parser(model: type[Model], name: str) -> Callable[[Any], Any]:
    *path, last = name.split("__")
    for part in path:
        model = model._meta.get_field(part).related_model
    model_field = model._meta.pk if last == "pk" else model._meta.get_field(last)
    if model_field.is_relation:
        model_field = model_field.target_field

    def parse(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError
        parsed = model_field.to_python(value)
        if isinstance(parsed, datetime):
            sane_time(parsed)
        return parsed

    return parse
