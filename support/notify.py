"""What staff support tells one person, and how: a notice in Harbour, said once (core/notices.py), and an
email by the one outbox (core/outbox.py), which sends support's in office hours only (`email_not_before`,
declared in apps.py). Never the note or the outcome of a check-in."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from core import notices, outbox
from core.models import Email
from core.workdays import next_office_moment
from people.models import User

from .models import (
    EMAIL_KIND,
    FollowUp,
    NoticeKind,
    notice_kind,
)

BOARD = "/support/board/"
MINE = "/support/me/"


def _words(follow_up: FollowUp, recipient: User, kind: str) -> tuple[str, str, str]:
    """(notice text, email subject, email body) for one saying. Never the note or the outcome; a request
    for support is named as such only to the wellbeing lead answering it."""
    person, label = follow_up.person.display_name, follow_up.label
    due = timezone.localtime(follow_up.due_at).strftime("%-d %B at %H:%M")
    link = settings.HARBOUR_BASE_URL
    if kind == NoticeKind.OFFER:
        supporter = follow_up.assignee.display_name
        text = f"Your {label.lower()} is due. {supporter} will offer to talk; you can rearrange or decline it."
        body = (f"{text}\n\nIt is your choice: you can say no, ask for another time, or choose someone else, "
                f"without giving a reason.\n\n{link}{MINE}\n")
        return text, f"Your {label.lower()}", body
    if kind == NoticeKind.OVERDUE:
        text = f"{label} with {person} was due {due} and is still open (offered by {follow_up.assignee.display_name})."
        return text, f"Check-in still open: {person}", f"{text}\n\n{link}{BOARD}\n"
    if kind == NoticeKind.REARRANGE:
        text = f"{person} asked to rearrange their {label.lower()}."
        return text, f"{person} asked to rearrange", f"{text}\n\n{link}{BOARD}\n"
    text = f"{label} with {person} is due ({due})."
    return text, f"Check-in due: {person}", f"{text}\n\nOffer it in the way they find easiest.\n\n{link}{BOARD}\n"


def tell(follow_up: FollowUp, recipient: User, kind: str, *, email: bool = True) -> bool:
    """Say one thing to one person about a follow-up, once (in the caller's transaction): a notice in
    Harbour and, for reminders, an email. False if it had already been said."""
    text, subject, body = _words(follow_up, recipient, kind)
    # Once per person, follow-up, kind and due time: asking twice to rearrange the same check-in tells the
    # supporter once; a reschedule makes a new due time.
    said = notices.notify_once(recipient, notice_kind(kind), about_id=follow_up.pk, when=follow_up.due_at,
                               text=text, url=MINE if kind == NoticeKind.OFFER else BOARD)
    if said is None:
        return False
    if email and recipient.email:
        queue_email(recipient, subject, body)
    return True


def queue_email(recipient: User, subject: str, body: str, calendar: str = "", method: str = "",
                urgent: bool = False) -> Email:
    """Put an email in the one outbox, in the caller's transaction, its first attempt queued with it."""
    return outbox.queue(EMAIL_KIND, to=recipient.email, subject=subject, body=body, recipient=recipient,
                        calendar=calendar, calendar_method=method, urgent=urgent)


def email_not_before(email: Email, now: dt.datetime) -> dt.datetime:
    """When one of support's emails may go (the outbox asks, support/apps.py declares it): in office hours,
    unless it is an invitation to a debrief that starts before they open again."""
    return now if email.urgent else next_office_moment(now)
