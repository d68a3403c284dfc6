"""Timed and background work for incidents (django-tasks, run by `db_worker` or `manage.py serve`).

Tasks re-read the current state and do nothing if it has moved on, so a late or repeated run is harmless.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .models import Decision, EventType, Obligation, TimelineEvent

logger = logging.getLogger("harbour.incidents")


@task()
def decision_review_due(decision_id: int) -> str:
    """When a decision's review time arrives, say so once on the incident's timeline."""
    with transaction.atomic():
        entry = Decision.objects.select_for_update().select_related("incident").filter(pk=decision_id).first()
        if entry is None or entry.review_at is None:
            return "gone"
        if entry.review_at > timezone.now():
            return "not yet"  # enqueued early (clock change); the scheduled run will come
        if entry.corrections.exists():
            return "corrected"  # the correcting entry carries its own review time
        if entry.reviewed_in.filter(corrections__isnull=True).exists():
            return "reviewed"  # reviewed before its time: nothing to remind anyone of
        already = TimelineEvent.objects.filter(
            incident=entry.incident, type=EventType.DECISION_REVIEW_DUE, data__decision=entry.pk
        ).exists()
        if already:
            return "already said"
        from .services import record_event

        record_event(
            incident=entry.incident,
            actor=None,
            type=EventType.DECISION_REVIEW_DUE,
            summary=f"Decision {entry.number} is due for review.",
            data={"decision": entry.pk, "number": entry.number},
        )
    return "said"


def sweep_due() -> int:
    """Review reminders that are due and not yet said, found from the decision log itself, so a reminder
    whose task was lost (a worker killed mid-run, a restart) is still said, once. Returns how many."""
    from django.db.models import CharField, Exists, OuterRef
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Cast

    # The reminder names its decision in its data; compared as text, which PostgreSQL and SQLite share.
    said = TimelineEvent.objects.filter(incident=OuterRef("incident"), type=EventType.DECISION_REVIEW_DUE).annotate(
        decision_key=KeyTextTransform("decision", "data")).filter(decision_key=Cast(OuterRef("pk"), CharField()))
    due = (Decision.objects.filter(review_at__lte=timezone.now())
           .exclude(Exists(Decision.objects.filter(corrects=OuterRef("pk"))))
           .exclude(Exists(Decision.objects.reviews_standing().filter(reviews=OuterRef("pk"))))
           .exclude(Exists(said)).values_list("pk", flat=True))
    return sum(decision_review_due.call(pk) == "said" for pk in due)


# --- statutory clocks --------------------------------------------------------------------------------------
#
# Exactly once: what the worker has said is recorded on the obligation (`due_soon_said_for`, `overdue_said_for`:
# the due time it was said for) under the obligation's row lock, and each person's reminder is a `Reminder`
# row whose unique constraint refuses a second, written in the same transaction as its email. So two
# workers, a task and the sweep, or a task re-run after a crash, say each thing once. A recomputed due time
# is said again, for the new time only; done or not applicable, nothing more is said.
#
# No task is enqueued for a reminder: the sweep (every HARBOUR_SWEEP_SECONDS, a minute by default) finds
# from the obligations themselves what is due and not yet said, through the pending-by-due-time index, so a
# recomputed or completed deadline needs nothing cancelled and a reminder is at most a sweep late.
# Statutory deadlines do not keep office hours: these reminders go when they fall due.

CLOCKS_URL = "/clocks/"


def _people(obligation: Obligation, roles) -> list:
    from .models import Membership

    return [m.user for m in Membership.objects.active().filter(incident_id=obligation.incident_id, role__in=roles,
                                                               user__is_active=True).select_related("user")]


def _remind(obligation: Obligation, recipients, kind: str, text: str) -> int:
    from django.db import IntegrityError

    from .models import Reminder

    told = 0
    for person in {p.pk: p for p in recipients}.values():
        try:
            with transaction.atomic():
                Reminder.objects.create(recipient=person, obligation=obligation, kind=kind,
                                        for_due_at=obligation.due_at, text=text[:300])
        except IntegrityError:
            continue
        told += 1
        if person.email:
            _queue_email(person, f"{obligation.incident.reference}: {text}"[:300],
                         f"{text}\n\n{obligation.basis}\n\n{settings.HARBOUR_BASE_URL}/incidents/"
                         f"{obligation.incident_id}/#clocks\n")
    return told


def _queue_email(recipient, subject: str, body: str) -> None:
    from .models import IncidentEmail

    email = IncidentEmail.objects.create(recipient=recipient, to=recipient.email, subject=subject, body=body)
    transaction.on_commit(lambda: send_incident_email.enqueue(email.pk))


@task()
def obligation_remind(obligation_id: int) -> str:
    """Say what is due about one obligation, once each: one working day before, to the people responsible;
    at its due time, to them again and, as overdue, to the lead and tactical lead."""
    from core.errors import Conflict

    from .models import MemberRole, ReminderKind
    from .policy import ObligationAction, obligations
    from .services import clocks_changed, due_words, record_event

    now = timezone.now()
    with transaction.atomic():
        obligation = (Obligation.objects.select_for_update(of=("self",)).select_related("incident")
                      .filter(pk=obligation_id).first())
        if obligation is None:
            return "gone"
        try:
            obligations.check(None, ObligationAction.REMIND, obligation)
        except Conflict:
            return "closed"
        due = obligation.due_at
        if due is None:
            return "waiting"
        command = (MemberRole.LEAD, MemberRole.TACTICAL_LEAD)
        responsible = _people(obligation, [obligation.responsible_role]) or _people(obligation, command)
        said, changes = [], {}
        ref = obligation.incident.reference
        if due <= now:
            if obligation.overdue_said_for != due:
                when = timezone.localtime(due)
                record_event(incident=obligation.incident, actor=None, type=EventType.OBLIGATION_OVERDUE,
                             summary=f"Overdue: {obligation.title} was due {when:%A %-d %B at %H:%M}.",
                             data={"obligation": obligation.pk, "code": obligation.code})
                leads = _people(obligation, command)
                _remind(obligation, [p for p in responsible if p not in leads], ReminderKind.DUE,
                        f"{obligation.title} ({ref}) was due {when:%-d %B at %H:%M}. Record it when it is done.")
                _remind(obligation, leads, ReminderKind.OVERDUE,
                        f"Overdue: {obligation.title} ({ref}) was due {when:%-d %B at %H:%M}.")
                changes["overdue_said_for"] = due
                changes["due_soon_said_for"] = due  # past its due time, "due soon" is no longer worth saying
                said.append("overdue")
                clocks_changed(obligation.incident)
        elif obligation.remind_at is not None and obligation.remind_at <= now and obligation.due_soon_said_for != due:
            record_event(incident=obligation.incident, actor=None, type=EventType.OBLIGATION_DUE_SOON,
                         summary=f"Due soon: {obligation.title}, {due_words(obligation)}.",
                         data={"obligation": obligation.pk, "code": obligation.code})
            _remind(obligation, responsible, ReminderKind.DUE_SOON,
                    f"{obligation.title} ({ref}) is {due_words(obligation)}.")
            changes["due_soon_said_for"] = due
            said.append("due soon")
        if changes:
            # Bookkeeping of what was said, not a change to the obligation: no history row for it.
            Obligation.objects.filter(pk=obligation.pk).update(**changes)
    return "said " + ", ".join(said) if said else "nothing due"


@task()
def send_incident_email(email_id: int) -> str:
    from core import outbox

    from .models import IncidentEmail

    return outbox.send_attempt(IncidentEmail, email_id, build=_email_message,
                               retry=lambda email: send_incident_email.using(run_after=email.next_attempt_at)
                               .enqueue(email.pk))


def _email_message(email):
    from django.core.mail import EmailMessage

    return EmailMessage(subject=email.subject, body=email.body, to=[email.to])


def sweep_clocks() -> int:
    """Reminders due and not yet said, found from the obligations themselves (so one whose task was lost is
    said after all, once), and the outbox's emails waiting past their time."""
    from django.db.models import F, Q

    from core import outbox

    from .models import IncidentEmail, ObligationStatus

    now = timezone.now()
    unsaid_soon = Q(due_soon_said_for__isnull=True) | ~Q(due_soon_said_for=F("due_at"))
    unsaid_overdue = Q(overdue_said_for__isnull=True) | ~Q(overdue_said_for=F("due_at"))
    due = Obligation.objects.filter(status=ObligationStatus.PENDING, due_at__isnull=False).filter(
        Q(due_at__lte=now) & unsaid_overdue | Q(remind_at__lte=now, due_at__gt=now) & unsaid_soon,
    ).values_list("pk", flat=True)
    done = 0
    for pk in due:
        try:
            done += obligation_remind.call(pk).startswith("said")
        except Exception:  # one obligation's failure must not hold up the others; the next sweep tries again
            logger.exception("Reminding obligation %s failed.", pk)
    for pk in outbox.due(IncidentEmail, now, send_incident_email):
        send_incident_email.enqueue(pk)
        done += 1
    return done
