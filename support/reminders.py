"""Reminders of check-ins, said exactly once, in working hours, and the sweep that finds what a lost task
did not say."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core import worker
from core.errors import Conflict
from core.workdays import add_working_days, in_office_hours, next_office_moment

from .models import (
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    NoticeKind,
    SupportRequest,
    SupportStatus,
)
from .notify import tell
from .policy import (
    FollowUpAction,
    follow_ups,
)
from .services import request_follow_up

# --- reminders, notices and emails ---------------------------------------------------------------------------
# Timed work for staff support: reminders said exactly once, in working hours; emails go by the one outbox
# (core/outbox.py), which sends support's in office hours only (`email_not_before`, declared in apps.py).
#
# When a follow-up falls due its assignee is told, in Harbour and by email; the person gets their one
# message about it; a working day later, if it is still open, the wellbeing leads are told. Nothing goes out
# outside working hours (core/workdays.py): it waits for the next working morning.
#
# Exactly once: each saying is a notice (core/notices.py) whose key (follow-up, kind, due time) is unique
# among the recipient's open notices, and support never closes one: a second is refused, written in the same
# transaction as its email and under the follow-up's row lock, so two workers, a task and the sweep, or a
# task re-run after a crash, say it once. A reschedule is a new due time, so it is said again for the new
# time only; a closed follow-up says nothing.

logger = logging.getLogger("harbour.support")


def follow_up_remind(follow_up_id: int) -> str:
    """Say what is due about one follow-up, once each: to its assignee when it falls due, to the person
    once, and to the wellbeing leads a working day later if it is still open (the `follow_up_due` task)."""
    now = timezone.now()
    if not in_office_hours(now):
        worker.enqueue("support.follow_up_due", follow_up_id, run_after=next_office_moment(now))
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
            leads = follow_ups.holders(FollowUpAction.HEAR_OVERDUE, follow_up).order_by("pk")
            said += ["leads" for lead in leads if tell(follow_up, lead, NoticeKind.OVERDUE)][:1]
            changes["leads_told_for"] = follow_up.due_at
        if changes:
            # Bookkeeping of what was said, not a change to the follow-up: no history row for it.
            FollowUp.objects.filter(pk=follow_up.pk).update(**changes)
    return "told " + ", ".join(said) if said else "already told"


def sweep_due() -> int:
    """Reminders due and not yet said, found from the follow-ups themselves (so one whose task was lost
    is said after all, once). Outside working hours, nothing: it all waits for the morning. (Support's
    emails waiting past their time are the outbox's sweep's, core/outbox.py.)"""
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
            done += follow_up_remind(pk).startswith("told")
        except Exception:  # one follow-up's failure must not hold up the others; the next sweep tries again
            logger.exception("Reminding follow-up %s failed.", pk)
    # A request for support made when there was no wellbeing lead to take it, once there is one.
    waiting = SupportRequest.objects.filter(follow_up__isnull=True).exclude(status=SupportStatus.CLOSED)
    for request in waiting.select_related("person", "incident")[:100]:
        with transaction.atomic():
            if request_follow_up(request, None) is not None:
                done += 1
    return done
