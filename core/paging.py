"""Lists a page at a time, for pages and the API alike.

A long incident must cost what a short one costs: every list Harbour shows is a page of at most
`PAGE_SIZE` rows (newest first, unless the list says otherwise) and a cursor to the next. The cursor is
the ordering key of the last row shown (keyset pagination), so the thousandth page costs what the first
does, where an OFFSET would make the database walk past every row before it. Rows added while someone
reads (live updates arrive at the top) do not shift the pages they have not reached yet.

A cursor is the last row's key, written plainly so that the API can state its shape as a pattern and any
cursor of that shape is a position in its list (a row would sort there, whether or not one does): the
key's values joined by "~", each as its column holds it, a whole number as digits, a moment as
microseconds since 1970 (UTC, "-" before), text as base64url of its UTF-8. A cursor of another shape is
refused as bad input ("cursor": ...), never a 500.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import (
    AutoField,
    CharField,
    DateTimeField,
    Field,
    IntegerField,
    Model,
    Q,
    QuerySet,
    TextField,
)

from .errors import InvalidInput

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
CURSOR_PARAM = "cursor"
SIZE_PARAM = "page_size"
BAD_CURSOR = "This is not a position in this list. Start again from its first page."

T = TypeVar("T")


# How each kind of column is written in a cursor, and read back.
CURSOR_PARTS = {
    "int": r"[0-9]{1,18}",
    "time": r"-?[0-9]{1,16}",
    "text": r"(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?",
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_CURSOR = 2048  # a name of 200 characters, each of four bytes, written in base64, and the rest


def cursor_pattern(kinds: Sequence[str]) -> str:
    """The shape of a cursor of a list whose key has columns of these kinds."""
    return "^" + "~".join(CURSOR_PARTS[kind] for kind in kinds) + "$"


def _written(value: Any) -> str:
    if isinstance(value, datetime):
        return str((value - EPOCH) // timedelta(microseconds=1))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")
    raise TypeError(f"A cursor holds whole numbers, moments and text, not {value!r}.")


def _read(kind: str, part: str) -> Any:
    if kind == "time":
        return EPOCH + timedelta(microseconds=int(part))
    if kind == "int":
        return int(part)
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    # Any text is a position among texts; a null byte is the one thing no database will compare.
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def encode(values: Sequence[Any]) -> str:
    return "~".join(_written(value) for value in values)


def decode(token: str, kinds: Sequence[str], param: str = CURSOR_PARAM) -> list[Any]:
    """The key a cursor carries, for a list whose key has columns of these kinds; bad input if it is not
    of that shape."""
    if len(token) > MAX_CURSOR or not re.fullmatch(cursor_pattern(kinds), token):
        raise InvalidInput({param: BAD_CURSOR})
    try:
        return [_read(kind, part) for kind, part in zip(kinds, token.split("~"), strict=True)]
    except (ValueError, binascii.Error, OverflowError):  # not expected of that shape, but never a 500
        raise InvalidInput({param: BAD_CURSOR}) from None


def kind_of(field: Field) -> str:
    """How a column of a key is written in a cursor."""
    if field.is_relation:
        field = field.target_field
    if isinstance(field, DateTimeField):
        return "time"
    if isinstance(field, IntegerField | AutoField):
        return "int"
    if isinstance(field, CharField | TextField):
        return "text"
    raise ImproperlyConfigured(f"A list cannot be paged by {field!r}: order it by numbers, moments or text.")


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

    def kinds(self, model: type[Model]) -> list[str]:
        """How each column of the key is written in a cursor (cursor_pattern states the shape)."""
        return [kind_of(_field(model, name)) for name, _ in self._columns]

    def page(self, queryset: QuerySet, cursor: str | None = None, size: int | None = None,
             param: str = CURSOR_PARAM) -> Page:
        """At most `size` rows in this order, starting after the cursor; one query, whatever the length."""
        size = size or self.size
        ordered = queryset.order_by(*self.within, *self.fields)
        if cursor:
            ordered = self.after(ordered, decode(cursor, self.kinds(queryset.model), param))
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


def _field(model: type[Model], name: str) -> Field:
    *path, last = name.split("__")
    for part in path:
        model = model._meta.get_field(part).related_model
    return model._meta.pk if last == "pk" else model._meta.get_field(last)
