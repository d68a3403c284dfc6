"""Template helpers shared by every wing."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def status_tag(obj) -> str:
    """A GOV.UK tag for the object's status, in the colour its model gives that status (STATUS_COLOURS)."""
    colour = type(obj).STATUS_COLOURS.get(obj.status, "grey")
    return format_html('<strong class="govuk-tag govuk-tag--{}">{}</strong>', colour, obj.get_status_display())
