"""The outbox: each email sent once, with retries and backoff, for every wing (one `Email` table, one send
task, one sweep, one admin).

Three steps, and the mail server is spoken to in none of the transactions: claim the email (a short
transaction), send it holding no lock, then record what happened (another short transaction). A slow or
hanging SMTP server delays only this email, never a person's release or another worker. A claim lapses
after HARBOUR_EMAIL_CLAIM_SECONDS, so an email whose worker was killed mid-send is tried again.

An email that cannot be sent at all (the mail system refuses to build it: a header with a line break in it,
say) fails at once, without retries; one the mail server keeps refusing fails after
HARBOUR_EMAIL_MAX_ATTEMPTS. Either way it fails once, in the transaction that records it, and its kind's
`failed` step (the wing's: who must be told) runs then, under the email's row lock: several workers or a
sweep cannot say it twice.

A wing declares each kind of email it writes (`declare`, from its AppConfig.ready()) with the steps that
are its own: when the email may go (office hours), what follows each try (a broadcast), who is told when it
fails for good. It writes emails with `queue` or `queue_many`, in its own transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import BadHeaderError, EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import worker
from core.models import Email, EmailState

PENDING, SENDING, SENT, FAILED = EmailState.values
SEND = "core.send_email"  # the one send task's name (core/tasks.py)

# --- what a wing declares ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A kind of email and its wing's steps: `not_before(email, now)` is the earliest it may go (now if it
    may); `after(email)` runs in the transaction that records each try; `failed(email)` runs there when it
    fails for good, once."""

    name: str
    not_before: Callable[[Email, dt.datetime], dt.datetime] | None = None
    after: Callable[[Email], None] | None = None
    failed: Callable[[Email], None] | None = None


_KINDS: dict[str, Kind] = {}


def declare(name: str, *, not_before=None, after=None, failed=None) -> None:
    """A wing's kind of email ("comms.delivery"); declared twice differently is a mistake."""
    kind = Kind(name, not_before, after, failed)
    if _KINDS.get(name, kind) != kind:
        raise ImproperlyConfigured(f"Two kinds of email are declared as {name!r}.")
    _KINDS[name] = kind


def kind_of(email: Email) -> Kind:
    return _KINDS.get(email.kind) or Kind(email.kind)


# --- writing emails ------------------------------------------------------------------------------------------


def queue(kind: str, *, to: str, subject: str, body: str, **fields) -> Email:
    """Put one email in the outbox in the caller's transaction, its first attempt queued with it."""
    return queue_many([Email(kind=kind, to=to, subject=subject, body=body, **fields)])[0]


def queue_many(emails: Iterable[Email]) -> list[Email]:
    """Put these emails in the outbox in the caller's transaction, each one's first attempt queued with it.
    A subject is one line of at most 300 characters, whatever it was made from: an email must be sendable."""
    emails = list(emails)
    for email in emails:
        if email.kind not in _KINDS:
            raise ImproperlyConfigured(f"No kind of email is declared as {email.kind!r}.")
        email.subject = " ".join(email.subject.split())[:300]
    created = Email.objects.bulk_create(emails)
    if created and created[0].pk is None:  # a backend that cannot return ids from a bulk insert
        raise ImproperlyConfigured("The database must return the ids of emails it inserts.")
    for email in created:
        worker.enqueue(SEND, email.pk)
    return created


def retry(email: Email) -> None:
    worker.enqueue(SEND, email.pk, run_after=email.next_attempt_at)


# --- sending -------------------------------------------------------------------------------------------------


def message_of(email: Email) -> EmailMessage:
    """The Django email for an outbox email: with its calendar invitation, if it carries one."""
    if email.calendar:
        return email_with_calendar(email.calendar, email.calendar_method, to=[email.to], subject=email.subject,
                                   body=email.body)
    return EmailMessage(subject=email.subject, body=email.body, to=[email.to])


def can_be_made(email: Email) -> bool:
    """Could this email be made into a message at all? (Sending one that cannot would fail every time.)"""
    try:
        message_of(email).message()
    except Exception:  # noqa: BLE001 - whatever stops it being made stops it every time
        return False
    return True


CALENDAR_METHODS = ("REQUEST", "CANCEL")
ICS_FILENAME = "invite.ics"
ICS_ATTACHMENT_TYPE = "application/ics"


def email_with_calendar(
    ics: bytes | str, method: str, *, to: list[str], subject: str, body: str, from_email: str | None = None,
) -> EmailMultiAlternatives:
    """An email carrying a calendar already made (the outbox keeps the invitation as it was when queued,
    so a retry sends the same SEQUENCE): the calendar as an alternative part and as invite.ics."""
    if method not in CALENDAR_METHODS:
        raise ValueError(f"The calendar method must be one of {', '.join(sorted(CALENDAR_METHODS))}; got {method!r}.")
    ics = ics.encode("utf-8") if isinstance(ics, str) else ics
    message = EmailMultiAlternatives(subject=subject, body=body, from_email=from_email, to=list(to))
    # Django (5.2) adds charset="utf-8" to every text/* part itself; naming the charset here as
    # well gives the part two charset parameters, which is malformed MIME. The header sent is
    # therefore: text/calendar; method="REQUEST"; charset="utf-8" (quoting is equivalent).
    message.attach_alternative(ics.decode("utf-8"), f"text/calendar; method={method}")
    message.attach(ICS_FILENAME, ics, ICS_ATTACHMENT_TYPE)
    return message


