"""API input fields that take what they are given at its word: no coercion, no surprises.

DRF's own fields are forgiving: "yes" becomes true, 0 becomes "0", a date in the year 1 is a date. For
records that may be read at an inquest years later, a value that is not what it claims to be is refused
with a plain 400, naming the field.
"""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

EARLIEST_YEAR, LATEST_YEAR = 1900, 2100


class StrictCharField(serializers.CharField):
    """Text only: a number, a list or true is refused, not turned into text."""

    default_error_messages = {"invalid": "Give this as text."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


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


class SaneDateTimeField(serializers.DateTimeField):
    """A date and time between 1900 and 2100 (without a time zone, UK time): anything else is a slip."""

    default_error_messages = {"out_of_range": f"Give a date between {EARLIEST_YEAR} and {LATEST_YEAR}."}

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not EARLIEST_YEAR <= timezone.localtime(parsed).year <= LATEST_YEAR:
            self.fail("out_of_range")
        return parsed


def within_sane_years(value) -> bool:
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR
