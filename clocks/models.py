"""Statutory clocks: what each kind of incident obliges the organisation to do and by when (playbooks),
the deadlines an incident has started (obligations), and the need-to-know ladder as climbed.

Models hold data and invariants only; every change goes through clocks/services.py. The tables are the
ones these models had when they lived in the spine (`incidents_obligation` and the rest): the wing moved
out, its rows did not (clocks/migrations/0001_initial.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.text import one_line, prose
from incidents.models import Decision, Incident, IncidentKind, MemberRole


class ClockKind(models.TextChoices):
    """How an obligation's time is counted (core/workdays.py counts it)."""

    WORKING_DAYS = "working_days", "Working days"  # 0: the same working day
    CALENDAR_DAYS = "calendar_days", "Calendar days"
    HOURS = "hours", "Hours"
    WITHOUT_DELAY = "without_delay", "Without delay"  # shown as such; a reminder after `amount` hours


class ClockStart(models.TextChoices):
    AWARE_AT = "aware_at", "When the organisation became aware"
    OCCURRED_AT = "occurred_at", "When the incident happened"
    OBLIGATION = "obligation", "When another obligation is done"
    MEDIA_ENQUIRY = "media_enquiry", "When the first media enquiry is logged"


class Playbook(models.Model):
    """What an incident of one kind obliges the organisation to do, and whom it must tell. Seeded by a data
    migration; administrators edit it in the admin. An incident copies its obligations from the playbook
    when it opens (or changes kind), so a later edit changes new incidents, not the record of old ones."""

    kind = models.CharField(max_length=32, choices=IncidentKind.choices, unique=True)
    title = models.CharField(max_length=200, validators=[one_line])
    history = HistoricalRecords(table_name="incidents_historicalplaybook")

    class Meta:
        db_table = "incidents_playbook"
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.title


class ObligationFields(models.Model):
    """What a playbook says of one obligation, and what an incident's obligation copies from it."""

    position = models.PositiveSmallIntegerField(default=0, help_text="Where it comes in the list.")
    code = models.SlugField(max_length=64, help_text="Stable: reports and the API name it by this.")
    title = models.CharField(max_length=200, validators=[one_line])
    basis = models.TextField(max_length=2_000, validators=[prose], help_text="The statutory or local source, in words.")
    responsible_role = models.CharField(
        max_length=16, choices=MemberRole.choices, default=MemberRole.LEAD,
        help_text="Who is responsible; the incident's lead and tactical lead may always complete it too.")
    clock = models.CharField(max_length=16, choices=ClockKind.choices)
    amount = models.PositiveIntegerField(
        default=0, help_text="How many working days, calendar days or hours; for “without delay”, the hours "
                             "after which a reminder is sent. Working days 0 means the same working day.")
    starts = models.CharField(max_length=16, choices=ClockStart.choices, default=ClockStart.AWARE_AT)
    after = models.SlugField(max_length=64, blank=True,
                             help_text="For a clock that starts when another obligation is done: its code.")
    applies_when = models.CharField(
        max_length=300, blank=True, validators=[one_line],
        help_text="When it applies only in some cases (“Only if the child was looked after”): shown with it, "
                  "so the lead can record that it does not apply.")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title

    @property
    def is_without_delay(self) -> bool:
        """Shown as "without delay", its due time being when the reminder comes."""
        return self.clock == ClockKind.WITHOUT_DELAY


class PlaybookObligation(ObligationFields):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="obligations")
    history = HistoricalRecords(table_name="incidents_historicalplaybookobligation")

    class Meta:
        db_table = "incidents_playbookobligation"
        ordering = ["playbook", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["playbook", "code"], name="playbook_obligation_code_unique"),
            models.CheckConstraint(condition=~Q(responsible_role=MemberRole.OBSERVER),
                                   name="playbook_obligation_not_observer"),
            models.CheckConstraint(condition=Q(starts=ClockStart.OBLIGATION) ^ Q(after=""),
                                   name="playbook_obligation_after_iff_obligation"),
        ]