def send_attempt(email_id: int) -> str:
    """One attempt to send one email (the send task): claimed, sent holding no lock, recorded; on failure
    tried again later with backoff, and failed for good its kind's people are told."""
    email = claim(email_id)
    if isinstance(email, str):
        return email
    try:
        message = message_of(email)
        message.message()  # the MIME message: what the mail system cannot carry is refused here, for good
    except Exception as error:  # noqa: BLE001 - whatever the reason, no retry can make this email
        return record(email, unsendable(error), final=True)
    try:
        message.send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 - any transport failure is retried, then reported
        return record(email, f"{type(error).__name__}: {error}")
    return record(email, None)


def unsendable(error: Exception) -> str:
    """Why an email could not be made at all, in words a person can act on."""
    if isinstance(error, BadHeaderError):
        header = str(error).rsplit("for header ", 1)[-1].strip("'\"() ") if "for header" in str(error) else "header"
        return (f"It could not be sent: its {header.lower()} has a line break in it, which an email cannot carry. "
                "Send a corrected message.")
    return f"It could not be made into an email ({type(error).__name__}: {error}). Sending it again will not help."


def claim(email_id: int) -> Email | str:
    """Mark the email as being sent by this worker, or say why not ("moved on", "not yet", "waits")."""
    now = timezone.now()
    with transaction.atomic():
        email = Email.objects.select_for_update(of=("self",)).filter(pk=email_id).first()
        if email is None:
            return "moved on"
        claim_lapsed = email.state == SENDING and (email.next_attempt_at or now) <= now
        if email.state != PENDING and not claim_lapsed:
            return "moved on"
        if email.state == PENDING and email.next_attempt_at and email.next_attempt_at > now:
            return "not yet"
        not_before = kind_of(email).not_before
        allowed = not_before(email, now) if not_before else now
        if allowed > now:
            email.state, email.next_attempt_at = PENDING, allowed
            email.save(update_fields=["state", "next_attempt_at"])
            retry(email)
            return "waits"
        email.state = SENDING
        email.attempts += 1
        email.next_attempt_at = now + dt.timedelta(seconds=settings.HARBOUR_EMAIL_CLAIM_SECONDS)
        email.save(update_fields=["state", "attempts", "next_attempt_at"])
    return email


def record(email: Email, error: str | None, *, final: bool = False) -> str:
    """Record a send: sent, or failed for now (tried again with backoff), or failed for good (`final`:
    at once, as an email that cannot be made is)."""
    with transaction.atomic():
        email = Email.objects.select_for_update(of=("self",)).get(pk=email.pk)
        if email.state != SENDING:
            return "moved on"
        if error is None:
            email.state, email.sent_at, email.last_error, email.next_attempt_at = SENT, timezone.now(), "", None
        else:
            if final or email.attempts >= settings.HARBOUR_EMAIL_MAX_ATTEMPTS:
                if not final:
                    error = f"Not sent after {email.attempts} tries. The mail server's last answer: {error}"
                email.state, email.next_attempt_at = FAILED, None
            else:
                delay = settings.HARBOUR_EMAIL_RETRY_SECONDS * (2 ** (email.attempts - 1))
                email.state, email.next_attempt_at = PENDING, timezone.now() + dt.timedelta(seconds=delay)
                retry(email)
            email.last_error = error[: Email._meta.get_field("last_error").max_length]
        email.save()
        kind = kind_of(email)
        if kind.after:
            kind.after(email)
        if kind.failed and email.state == FAILED:
            kind.failed(email)
    return email.state


def try_again(emails: list[Email]) -> None:
    """Put emails that failed back in the outbox, to be tried afresh (the caller holds their rows)."""
    for email in emails:
        email.state, email.attempts, email.next_attempt_at = PENDING, 0, None
    Email.objects.bulk_update(emails, ["state", "attempts", "next_attempt_at"])
    for email in emails:
        worker.enqueue(SEND, email.pk)


def due(now: dt.datetime) -> list[int]:
    """Emails waiting past their retry time, or whose sender's claim lapsed, or never tried a sweep's
    time after they were written, and with no run of the send task queued or running for them (their
    task was lost): for the sweep to hand on. An email whose task is merely waiting its turn behind a
    thousand others is left to it."""
    stale = now - dt.timedelta(seconds=settings.HARBOUR_SWEEP_SECONDS)
    candidates = list(Email.objects.filter(
        Q(state=PENDING, next_attempt_at__lte=now)
        | Q(state=PENDING, next_attempt_at__isnull=True, created_at__lte=stale)
        | Q(state=SENDING, next_attempt_at__lte=now)
    ).values_list("pk", flat=True))
    if not candidates:
        return []
    queued = worker.waiting(worker.task_named(SEND))
    return [pk for pk in candidates if pk not in queued]


def sweep_due() -> int:
    """The outbox's part of each sweep: emails whose task was lost, or whose retry or claim is past its
    time, are handed to the send task again (sending is the task's work: a slow mail server must not
    hold up the rest of the sweep)."""
    handed = due(timezone.now())
    for pk in handed:
        worker.enqueue(SEND, pk)
    return len(handed)
