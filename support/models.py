"""Staff support. Wellbeing records are special category (health) data: they hold outcomes, never
narratives, and are seen only by the person, the person supporting them and the wellbeing leads."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from core.text import copy_of, one_line, prose
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


# --- the exposure register, plans and follow-ups ---------------------------------------------------------


class Exposure(models.TextChoices):
    DIRECTLY_INVOLVED = "directly_involved", "Directly involved"
    WITNESSED = "witnessed", "Witnessed it"
    INFORMED_FAMILY = "informed_family", "Told the family"
    ALLOCATED_WORKER = "allocated_worker", "Allocated worker"
    TEAM_COLLEAGUE = "team_colleague", "Colleague in the team"
    SUPPORTING_ROLE = "supporting_role", "In a supporting role"
    MEDIA_HANDLING = "media_handling", "Handling the media"
    OTHER = "other", "Other"


class SupporterKind(models.TextChoices):
    LINE_MANAGER = "line_manager", "Line manager"
    WELLBEING_LEAD = "wellbeing_lead", "Wellbeing lead"
    PEER_SUPPORTER = "peer_supporter", "Peer supporter"
    COLLEAGUE = "colleague", "A colleague they chose"


class AffectedPerson(models.Model):
    """One person on an incident's exposure register: who was affected and how. Being on it is not being
    a member of the incident; it is what brings their check-ins. A request for support made from a briefing
    never puts anyone here."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="affected_staff")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exposures")
    exposure = models.CharField(max_length=24, choices=Exposure.choices)
    reason = models.CharField(max_length=500, validators=[prose], help_text="Why they are on the register.")
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    supporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supporting")
    supporter_kind = models.CharField(max_length=16, choices=SupporterKind.choices)
    declined_all_at = models.DateTimeField(
        null=True, blank=True, help_text="When the person declined every check-in still to come (a choice, not a failure).")

    history = HistoricalRecords()

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = "person on the exposure register"
        verbose_name_plural = "people on the exposure register"
        constraints = [models.UniqueConstraint(fields=["incident", "person"], name="one_register_entry_per_person")]

    def __str__(self) -> str:
        return f"Register entry {self.pk}"


class StepUnit(models.TextChoices):
    HOURS = "hours", "hours"
    DAYS = "days", "days"
    MONTHS = "months", "months"


class SupportPlan(models.Model):
    """The check-ins offered to everyone added to a register. Wellbeing leads edit it in the admin; the
    default plan is the one used."""

    name = models.CharField(max_length=120, validators=[one_line])
    is_default = models.BooleanField(default=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="one_default_plan"),
        ]

    def __str__(self) -> str:
        return self.name


class PlanStep(models.Model):
    """One check-in of a plan, a time after the organisation became aware (or after adding, if later)."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="steps")
    # A check-in's name, as its follow-ups carry it: in an email's subject line, so one line.
    label = models.CharField(max_length=120, validators=[one_line])
    amount = models.PositiveIntegerField()
    unit = models.CharField(max_length=8, choices=StepUnit.choices)

    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "unit", "amount", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=1), name="plan_step_after_something")]

    def __str__(self) -> str:
        return f"{self.label} ({self.amount} {self.unit})"


class FollowUpKind(models.TextChoices):
    CHECK_IN = "check_in", "Check-in"
    TRIGGER = "trigger", "Check-in before a trigger date"
    SUPPORT_REQUEST = "support_request", "Asked to talk to someone"


class FollowUpStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined (their choice)"
    CANCELLED = "cancelled", "Cancelled"


class Outcome(models.TextChoices):
    OK = "ok", "Doing OK"
    SUPPORT_OFFERED = "support_offered", "Support offered"
    REFERRED_EAP = "referred_eap", "Referred to the employee assistance programme"
    REFERRED_OCCUPATIONAL_HEALTH = "referred_occupational_health", "Referred to occupational health"
    REFERRED_GP_OR_NHS = "referred_gp_or_nhs", "Referred to their GP or NHS Talking Therapies"
    REFERRED_CLINICAL = "referred_clinical", "Referred for clinical support"
    OTHER = "other", "Other"


class FollowUp(models.Model):
    """A check-in offered to one person, due at a time, with the person who will offer it (the assignee).
    Outcomes and notes are health data: the person, the assignee and the wellbeing leads see them, nobody
    else. Overdue is worked out from `due_at`, never stored."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="follow_ups")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_ups")
    # Empty for a request for support: asking does not put anyone on the register, and their line manager
    # (who sees the register's follow-ups by way of it) never learns of it.
    affected = models.ForeignKey(
        AffectedPerson, null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups")
    request = models.OneToOneField(
        SupportRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="follow_up")
    kind = models.CharField(max_length=16, choices=FollowUpKind.choices)
    label = copy_of(PlanStep, "label")
    due_at = models.DateTimeField()
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assigned_follow_ups")
    status = models.CharField(max_length=16, choices=FollowUpStatus.choices, default=FollowUpStatus.SCHEDULED)
    outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True)
    # Outcomes and next steps, not an account of what was said: short on purpose.
    note = models.TextField(max_length=4_000, blank=True, validators=[prose],
                            help_text="Private: the person, their supporter and the wellbeing leads.")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rearrange_requested_at = models.DateTimeField(null=True, blank=True)
    # What has been said, so each is said once: the due time the assignee and the wellbeing leads were
    # told about (a reschedule makes a new one), and whether the person has had their one message.
    assignee_told_for = models.DateTimeField(null=True, blank=True)
    leads_told_for = models.DateTimeField(null=True, blank=True)
    person_told_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = "follow-up"
        verbose_name_plural = "follow-ups"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="completed") | ~models.Q(outcome=""), name="completed_has_outcome"),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="follow_up_status_due"),
            models.Index(fields=["assignee", "status", "due_at"], name="follow_up_assignee_due"),
        ]

    def __str__(self) -> str:
        return f"Follow-up {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == FollowUpStatus.SCHEDULED

    @property
    def is_declined(self) -> bool:
        return self.status == FollowUpStatus.DECLINED

    @property
    def is_support_request(self) -> bool:
        return self.kind == FollowUpKind.SUPPORT_REQUEST


