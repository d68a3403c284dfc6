"""What text Harbour takes in, stated once for each field, on its model; every door reads it from there.

There are two kinds of text:

- **One line** (`one_line`): subjects, titles, names, places, labels, references: anything that may end up
  in an email header, a calendar property, a file name or a table's cell. No line breaks, tabs or other
  control characters (Unicode category Cc), nor the line and paragraph separators (U+2028, U+2029): a
  subject with a line break in it is no email header at all, so it is refused when it is typed, never
  accepted and then failed at delivery.
- **Prose** (`prose`): bodies, summaries, decisions, notes, reasons. Line breaks and tabs are part of it;
  any other control character is refused (PostgreSQL cannot store a null byte, and none of them means
  anything on a page).

Neither takes the bidirectional embedding, override and isolate controls (U+202A to U+202E, U+2066 to
U+2069): they change the order in which the characters around them are shown, so what a reader sees is
not what the text says ("snilloH" after a right-to-left override, U+202E, shows as a protected name that
no check of the text as written finds). Text in any script is shown in its own direction without them,
the left-to-right and right-to-left marks (U+200E, U+200F) are still taken, and nothing Harbour does needs
them: they are refused when typed, with a message of their own.

A model field says which, and how long it may be:

    subject = models.CharField(max_length=200, validators=[one_line])
    body = models.TextField(max_length=20_000, validators=[prose])

The admin's forms take both from the model as Django does. Harbour's own doors read them from the field:
its forms with `form_text` (below), the API with `core.api_fields.api_text` (which also states them in
the OpenAPI schema as `maxLength` and `pattern`), and the services with `checked_text`, which every page,
API call, admin action and command goes through. A limit written anywhere else is a second copy. A field
that holds a copy of another's text (a version's subject) is declared `like` it, or as a `copy_of` it.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import models

# Control characters (Unicode category Cc: C0, DEL and C1), and the line and paragraph separators.
_CONTROL = r"\x00-\x1f\x7f-\x9f"
_SEPARATORS = r"\u2028\u2029"
# Control characters that have no place in prose: all but tab, line feed and carriage return.
_PROSE_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# The bidirectional embeddings, overrides and isolates, and their pops: they reorder what is shown.
_DIRECTION = r"\u202a-\u202e\u2066-\u2069"
DIRECTION_CONTROL = re.compile(f"[{_DIRECTION}]")
# What str.strip() takes away that prose allows (tab, line feed, carriage return) and the spaces: a text of
# only these is empty.
_SPACES = r"\x09\x0a\x0d \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

ONE_LINE_MESSAGE = ("Keep this to one line: line breaks, tabs and other control characters cannot be "
                    "used here.")
PROSE_MESSAGE = ("This contains a control character (such as a null byte) that cannot be stored. "
                 "Remove it and try again.")
DIRECTION_MESSAGE = ("This contains a character that changes the direction text is shown in (such as a "
                     "right-to-left override), so it would not read as it is written. Remove it and try again.")
SURROGATE = re.compile(r"[\ud800-\udfff]")


class TextKind:
    """The characters a kind of text may hold, as a regular expression checked against the whole value
    (anchored, so the API states it as its `pattern`). A lone surrogate, which is no character at all and
    cannot be stored, is refused too. A kind that refuses the direction controls (`direction`) says so in
    words of its own."""

    def __init__(self, name: str, allowed: str, message: str, *, direction: bool = False):
        self.name, self.message, self.direction = name, message, direction
        self.allowed = allowed + _DIRECTION if direction else allowed
        self.regex = re.compile(rf"\A[{self.allowed}]*\Z")

    def check(self, value: Any) -> None:
        text = str(value)
        if self.regex.fullmatch(text) and not SURROGATE.search(text):
            return
        reorders = self.direction and DIRECTION_CONTROL.search(text)
        rest = DIRECTION_CONTROL.sub("", text) if reorders else text
        messages = [] if self.regex.fullmatch(rest) and not SURROGATE.search(rest) else [self.message]
        if reorders:
            messages.append(DIRECTION_MESSAGE)
        raise ValidationError([ValidationError(m, code=self.name) for m in messages])

    def pattern(self, *, required: bool) -> str:
        """The pattern a value given for such a field must match: with `required`, at least one character
        that is not a space (what str.strip() leaves something of); otherwise something (an empty value
        being another branch of the schema)."""
        if required:
            return rf"\A[{self.allowed}]*[^{self.allowed[1:]}{_SPACES}][{self.allowed}]*\Z"
        return rf"\A[{self.allowed}]+\Z"


ONE_LINE = TextKind("one_line", rf"^{_CONTROL}{_SEPARATORS}", ONE_LINE_MESSAGE, direction=True)
PROSE = TextKind("prose", rf"^{_PROSE_CONTROL}", PROSE_MESSAGE, direction=True)
# A password is whatever its owner chose (the sign-in page takes any), but for the null byte no system keeps.
SECRET = TextKind("secret", r"^\x00", "A null byte cannot be part of it.")


# The validators a model field names (functions, so a migration refers to them by name).
def one_line(value: Any) -> None:
    """One line of text: no line breaks, tabs or other control characters."""
    ONE_LINE.check(value)


def prose(value: Any) -> None:
    """Prose: line breaks and tabs, but no other control characters."""
    PROSE.check(value)


def is_one_line(value: Any) -> bool:
    """Whether a value is text of one line: what a name or code must be before it is looked up (PostgreSQL
    refuses to compare text holding a null byte, so such a name is nobody's without asking)."""
    try:
        ONE_LINE.check(value)
    except ValidationError:
        return False
    return isinstance(value, str)


def kind_of(field: models.Field) -> TextKind:
    """The kind of text a model field holds: one line unless it says prose."""
    return PROSE if any(v is prose for v in field.validators) else ONE_LINE


def too_long(limit: int, given: int) -> str:
    return f"Keep this to {limit:,} characters or fewer (it has {given:,})."


def checked_text(errors: dict[str, list[str]], model: type[models.Model], name: str, value: Any, *,
                 key: str | None = None, missing: str = "", required: bool | None = None) -> str:
    """The text given for a model's field, trimmed: or, when it is not text, is empty where something is
    needed, is longer than the field's limit or holds characters its kind does not allow, "" with the
    reason added to errors[key] (the field's name unless said). `missing` is what to say when it is
    empty ("Enter a subject."); `required` defaults to the field's own (not blank)."""
    field = model._meta.get_field(name)
    key = key or name
    required = not field.blank if required is None else required
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.setdefault(key, []).append("Give this as text.")
        return ""
    try:
        kind_of(field).check(value)  # as given: a line break at the end of a subject is refused, not trimmed
    except ValidationError as error:
        errors.setdefault(key, []).extend(error.messages)
        return ""
    text = value.strip()
    if not text:
        if required:
            errors.setdefault(key, []).append(missing or "Enter something here.")
        return ""
    if field.max_length and len(text) > field.max_length:
        errors.setdefault(key, []).append(too_long(field.max_length, len(text)))
        return ""
    return text


class _Limit(MaxLengthValidator):
    """A field's limit, said as checked_text says it."""

    def __call__(self, value: Any) -> None:
        if len(value) > self.limit_value:
            raise ValidationError(too_long(self.limit_value, len(value)), code="max_length")


class _Kind:
    def __init__(self, kind: TextKind):
        self.kind = kind

    def __call__(self, value: Any) -> None:
        self.kind.check(value)


def form_text(model: type[models.Model], name: str, **kwargs) -> forms.CharField:
    """A form's field for a model's text field: its limit (also the input's `maxlength`), its kind and,
    unless said otherwise, whether it is required and a text area for prose."""
    field = model._meta.get_field(name)
    kind = kind_of(field)
    kwargs.setdefault("required", not field.blank)
    if kind is PROSE:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
    made = forms.CharField(**kwargs)
    made.max_length = field.max_length
    # Said once, in the kind's words (Django's own null-byte check would say it a second time).
    made.validators = [v for v in made.validators if not isinstance(v, ProhibitNullCharactersValidator)]
    made.validators += [_Kind(kind), _Limit(field.max_length)]
    made.widget.attrs.update(made.widget_attrs(made.widget))  # maxlength on the input, as CharField does
    return made


def like(original: models.Field, **changes) -> models.Field:
    """A field stated as another is, for one that holds a copy of it or the same kind of thing (a version's
    subject is its message's; a removal's reason is as long as an addition's): the limit and kind are
    stated once."""
    _name, _path, args, kwargs = original.deconstruct()
    return type(original)(*args, **{**kwargs, **changes})


def copy_of(model: type[models.Model], name: str, **changes) -> models.Field:
    """Another model's field, as `like` makes it."""
    return like(model._meta.get_field(name), **changes)


def max_length(model: type[models.Model], field_name: str) -> int:
    """A text field's limit, read from its model: forms, serializers and services all take it from here."""
    return model._meta.get_field(field_name).max_length
