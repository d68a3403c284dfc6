"""The incident workspace: incidents, their members, decisions, the timeline, and API tokens.

Models hold data and invariants only; every change goes through incidents/services.py. At the end, what
the policy engine (core/actors.py) is told of them: what a membership is, and how an API token is checked
(people/models.py tells it the organisation roles).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.actors import declare_membership, declare_token_check
from core.text import like, one_line, prose


class TokenEnd(models.TextChoices):
    """Why an API token stopped working before its time."""

    REVOKED = "revoked", "Revoked by its owner"
    ADMIN = "admin", "Revoked by an administrator"
    PASSWORD_CHANGED = "password_changed", "The password was changed"
    DEACTIVATED = "deactivated", "The account was deactivated"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self, at=None):
        from django.utils import timezone

        return self.filter(ended_at__isnull=True, expires_at__gt=at or timezone.now())


class ApiToken(models.Model):
    """A key a person made for a program to act as them through the API (and live sockets). Only a digest
    (SHA-256) of the key is kept: it is shown once, when made, and can be read by nobody after, not even
    the admin site. It expires; it can be revoked by its owner or an administrator; a password change
    and deactivation end every one. Ended tokens are kept, so the owner can see what ended and why."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, validators=[one_line])  # what it is for, in the owner's words
    # The only lookup on each request: unique, so indexed. A key has 256 random bits, so a plain digest
    # cannot be reversed, and finding the row by it leaks nothing a guesser could use.
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=TokenEnd.choices, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # A person's tokens, newest first (their page, the API list, the live count against the limit).
            models.Index(fields=["user", "-created_at"], name="api_token_owner"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="api_token_expires_after_made"),
            models.CheckConstraint(condition=Q(ended_at__isnull=True, end_reason="") | Q(ended_at__isnull=False) & ~Q(end_reason=""),
                                   name="api_token_end_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    def is_live(self, at=None) -> bool:
        from django.utils import timezone

        return self.ended_at is None and self.expires_at > (at or timezone.now())

    @classmethod
    def works(cls, token_id: int, user=None) -> bool:
        """Does the token still work (for this person, if one is named)? A socket opened with it asks."""
        tokens = cls.objects.live().filter(pk=token_id)
        return (tokens if user is None else tokens.filter(user=user)).exists()


class IncidentKind(models.TextChoices):
    CHILD_DEATH = "child_death", "Death of a child"
    CHILD_SERIOUS_HARM = "child_serious_harm", "Serious harm to a child"
    ADULT_DEATH = "adult_death", "Death of an adult with care needs"
    ADULT_SERIOUS_HARM = "adult_serious_harm", "Serious harm to an adult with care needs"
    COMMUNITY_VIOLENCE = "community_violence", "Community violence or disorder"
    STAFF_ASSAULT = "staff_assault", "Assault on a member of staff"
    OTHER = "other", "Other serious incident"


DEATH_KINDS = frozenset({IncidentKind.CHILD_DEATH, IncidentKind.ADULT_DEATH})


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MODERATE = "moderate", "Moderate"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    STABILISING = "stabilising", "Stabilising"
    CLOSED = "closed", "Closed"


class Incident(models.Model):
    reference = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200, validators=[one_line])
    kind = models.CharField(max_length=32, choices=IncidentKind.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    occurred_at = models.DateTimeField(help_text="When the event happened, as far as is known.")
    aware_at = models.DateTimeField(help_text="When the organisation became aware. Statutory clocks start here.")
    summary = models.TextField(max_length=10_000, validators=[prose])
    restricted = models.BooleanField(
        default=False, help_text="Restricted incidents are invisible to everyone who is not a member."
    )
    media_interest_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When the first media enquiry was logged: the holding statement's clock starts here.")
    opened_at = models.DateTimeField(auto_now_add=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    # How each status is shown (GOV.UK tag colours): calm colours, no alarm red.
    STATUS_COLOURS = {IncidentStatus.OPEN: "blue", IncidentStatus.STABILISING: "yellow", IncidentStatus.CLOSED: "grey"}

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(aware_at__gte=models.F("occurred_at")), name="aware_not_before_occurred"),
            models.CheckConstraint(condition=Q(status__in=IncidentStatus.values), name="incident_status_valid"),
        ]
        indexes = [
            # The incident list: "my open incidents, newest first".
            models.Index(fields=["status", "-opened_at"], name="incident_status_opened"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_death(self) -> bool:
        """A death: the family must be told before anything goes public."""
        return self.kind in DEATH_KINDS


class ReferenceCounter(models.Model):
    """The last incident number issued in a year; bumped atomically by incident_open."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class MemberRole(models.TextChoices):
    LEAD = "lead", "Lead (strategic)"
    TACTICAL_LEAD = "tactical_lead", "Tactical lead"
    COMMS_LEAD = "comms_lead", "Communications lead"
    WELLBEING_LEAD = "wellbeing_lead", "Wellbeing lead"
    MEMBER = "member", "Member"
    OBSERVER = "observer", "Observer (read only)"


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(removed_at__isnull=True)


class Membership(models.Model):
    """Who is in an incident, in which role, who added them and why.

    Removal keeps the row (removed_at/by/reason) so the record of who was told what stays whole;
    a person added again gets a new row.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=16, choices=MemberRole.choices)
    # Every reason given for a change to an incident (a member added or removed, a role or status changed).
    reason = models.CharField(max_length=500, validators=[prose], help_text="Why this person was added.")
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_reason = like(reason, blank=True, help_text="")

    objects = MembershipQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "user"], condition=Q(removed_at__isnull=True), name="one_active_membership"
            ),
            models.CheckConstraint(condition=Q(role__in=MemberRole.values), name="membership_role_valid"),
        ]
        indexes = [
            # The policy's membership test (core/policy.py): "is this user an active member of this incident".
            models.Index(fields=["user", "incident"], condition=Q(removed_at__isnull=True), name="membership_active_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.get_role_display()} in {self.incident.reference}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


class DecisionQuerySet(models.QuerySet):
    def reviews_standing(self) -> DecisionQuerySet:
        """Entries that record a review and have not been corrected: a review struck through (it named the
        wrong entry, say) reviews nothing."""
        return self.filter(reviews__isnull=False, corrections__isnull=True)

    def awaiting_review(self) -> DecisionQuerySet:
        """Entries with a review time that nothing has answered yet: neither corrected (the correction
        carries its own review time) nor reviewed by a later entry that stands."""
        reviewed = Decision.objects.reviews_standing().filter(reviews=models.OuterRef("pk"))
        return self.filter(review_at__isnull=False, corrections__isnull=True).exclude(models.Exists(reviewed))


class Decision(models.Model):
    """A JESIP decision-log entry. Written once, never edited or deleted; a correction is a new entry."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="decisions")
    number = models.PositiveIntegerField(help_text="Sequential within the incident: decision 1, 2, 3…")
    # Each entry is shown whole in every member's workspace, a page of them at a time: a limit on each part
    # keeps a page of the log readable (and a pasted document out of it: attach it elsewhere, cite it here).
    decision = models.TextField(max_length=2_000, validators=[prose])
    rationale = models.TextField(max_length=5_000, validators=[prose])
    options_considered = like(rationale, blank=True)
    information = like(rationale, blank=True, help_text="The information the decision relied on.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    late_entry_reason = models.TextField(max_length=1_000, blank=True, validators=[prose])
    review_at = models.DateTimeField(null=True, blank=True)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    # A review is an entry too: it says whether an earlier decision stands, and why, and may set its own
    # review time. The reviewed entry stays as it was; it is simply no longer waiting for its review.
    reviews = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reviewed_in",
        help_text="The earlier entry whose review this entry records.",
    )

    history = HistoricalRecords()

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(decided_at__lte=models.F("recorded_at")), name="decided_not_after_recorded"),
            models.UniqueConstraint(fields=["incident", "number"], name="decision_number_unique"),
        ]
        indexes = [
            # The decision log's pages (incidents.selectors.DECISIONS): the newest of one incident first.
            models.Index(fields=["incident", "-decided_at", "-number"], name="decision_log_page"),
        ]

    def __str__(self) -> str:
        return f"Decision {self.number} in incident {self.incident_id}"


class EventType(models.TextChoices):
    """What the incident wing writes on the timeline. The wings have their own (comms.models.CommsEvent)."""

    INCIDENT_OPENED = "incident.opened", "Incident opened"
    INCIDENT_UPDATED = "incident.updated", "Details changed"
    INCIDENT_STATUS_CHANGED = "incident.status_changed", "Status changed"
    MEMBER_ADDED = "member.added", "Member added"
    MEMBER_ROLE_CHANGED = "member.role_changed", "Member's role changed"
    MEMBER_REMOVED = "member.removed", "Member removed"
    DECISION_RECORDED = "decision.recorded", "Decision recorded"
    DECISION_REVIEW_DUE = "decision.review_due", "Decision due for review"


class TimelineEvent(models.Model):
    """The incident's story: an append-only, typed event for every change in the workspace.

    Ids only grow, so a client that missed pushes asks for everything after the last id it saw.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=64)
    summary = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The timeline endpoint and reconnect catch-up: "this incident's events after id N".
            models.Index(fields=["incident", "id"], name="timeline_incident_id"),
        ]

    def __str__(self) -> str:
        return f"{self.type}: {self.summary}"

    # The columns of payload_of, for reading events as plain rows (the export reads thousands).
    PAYLOAD_COLUMNS = ("id", "at", "actor__username", "actor__full_name", "type", "summary")

    def as_payload(self) -> dict:
        """The one shape of a timeline event: the API lists it and sockets push it."""
        actor = self.actor if self.actor_id else None
        return self.payload_of((self.pk, self.at, actor and actor.username, actor and actor.full_name,
                                self.type, self.summary))

    @staticmethod
    def payload_of(row: tuple) -> dict:
        pk, at, username, full_name, type_, summary = row
        return {
            "id": pk,
            "at": at.isoformat(),
            "actor": username,
            "actor_name": (full_name or username) if username else "Harbour",  # as User.display_name
            "type": type_,
            "summary": summary,
        }


# --- what the policy engine is told (core/actors.py) -------------------------------------------------------
# Declared here, with the models, so it is known before any policy module can be imported: a rule naming a
# role that does not exist still fails at import.

declare_membership(Membership, person="user", incident="incident", role="role",
                   active={"removed_at__isnull": True}, restricted="restricted")
declare_token_check(ApiToken.works)
