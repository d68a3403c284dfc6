"""Template helpers shared by every wing."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from core import wings
from core.times import uk_day_time, uk_time
from core.workdays import is_bank_holiday, time_left
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


@register.simple_tag
def countdown(obligation) -> str:
    """How long an obligation has left, as static/harbour/clocks.js goes on counting it in the page."""
    from django.utils import timezone

    if obligation.due_at is None:
        return format_html('<span class="harbour-muted">{}</span>', "Waits for its clock to start")
    if not obligation.is_pending:
        return ""
    return format_html('<span class="harbour-countdown" data-due="{}">{}</span>', obligation.due_at.isoformat(),
                       time_left(obligation.due_at, timezone.now()))


@register.simple_tag
def clock_tag(obligation) -> str:
    """Pending, overdue (which the page's script turns to by itself when the time comes), done or not
    applicable, in calm colours."""
    if obligation.is_overdue:
        return format_html('<strong class="govuk-tag govuk-tag--orange" data-clock-tag>{}</strong>', "Overdue")
    colour = type(obligation).COLOURS.get(obligation.status, "grey")
    return format_html('<strong class="govuk-tag govuk-tag--{}"{}>{}</strong>', colour,
                       " data-clock-tag" if obligation.is_pending else "", obligation.get_status_display())


@register.inclusion_tag("incidents/_working_days.html")
def working_days_data():
    """The bank holidays of this year and next, for clocks.js to count working days as the server does."""
    import datetime as dt

    from django.utils import timezone

    year = timezone.localdate().year
    start, end = dt.date(year, 1, 1), dt.date(year + 2, 1, 1)
    days = [(start + dt.timedelta(days=n)) for n in range((end - start).days)]
    return {"holidays": [day.isoformat() for day in days if is_bank_holiday(day)]}


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
