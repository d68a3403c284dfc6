"""Staff support. Wellbeing records are special category (health) data: they hold outcomes, never
narratives, and are seen only by the person, the person supporting them and the wellbeing leads."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from incidents.models import Incident


class SupportSource(models.TextChoices):
    BRIEFING = "briefing", "Asked when acknowledging a briefing"


class SupportStatus(models.TextChoices):
    OPEN = "open", "Waiting for contact"
    IN_TOUCH = "in_touch", "In touch"
    CLOSED = "closed", "Closed"


class SupportRequest(models.Model):
    """Someone asked to talk to someone. Opt-in: it exists only because the person asked."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_requests")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="support_requests")
    source = models.CharField(max_length=16, choices=SupportSource.choices)
    message = models.ForeignKey(
        "comms.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="support_requests"
    )
    status = models.CharField(max_length=16, choices=SupportStatus.choices, default=SupportStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Ticking the box twice on one briefing is still one request.
            models.UniqueConstraint(fields=["person", "message"], name="one_request_per_briefing"),
        ]

    def __str__(self) -> str:
        return f"Support request {self.pk}"
