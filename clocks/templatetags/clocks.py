"""Template helpers of the statutory clocks: `{% load clocks %}`."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html

from core.workdays import is_bank_holiday, time_left

register = template.Library()


@register.simple_tag
def countdown(obligation) -> str:
    """How long an obligation has left, as static/harbour/clocks.js goes on counting it in the page."""
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


@register.inclusion_tag("clocks/_working_days.html")
def working_days_data():
    """The bank holidays of this year and next, for clocks.js to count working days as the server does."""
    year = timezone.localdate().year
    start, end = dt.date(year, 1, 1), dt.date(year + 2, 1, 1)
    days = [(start + dt.timedelta(days=n)) for n in range((end - start).days)]
    return {"holidays": [day.isoformat() for day in days if is_bank_holiday(day)]}
