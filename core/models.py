"""The ground floor's two tables every wing writes to: the outbox (`Email`) and what Harbour told a person
in Harbour (`Notice`). A wing names what a row is about by a kind it declares ("comms.delivery",
"support.due") and the id of its object, so the ground floor knows no wing's models."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class EmailState(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENDING = "sending", "Sending"  # claimed by a worker, which holds no lock while the mail server answers
    SENT = "sent", "Sent"
    FAILED = "failed", "Could not be sent"


class Email(models.Model):
    """One email to one address: what to send, and how sending it has gone (core/outbox.py sends it).

    `kind` is the wing's name for what the email is ("comms.delivery": one of a released message's
    deliveries; "comms.notice": an email to staff about a message; "support", "clocks") and chooses the
    steps its wing declared: when it may go, what happens after a try, who is told when it fails for good.
    `about_id` is the wing's object the email is about (the message), where it matters to the wing."""

    kind = models.CharField(max_length=40)
    about_id = models.PositiveBigIntegerField(null=True, blank=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    calendar = models.TextField(blank=True, help_text="An iCalendar invitation, sent with the email.")
    calendar_method = models.CharField(max_length=8, blank=True)
    # Sent even when its wing keeps office hours: an invitation to a debrief that starts before they open.
    urgent = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=EmailState.choices, default=EmailState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The sweep: "emails waiting past their time".
            models.Index(fields=["state", "next_attempt_at"], name="email_due"),
            # A wing's "the emails of this message".
            models.Index(fields=["kind", "about_id"], name="email_about"),
        ]

    def __str__(self) -> str:
        return f"Email {self.pk} to {self.to}"

    @property
    def is_sent(self) -> bool:
        return self.state == EmailState.SENT


class Notice(models.Model):
    """Something Harbour told one person, in Harbour: a reminder of a clock, a check-in due, a message that
    could not be delivered. `key` says what it is about and for which occasion ("support.due:12@1763461800":
    follow-up 12, for that due time); one open notice per person and key is what makes each thing be said
    once, however many workers find it due (core/notices.py `notify_once`). Seeing a notice does not free
    its key; closing it does (the matter is over: a later occasion of the same key is told afresh)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=120)
    about_id = models.PositiveBigIntegerField(null=True, blank=True)
    text = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], condition=Q(closed_at__isnull=True),
                                    name="notice_once"),
        ]
        indexes = [
            # A person's notices, newest first (My support, Now).
            models.Index(fields=["recipient", "kind", "-created_at"], name="notice_by_person"),
            # A wing's "the notices about this message".
            models.Index(fields=["kind", "about_id"], name="notice_about"),
        ]

    def __str__(self) -> str:
        return f"Notice {self.pk}"