class PlaybookStep(models.Model):
    """A rung of the need-to-know ladder: someone to be told (the Director, the Chief Executive…)."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="ladder")
    position = models.PositiveSmallIntegerField(default=0)
    code = models.SlugField(max_length=64)
    title = models.CharField(max_length=200, validators=[one_line])
    completes = models.SlugField(
        max_length=64, blank=True,
        help_text="The code of an obligation that telling them fulfils (the Director: director_informed).")
    history = HistoricalRecords(table_name="incidents_historicalplaybookstep")

    class Meta:
        db_table = "incidents_playbookstep"
        ordering = ["playbook", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["playbook", "code"], name="playbook_step_code_unique")]

    def __str__(self) -> str:
        return self.title


class ObligationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    NOT_APPLICABLE = "not_applicable", "Does not apply"


class Obligation(ObligationFields):
    """One deadline an incident has started. Overdue is derived (pending and past `due_at`), never stored."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="obligations")
    started_at = models.DateTimeField(null=True, blank=True, help_text="When its clock started; empty while it waits.")
    due_at = models.DateTimeField(null=True, blank=True)
    remind_at = models.DateTimeField(
        null=True, blank=True, help_text="One working day before it is due, when there is such a day.")
    status = models.CharField(max_length=16, choices=ObligationStatus.choices, default=ObligationStatus.PENDING)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    reference = models.CharField(max_length=200, blank=True, validators=[one_line],
                                 help_text="The notification's number, say.")
    reason = models.TextField(max_length=2_000, blank=True, validators=[prose], help_text="Why it does not apply.")
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 help_text="The decision-log entry that says it does not apply.")
    # Bookkeeping of what the worker has said, for which due time (a recomputed due time is said again).
    due_soon_said_for = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_said_for = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["due_soon_said_for", "overdue_said_for"],
                                table_name="incidents_historicalobligation")

    COLOURS = {ObligationStatus.PENDING: "blue", ObligationStatus.DONE: "green", ObligationStatus.NOT_APPLICABLE: "grey"}

    class Meta:
        db_table = "incidents_obligation"
        ordering = ["incident", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "code"], name="obligation_code_unique"),
            models.CheckConstraint(condition=Q(status__in=ObligationStatus.values), name="obligation_status_valid"),
            models.CheckConstraint(condition=~Q(status=ObligationStatus.DONE) | Q(done_at__isnull=False),
                                   name="obligation_done_has_time"),
        ]
        indexes = [
            # The clocks board and the sweep: "pending obligations, soonest first".
            models.Index(fields=["due_at", "id"], condition=Q(status=ObligationStatus.PENDING),
                         name="obligation_pending_due"),
        ]

    @property
    def is_overdue(self) -> bool:
        return self.status == ObligationStatus.PENDING and self.due_at is not None and self.due_at < timezone.now()

    @property
    def is_pending(self) -> bool:
        return self.status == ObligationStatus.PENDING


class NotifyMethod(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "By phone"
    VIDEO = "video", "By video call"
    EMAIL = "email", "By email"
    MESSAGE = "message", "By message"
    LETTER = "letter", "By letter"


class Notification(models.Model):
    """A rung of the need-to-know ladder climbed: who was told, by whom, when and how. Once per step."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="notifications")
    step = models.SlugField(max_length=64)
    step_title = models.CharField(max_length=200, validators=[one_line])
    person = models.CharField(max_length=200, validators=[one_line], help_text="Who was told, by name and post.")
    method = models.CharField(max_length=16, choices=NotifyMethod.choices)
    at = models.DateTimeField(help_text="When they were told.")
    told_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(table_name="incidents_historicalnotification")

    class Meta:
        db_table = "incidents_notification"
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "step"], name="notification_step_once")]

    def __str__(self) -> str:
        return f"{self.step_title}: {self.person}"


class ReminderKind(models.TextChoices):
    """What a clock's reminder says (each is a core Notice of kind "clocks.<this>": core/notices.py)."""

    DUE_SOON = "due_soon", "Due soon"
    DUE = "due", "Due now"
    OVERDUE = "overdue", "Overdue"


class ClocksEvent(models.TextChoices):
    """What the clocks write on the incident's timeline (the types are the ones they always had)."""

    OBLIGATION_STARTED = "obligation.started", "Obligation's clock started"
    OBLIGATIONS_RECOMPUTED = "obligation.recomputed", "Obligations recomputed"
    OBLIGATION_DONE = "obligation.done", "Obligation done"
    OBLIGATION_NOT_APPLICABLE = "obligation.not_applicable", "Obligation found not to apply"
    OBLIGATION_DUE_SOON = "obligation.due_soon", "Obligation due soon"
    OBLIGATION_OVERDUE = "obligation.overdue", "Obligation overdue"
    NOTIFICATION_RECORDED = "notification.recorded", "Need-to-know step recorded"