# A reason kept only as the audit history's change reason (a check-in moved, handed over or cancelled) is as
# long as simple-history keeps one.
AUDIT_REASON = (FollowUp.history.model, "history_change_reason")


class NoticeKind(models.TextChoices):
    DUE = "due", "A check-in you offer is due"
    OVERDUE = "overdue", "A check-in is a working day overdue"
    OFFER = "offer", "Your check-in"
    REARRANGE = "rearrange", "Asked for another time"


def notice_kind(kind: str) -> str:
    """The kind of one of support's notices in the one notice table (core.models.Notice): "support.due".
    A notice is about a follow-up (its `about_id`) and for one due time (its key, core/notices.py): one per
    person, follow-up, kind and due time, so a reminder is said exactly once however many workers find it
    due. Support never closes one, so seeing it does not let it be said again."""
    return f"support.{kind}"


# Every kind of notice support writes: My support's list, the header's unread count.
NOTICE_KINDS = tuple(notice_kind(kind) for kind in NoticeKind.values)

# Support's emails in the one outbox (core.models.Email): reminders and debrief invitations, sent by the
# worker with retries, in office hours only unless urgent (support/apps.py declares it). Never carries a
# note or an outcome.
EMAIL_KIND = "support"


# --- debriefs ---------------------------------------------------------------------------------------------


class DebriefKind(models.TextChoices):
    HOT = "hot", "Hot debrief (same day: welfare and practical needs, no retelling)"
    PLANNING = "planning", "Support planning meeting (24–48 hours: who is affected)"
    COLD = "cold", "Cold debrief (1–2 weeks: learning, never an investigation)"


class DebriefStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class Debrief(models.Model):
    """A debrief meeting. Invitations go by email with a calendar invitation whose UID stays the same for
    the debrief's life; each change raises `sequence`."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="debriefs")
    kind = models.CharField(max_length=16, choices=DebriefKind.choices)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField()
    # In the calendar invitation's LOCATION and the email: one line.
    location = models.CharField(max_length=300, validators=[one_line], help_text="A room or a link.")
    facilitator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="facilitating")
    status = models.CharField(max_length=16, choices=DebriefStatus.choices, default=DebriefStatus.SCHEDULED)
    cancel_reason = copy_of(AffectedPerson, "reason", blank=True, help_text="")
    sequence = models.PositiveIntegerField(default=0)
    learning_notes = copy_of(FollowUp, "note", help_text="A cold debrief's learning, for the incident; never wellbeing.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["facilitator", "starts_at"], name="debrief_facilitator_start")]

    def __str__(self) -> str:
        return f"Debrief {self.pk}"

    @property
    def is_scheduled(self) -> bool:
        return self.status == DebriefStatus.SCHEDULED

    @property
    def ends_at(self):
        import datetime as dt

        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)


class Rsvp(models.TextChoices):
    PENDING = "pending", "Not answered"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    TENTATIVE = "tentative", "Tentative"


class DebriefInvitee(models.Model):
    debrief = models.ForeignKey(Debrief, on_delete=models.CASCADE, related_name="invitees")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="debrief_invitations")
    response = models.CharField(max_length=16, choices=Rsvp.choices, default=Rsvp.PENDING)
    responded_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["debrief", "id"]
        constraints = [models.UniqueConstraint(fields=["debrief", "person"], name="one_invitation_each")]

    def __str__(self) -> str:
        return f"Invitation {self.pk}"


class SupportEvent(models.TextChoices):
    """What staff support writes on an incident's timeline: its debriefs, which are the team's. Nothing
    about one person's support (being put on the register, a check-in had): the timeline is every member's,
    and an event for each would count what the small-count rule withholds (support/services.py)."""

    DEBRIEF_SCHEDULED = "support.debrief_scheduled", "Debrief scheduled"
    DEBRIEF_CHANGED = "support.debrief_changed", "Debrief changed"
    DEBRIEF_CANCELLED = "support.debrief_cancelled", "Debrief cancelled"
    DEBRIEF_LEARNING = "support.debrief_learning", "Learning from a cold debrief"
