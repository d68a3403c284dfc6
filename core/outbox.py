"""An outbox that sends each email once, with retries and backoff: the steps both wings' outboxes share
(comms.OutboundEmail, support.SupportEmail).

Three steps, and the mail server is spoken to in none of the transactions: claim the email (a short
transaction), send it holding no lock, then record what happened (another short transaction). A slow or
hanging SMTP server delays only this email, never a person's release or another worker. A claim lapses
after HARBOUR_EMAIL_CLAIM_SECONDS, so an email whose worker was killed mid-send is tried again.

An email that cannot be sent at all (the mail system refuses to build it: a header with a line break in it,
say) fails at once, without retries; one the mail server keeps refusing fails after
HARBOUR_EMAIL_MAX_ATTEMPTS. Either way it fails once, in the transaction that records it, and the outbox's
`failed` step (the wing's: who must be told) runs then, under the email's row lock: several workers or a
sweep cannot say it twice.

An outbox's model extends `OutboxEmail`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from core.worker import waiting


class EmailState(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENDING = "sending", "Sending"  # claimed by a worker, which holds no lock while the mail server answers
    SENT = "sent", "Sent"
    FAILED = "failed", "Could not be sent"


PENDING, SENDING, SENT, FAILED = EmailState.values


class OutboxEmail(models.Model):
    """One email to one address, as an outbox keeps it: what to send, and how sending it has gone."""

    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    state = models.CharField(max_length=16, choices=EmailState.choices, default=EmailState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["id"]

    @property
    def is_sent(self) -> bool:
        return self.state == EmailState.SENT


def send_attempt(
    model, email_id: int, *, build: Callable[[Any], Any], retry: Callable[[Any], None],
    after: Callable[[Any], None] | None = None, not_before: Callable[[Any, dt.datetime], dt.datetime] | None = None,
    failed: Callable[[Any], None] | None = None,
) -> str:
    """One attempt to send one email. `build(email)` makes the Django EmailMessage; `retry(email)` enqueues
    the next attempt at `email.next_attempt_at`; `after(email)` runs inside the recording transaction (a
    broadcast, say); `not_before(email, now)` is the earliest it may go (office hours), now if it may;
    `failed(email)` runs inside the recording transaction when the email fails for good, once."""
    email = claim(model, email_id, not_before=not_before, retry=retry)
    if isinstance(email, str):
        return email
    try:
        message = build(email)
        message.message()  # the MIME message: what the mail system cannot carry is refused here, for good
    except Exception as error:  # noqa: BLE001 - whatever the reason, no retry can make this email
        return record(model, email, unsendable(error), retry=retry, after=after, failed=failed, final=True)
    try:
        message.send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 - any transport failure is retried, then reported
        return record(model, email, f"{type(error).__name__}: {error}", retry=retry, after=after, failed=failed)
    return record(model, email, None, retry=retry, after=after, failed=failed)


def unsendable(error: Exception) -> str:
    """Why an email could not be made at all, in words a person can act on."""
    from django.core.mail import BadHeaderError

    if isinstance(error, BadHeaderError):
        header = str(error).rsplit("for header ", 1)[-1].strip("'\"() ") if "for header" in str(error) else "header"
        return (f"It could not be sent: its {header.lower()} has a line break in it, which an email cannot carry. "
                "Send a corrected message.")
    return f"It could not be made into an email ({type(error).__name__}: {error}). Sending it again will not help."


def claim(model, email_id: int, *, not_before=None, retry=None):
    """Mark the email as being sent by this worker, or say why not ("moved on", "not yet", "waits")."""
    now = timezone.now()
    with transaction.atomic():
        email = model.objects.select_for_update(of=("self",)).filter(pk=email_id).first()
        if email is None:
            return "moved on"
        claim_lapsed = email.state == SENDING and (email.next_attempt_at or now) <= now
        if email.state != PENDING and not claim_lapsed:
            return "moved on"
        if email.state == PENDING and email.next_attempt_at and email.next_attempt_at > now:
            return "not yet"
        allowed = not_before(email, now) if not_before else now
        if allowed > now:
            email.state, email.next_attempt_at = PENDING, allowed
            email.save(update_fields=["state", "next_attempt_at"])
            if retry:
                retry(email)
            return "waits"
        email.state = SENDING
        email.attempts += 1
        email.next_attempt_at = now + dt.timedelta(seconds=settings.HARBOUR_EMAIL_CLAIM_SECONDS)
        email.save(update_fields=["state", "attempts", "next_attempt_at"])
    return email


def record(model, email, error: str | None, *, retry, after=None, failed=None, final: bool = False) -> str:
    """Record a send: sent, or failed for now (tried again with backoff), or failed for good (`final`:
    at once, as an email that cannot be made is)."""
    with transaction.atomic():
        email = model.objects.select_for_update(of=("self",)).get(pk=email.pk)
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
            email.last_error = error[: model._meta.get_field("last_error").max_length]
        email.save()
        if after:
            after(email)
        if failed and email.state == FAILED:
            failed(email)
    return email.state


def due(model, now: dt.datetime, send_task) -> list[int]:
    """Emails waiting past their retry time, or whose sender's claim lapsed, or never tried a sweep's
    time after they were written, and with no run of `send_task` queued or running for them (their task
    was lost): for the sweep to hand on. An email whose task is merely waiting its turn behind a
    thousand others is left to it."""
    from django.db.models import Q

    stale = now - dt.timedelta(seconds=settings.HARBOUR_SWEEP_SECONDS)
    candidates = list(model.objects.filter(
        Q(state=PENDING, next_attempt_at__lte=now)
        | Q(state=PENDING, next_attempt_at__isnull=True, created_at__lte=stale)
        | Q(state=SENDING, next_attempt_at__lte=now)
    ).values_list("pk", flat=True))
    if not candidates:
        return []
    queued = waiting(send_task)
    return [pk for pk in candidates if pk not in queued]
