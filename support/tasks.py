"""Timed work for staff support: reminders said exactly once, in working hours, and the outbox.

When a follow-up falls due its assignee is told, in Harbour and by email; the person gets their one
message about it; a working day later, if it is still open, the wellbeing leads are told. Nothing goes out
outside working hours (core/workdays.py): it waits for the next working morning.

Exactly once: each saying is a `SupportNotice` row whose unique constraint (recipient, follow-up, kind, due
time) refuses a second, written in the same transaction as its email and under the follow-up's row lock, so
two workers, a task and the sweep, or a task re-run after a crash, say it once. A reschedule is a new due
time, so it is said again for the new time only; a closed follow-up says nothing.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from core import outbox
from core.errors import Conflict
from core.workdays import add_working_days, in_office_hours, next_office_moment
from incidents.models import OrgRole, User

from .models import FollowUp, FollowUpKind, FollowUpStatus, NoticeKind, SupportEmail, SupportNotice
from .policy import FollowUpAction, follow_ups

logger = logging.getLogger("harbour.support")
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
    try:
        with transaction.atomic():
            # Once per person, follow-up, kind and due time: asking twice to rearrange the same check-in
            # tells the supporter once; a reschedule makes a new due time.
            SupportNotice.objects.create(recipient=recipient, follow_up=follow_up, kind=kind,
                                         for_due_at=follow_up.due_at, text=text[:300],
                                         url=MINE if kind == NoticeKind.OFFER else BOARD)
    except IntegrityError:
        return False
    if email and recipient.email:
        queue_email(recipient, subject, body)
    return True


def queue_email(recipient: User, subject: str, body: str, calendar: str = "", method: str = "",
                urgent: bool = False) -> SupportEmail:
    """Put an email in the outbox; its first attempt is enqueued after commit."""
    email = SupportEmail.objects.create(recipient=recipient, to=recipient.email, subject=subject[:300], body=body,
                                        calendar=calendar, calendar_method=method, urgent=urgent)
    transaction.on_commit(lambda: send_support_email.enqueue(email.pk))
    return email


@task()
def follow_up_due(follow_up_id: int) -> str:
    """Say what is due about one follow-up, once each: to its assignee when it falls due, to the person
    once, and to the wellbeing leads a working day later if it is still open."""
    now = timezone.now()
    if not in_office_hours(now):
        follow_up_due.using(run_after=next_office_moment(now)).enqueue(follow_up_id)
        return "waits"
    with transaction.atomic():
        follow_up = (FollowUp.objects.select_for_update(of=("self",))
                     .select_related("person", "assignee", "affected").filter(pk=follow_up_id).first())
        if follow_up is None:
            return "gone"
        try:
            follow_ups.check(None, FollowUpAction.REMIND, follow_up)
        except Conflict:
            return "closed"
        if follow_up.due_at > now:
            return "not yet"
        said, changes = [], {}
        if follow_up.assignee_told_for != follow_up.due_at:
            if tell(follow_up, follow_up.assignee, NoticeKind.DUE):
                said.append("assignee")
            changes["assignee_told_for"] = follow_up.due_at
        if follow_up.person_told_at is None and follow_up.kind != FollowUpKind.SUPPORT_REQUEST:
            if tell(follow_up, follow_up.person, NoticeKind.OFFER):
                said.append("person")
            changes["person_told_at"] = now
        if follow_up.leads_told_for != follow_up.due_at \
                and now >= next_office_moment(add_working_days(follow_up.due_at, 1)):
            leads = User.objects.filter(is_active=True, groups__name=OrgRole.WELLBEING_LEAD).exclude(
                pk=follow_up.person_id)
            if follow_up.is_support_request:  # that they asked is not for their line manager or command
                from .services import command_ids

                leads = leads.exclude(pk__in=[follow_up.person.line_manager_id, *command_ids(follow_up.incident)])
            said += ["leads" for lead in leads if tell(follow_up, lead, NoticeKind.OVERDUE)][:1]
            changes["leads_told_for"] = follow_up.due_at
        if changes:
            # Bookkeeping of what was said, not a change to the follow-up: no history row for it.
            FollowUp.objects.filter(pk=follow_up.pk).update(**changes)
    return "told " + ", ".join(said) if said else "already told"


@task()
def send_support_email(email_id: int) -> str:
    return outbox.send_attempt(SupportEmail, email_id, build=_email_message, retry=_email_retry,
                               not_before=_not_before)


def _not_before(email: SupportEmail, now):
    """Office hours, unless it is an invitation to a debrief that starts before they open again."""
    return now if email.urgent else next_office_moment(now)


def _email_message(email: SupportEmail):
    if email.calendar:
        from .calendar import email_with_calendar

        return email_with_calendar(email.calendar, email.calendar_method, to=[email.to], subject=email.subject,
                                   body=email.body)
    from django.core.mail import EmailMessage

    return EmailMessage(subject=email.subject, body=email.body, to=[email.to])


def _email_retry(email: SupportEmail) -> None:
    send_support_email.using(run_after=email.next_attempt_at).enqueue(email.pk)


def sweep_due() -> int:
    """Reminders due and not yet said, found from the follow-ups themselves (so one whose task was lost
    is said after all, once), and the outbox's emails waiting past their time. Outside working hours,
    nothing: it all waits for the morning."""
    import datetime as dt

    now = timezone.now()
    if not in_office_hours(now):
        return 0
    open_due = FollowUp.objects.filter(status=FollowUpStatus.SCHEDULED, due_at__lte=now)
    untold = open_due.filter(
        Q(assignee_told_for__isnull=True) | ~Q(assignee_told_for=F("due_at"))
        | Q(due_at__lte=now - dt.timedelta(days=1)) & (Q(leads_told_for__isnull=True) | ~Q(leads_told_for=F("due_at")))
    ).values_list("pk", flat=True)
    done = 0
    for pk in untold:
        try:
            done += follow_up_due.call(pk).startswith("told")
        except Exception:  # one follow-up's failure must not hold up the others; the next sweep tries again
            logger.exception("Reminding follow-up %s failed.", pk)
    # A request for support made when there was no wellbeing lead to take it, once there is one.
    from .models import SupportRequest, SupportStatus
    from .services import request_follow_up

    waiting = SupportRequest.objects.filter(follow_up__isnull=True).exclude(status=SupportStatus.CLOSED)
    for request in waiting.select_related("person", "incident")[:100]:
        with transaction.atomic():
            if request_follow_up(request, None) is not None:
                done += 1
    for pk in outbox.due(SupportEmail, now, send_support_email):
        send_support_email.enqueue(pk)
        done += 1
    return done
