"""API input fields that take what they are given at its word: no coercion, no surprises.

DRF's own fields are forgiving: "yes" becomes true, 0 becomes "0", a date in the year 1 is a date. For
records that may be read at an inquest years later, a value that is not what it claims to be is refused
with a plain 400, naming the field.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from rest_framework import serializers

from .text import ONE_LINE, TextKind, kind_of, too_long

EARLIEST_YEAR, LATEST_YEAR = 1900, 2100


class StrictCharField(serializers.CharField):
    """Text only: a number, a list or true is refused, not turned into text. Its kind (one line unless
    said otherwise: core/text.py) and its limit are checked on the value as given, before spaces are
    trimmed, as the schema states them: "Subject\\n" is refused, not quietly made "Subject"."""

    default_error_messages = {"invalid": "Give this as text."}

    def __init__(self, *, kind: TextKind = ONE_LINE, **kwargs):
        self.kind = kind
        super().__init__(**kwargs)
        # Said once, in the kind's words, before trimming (DRF's own null-byte check would say it again).
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str):
            try:
                self.kind.check(data)
            except ValidationError as error:
                raise serializers.ValidationError(error.messages, code=self.kind.name) from None
            if self.max_length is not None and len(data) > self.max_length:
                raise serializers.ValidationError(too_long(self.max_length, len(data)), code="max_length")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def api_text(model, name: str, **kwargs) -> StrictCharField:
    """An API field for a model's text field: its limit and kind as the model states them (core/text.py),
    blank allowed where the model allows it. `required` is whether the key must be sent."""
    field = model._meta.get_field(name)
    kwargs.setdefault("allow_blank", field.blank)
    return StrictCharField(max_length=field.max_length, kind=kind_of(field), **kwargs)


class StrictBooleanField(serializers.BooleanField):
    """true or false only (or "true" / "false" in a form-encoded request): "yes", 1 and "on" are refused."""

    default_error_messages = {"invalid": "Give true or false."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if data in ("true", "false"):
            return data == "true"
        self.fail("invalid")


class StrictIntegerField(serializers.IntegerField):
    """A whole number only: "5", 5.0 and true are refused."""

    default_error_messages = {"invalid": "Give a whole number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


# A date and time as the API takes one: ISO 8601 to the minute, second or microsecond, with an offset (Z or
# ±HH:MM) or without one for UK time, in the years 1900 to 2100 as written. The schema states exactly this.
DATETIME_PATTERN = (r"^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                    r"T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$")
_DATETIME = re.compile(DATETIME_PATTERN)


class SaneDateTimeField(serializers.DateTimeField):
    """A date and time between 1900 and 2100 (without a time zone, UK time): anything else is a slip. Only
    the one form the schema states is read (Python would also take "2026-01-01", "20260101T0000" or a
    week date), so what the schema calls a date and time and what Harbour reads are the same."""

    default_error_messages = {
        "out_of_range": f"Give a date between {EARLIEST_YEAR} and {LATEST_YEAR}.",
        "invalid": "Give a date and time such as 2026-03-01T14:30:00Z (or without the Z, for UK time).",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            if re.match(r"^[0-9]{4}", value) and not EARLIEST_YEAR <= int(value[:4]) <= LATEST_YEAR:
                self.fail("out_of_range")
            if not _DATETIME.fullmatch(value):
                self.fail("invalid")
        return super().to_internal_value(value)


class ChangesSerializer(serializers.Serializer):
    """A PATCH body: only the fields it names may be sent (another is refused, not quietly ignored), and at
    least one of them. The schema says both (additionalProperties: false, minProperties: 1)."""

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields)) if isinstance(self.initial_data, dict) else []
        if unknown:
            raise serializers.ValidationError({name: ["This field cannot be changed."] for name in unknown})
        if not attrs:
            raise serializers.ValidationError("Give at least one field to change.")
        return attrs


class OneOfSerializer(serializers.Serializer):
    """A body that is one of several shapes: `shapes` lists, for each, the fields it needs and the fields it
    must not have, as `validate` checks them and the schema states them (oneOf)."""

    shapes: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    shape_refusal: tuple[str, str] = ("", "")  # (field, message) when the body is none of them

    def validate(self, attrs):
        given = {name for name, value in attrs.items() if value not in ("", None)}
        if not any(set(needs) <= given and not set(excludes) & set(attrs) for needs, excludes in self.shapes):
            field, message = self.shape_refusal
            raise serializers.ValidationError({field: [message]})
        return attrs


def within_sane_years(value) -> bool:
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


# --- what the schema says of them -------------------------------------------------------------------------


def ecma(pattern: str) -> str:
    """A Python pattern as the OpenAPI schema writes one (ECMA 262): ^ and $ anchors, \\uXXXX escapes."""
    return pattern.replace(r"\A", "^").replace(r"\Z", "$").replace(r"\x", r"\u00")


class StrictTextSchema(OpenApiSerializerFieldExtension):
    """A text field states, for requests, the characters its kind allows (and, when it is required, that it
    is not only spaces) as its `pattern`, beside its `maxLength`. Answers are not held to it: they show
    what was stored, whenever it was."""

    target_class = StrictCharField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" and not self.target.read_only:
            schema["pattern"] = ecma(self.target.kind.pattern(required=not self.target.allow_blank))
        return schema


class SaneDateTimeSchema(OpenApiSerializerFieldExtension):
    """A date and time states, for requests, the one form it is read in, years 1900 to 2100."""

    target_class = SaneDateTimeField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" and not self.target.read_only:
            schema["pattern"] = DATETIME_PATTERN
            schema["description"] = " ".join(filter(None, [schema.get("description"), (
                f"A date and time from {EARLIEST_YEAR} to {LATEST_YEAR}, such as 2026-03-01T14:30:00Z; without "
                "an offset, UK time.")]))
        return schema


class ChangesSchema(OpenApiSerializerExtension):
    target_class = ChangesSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema.update(minProperties=1, additionalProperties=False)
        return schema


class OneOfSchema(OpenApiSerializerExtension):
    target_class = OneOfSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            properties = schema.get("properties", {})
            schema["oneOf"] = [{
                "required": list(needs),
                # Given ones must hold something: a required text is not only spaces.
                "properties": {name: _given(self.target.fields[name], properties.get(name, {})) for name in needs},
                **({"not": {"anyOf": [{"required": [name]} for name in excludes]}} if excludes else {}),
            } for needs, excludes in self.target.shapes]
        return schema


def _given(field, schema: dict) -> dict:
    if isinstance(field, StrictCharField):
        return {"type": "string", "minLength": 1, "pattern": ecma(field.kind.pattern(required=True))}
    return {"not": {"type": "null"}} if schema.get("nullable") else {}
