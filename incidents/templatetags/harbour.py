"""Template helpers shared by every wing."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from core import wings
from core.times import uk_day_time, uk_time
from incidents.forms import PeopleField, people_named

register = template.Library()


@register.simple_tag(takes_context=True)
def incident_sections(context, incident) -> list[dict]:
    """The incident's sections for this page (core/wings.py): the one named by `incident_tab` is current."""
    flat = context.flatten()
    return wings.incident_tabs(incident.pk, flat.get("incident_tab") or "workspace", flat)


@register.simple_tag
def status_tag(obj) -> str:
    """A GOV.UK tag for the object's status, in the colour its model gives that status (STATUS_COLOURS)."""
    colour = type(obj).STATUS_COLOURS.get(obj.status, "grey")
    return format_html('<strong class="govuk-tag govuk-tag--{}">{}</strong>', colour, obj.get_status_display())


@register.filter
def chosen_people(field) -> list[dict]:
    """The people a several-people field (incidents.forms.PeopleField) holds, named, for the chooser's list
    when the form is drawn again."""

    return people_named(PeopleField.typed(field.value()))


@register.filter(name="uk_time")
def uk_time_filter(when) -> str:
    """{{ at|uk_time }}: "24 Nov 2026, 09:15" (core/times.py)."""

    return uk_time(when) if when else ""


@register.filter(name="uk_day_time")
def uk_day_time_filter(when) -> str:
    """{{ at|uk_day_time }}: "Tue 24 Nov, 14:05" (core/times.py)."""

    return uk_day_time(when) if when else ""
