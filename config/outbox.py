"""An outbox that sends each email once, with retries and backoff: the steps both wings' outboxes share
(comms.OutboundEmail, support.SupportEmail).

Three steps, and the mail server is spoken to in none of the transactions: claim the email (a short
transaction), send it holding no lock, then record what happened (another short transaction). A slow or
hanging SMTP server delays only this email, never a person's release or another worker. A claim lapses
after HARBOUR_EMAIL_CLAIM_SECONDS, so an email whose worker was killed mid-send is tried again.

An outbox's model extends `OutboxEmail`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone


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
) -> str:
    """One attempt to send one email. `build(email)` makes the Django EmailMessage; `retry(email)` enqueues
    the next attempt at `email.next_attempt_at`; `after(email)` runs inside the recording transaction (a
    broadcast, say); `not_before(email, now)` is the earliest it may go (office hours), now if it may."""
    email = claim(model, email_id, not_before=not_before, retry=retry)
    if isinstance(email, str):
        return email
    try:
        build(email).send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 - any transport failure is retried, then reported
        return record(model, email, f"{type(error).__name__}: {error}", retry=retry, after=after)
    return record(model, email, None, retry=retry, after=after)


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


def record(model, email, error: str | None, *, retry, after=None) -> str:
    """Record a send: sent, or failed for now (tried again with backoff), or failed for good."""
    with transaction.atomic():
        email = model.objects.select_for_update(of=("self",)).get(pk=email.pk)
        if email.state != SENDING:
            return "moved on"
        if error is None:
            email.state, email.sent_at, email.last_error, email.next_attempt_at = SENT, timezone.now(), "", None
        else:
            email.last_error = error[: model._meta.get_field("last_error").max_length]
            if email.attempts >= settings.HARBOUR_EMAIL_MAX_ATTEMPTS:
                email.state, email.next_attempt_at = FAILED, None
            else:
                delay = settings.HARBOUR_EMAIL_RETRY_SECONDS * (2 ** (email.attempts - 1))
                email.state, email.next_attempt_at = PENDING, timezone.now() + dt.timedelta(seconds=delay)
                retry(email)
        email.save()
        if after:
            after(email)
    return email.state


def due(model, now: dt.datetime, send_task) -> list[int]:
    """Emails waiting past their retry time, or whose sender's claim lapsed, or never tried a sweep's
    time after they were written, and with no run of `send_task` queued or running for them (their task
    was lost): for the sweep to hand on. An email whose task is merely waiting its turn behind a
    thousand others is left to it."""
    from django.db.models import Q

    from config.worker import waiting

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
