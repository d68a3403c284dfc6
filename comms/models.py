"""Communications: messages with immutable versions, per-audience approvals, release gates, delivery
and acknowledgement, protected identifiers, holding-statement templates and the media log.

Models hold data and invariants; every change goes through the wing's services
(comms/services.py, releases.py, media.py, protect.py).
"""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.small_counts import part
from core.text import copy_of, like, one_line, prose
from incidents.models import Incident, IncidentKind
from people.models import Team


class Audience(models.TextChoices):
    ALL_STAFF = "all_staff", "All staff"
    TEAMS = "teams", "Chosen teams"
    PEOPLE = "people", "Chosen staff"
    LEADERSHIP = "leadership", "Leadership"
    PARTNERS = "partners", "Partner agencies"
    ELECTED_MEMBERS = "elected_members", "Elected members"
    FAMILY = "family", "The family"
    PRESS_STATEMENT = "press_statement", "Press statement"
    HOLDING_STATEMENT = "holding_statement", "Holding statement"
    SOCIAL_MEDIA = "social_media", "Social media post"
    WEBSITE = "website", "Website update"


INTERNAL_AUDIENCES = frozenset({Audience.ALL_STAFF, Audience.TEAMS, Audience.PEOPLE, Audience.LEADERSHIP})
# Internal messages that brief affected staff: one of these, released, lets public messages go.
STAFF_BRIEFING_AUDIENCES = frozenset({Audience.ALL_STAFF, Audience.TEAMS, Audience.PEOPLE})
EXTERNAL_AUDIENCES = frozenset({Audience.PARTNERS, Audience.ELECTED_MEMBERS, Audience.FAMILY})
PUBLIC_AUDIENCES = frozenset(
    {Audience.PRESS_STATEMENT, Audience.HOLDING_STATEMENT, Audience.SOCIAL_MEDIA, Audience.WEBSITE}
)

# The fields each audience uses besides its subject and message (the embargo, `release_at`, applies to every
# audience). The one statement of it: the service refuses recipients an audience does not use, the editor
# reveals only the chosen audience's fields and ignores the others (comms/forms.py, message_form.html).
AUDIENCE_FIELDS: dict[str, tuple[str, ...]] = {
    Audience.ALL_STAFF: ("content_note",),
    Audience.TEAMS: ("teams", "content_note"),
    Audience.PEOPLE: ("recipients", "content_note"),
    Audience.LEADERSHIP: ("content_note",),
    **{audience: ("external_recipients",) for audience in EXTERNAL_AUDIENCES},
    **{audience: () for audience in PUBLIC_AUDIENCES},
}
# Fields some audiences use and others do not, in the order the editor shows them.
AUDIENCE_SPECIFIC_FIELDS = ("teams", "recipients", "external_recipients", "content_note")
# Who receives it: a value for an audience that does not use the field is refused, not quietly dropped.
RECIPIENT_FIELDS = ("teams", "recipients", "external_recipients")


def audiences_using(field: str) -> list[str]:
    return [audience for audience in Audience.values if field in AUDIENCE_FIELDS[audience]]


if set(AUDIENCE_FIELDS) != set(Audience.values) or not all(
        set(fields) <= set(AUDIENCE_SPECIFIC_FIELDS) for fields in AUDIENCE_FIELDS.values()):
    raise ImproperlyConfigured("comms/models.py: AUDIENCE_FIELDS names every audience, and only its own fields.")


def audience_scope(audience: str) -> str:
    if audience in INTERNAL_AUDIENCES:
        return "internal"
    if audience in EXTERNAL_AUDIENCES:
        return "external"
    return "public"


# What communications write to the ground floor's two tables (core/models.py), by kind; `about_id` is the
# message. A released message's deliveries are its emails to its recipients; an email to staff about a
# message (its release was held, it could not be delivered to someone) is not one of them, and its own
# failure tells nobody again; a person's notice in Harbour that a message could not be delivered waits on
# their Now page until they mark it seen or someone tries the failed emails again.
DELIVERY_EMAIL = "comms.delivery"
NOTICE_EMAIL = "comms.notice"
UNDELIVERED = "comms.undelivered"


class MessageStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    SCHEDULED = "scheduled", "Scheduled"
    RELEASED = "released", "Released"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Everything before release: the text can still change, or the message be withdrawn.
BEFORE_RELEASE = frozenset({
    MessageStatus.DRAFT, MessageStatus.IN_REVIEW, MessageStatus.CHANGES_REQUESTED, MessageStatus.APPROVED,
    MessageStatus.SCHEDULED,
})
# Not yet approved: releasing is refused by the approval gate, which says what is missing.
AWAITING_APPROVAL = frozenset({MessageStatus.DRAFT, MessageStatus.IN_REVIEW, MessageStatus.CHANGES_REQUESTED})
# Waiting for someone to approve, revise or release it: what the approvals board shows.
WAITING = frozenset({
    MessageStatus.IN_REVIEW, MessageStatus.CHANGES_REQUESTED, MessageStatus.APPROVED, MessageStatus.SCHEDULED,
})


class CommsEvent(models.TextChoices):
    """What communications write on the incident's timeline."""

    MESSAGE_DRAFTED = "message.drafted", "Message drafted"
    MESSAGE_EDITED = "message.edited", "Message edited"
    APPROVALS_VOIDED = "message.approvals_voided", "Approvals voided"
    MESSAGE_SUBMITTED = "message.submitted", "Message submitted"
    MESSAGE_APPROVED = "message.approved", "Message approved"
    CHANGES_REQUESTED = "message.changes_requested", "Changes requested"
    MESSAGE_WITHDRAWN = "message.withdrawn", "Message withdrawn"
    MESSAGE_SCHEDULED = "message.scheduled", "Message scheduled"
    MESSAGE_RELEASED = "message.released", "Message released"
    RELEASE_HELD = "message.release_held", "Release held"
    IDENTIFIER_PART_CONFIRMED = "message.identifier_part_confirmed", "Part of a protected identifier confirmed"
    PART_CONFIRMATION_VOIDED = "message.part_confirmation_voided", "Confirmation voided"
    IDENTIFIER_ADDED = "identifier.added", "Protected identifier added"
    IDENTIFIER_REMOVED = "identifier.removed", "Protected identifier removed"
    FAMILY_INFORMED = "family.informed", "Family informed"
    MEDIA_LOGGED = "media.logged", "Media enquiry logged"
    MEDIA_UPDATED = "media.updated", "Media enquiry updated"
    DELIVERY_FAILED = "message.delivery_failed", "Message not delivered"
    DELIVERY_RETRIED = "message.delivery_retried", "Delivery tried again"


class Gate(StrEnum):
    """What can stop a release. Each refusal says which, in plain words (comms/gates.py)."""

    APPROVAL_REQUIRED = "approval_required"
    IDENTIFIER_FOUND = "identifier_found"  # nobody can release past it: take it out
    IDENTIFIER_PART_FOUND = "identifier_part_found"  # the comms lead may confirm it, for one version
    STAFF_NOT_BRIEFED = "staff_not_briefed"
    FAMILY_NOT_INFORMED = "family_not_informed"


# A release past them, in words: the decision log's entry and the message's page say it so.
OVERRIDE_WORDS = {
    Gate.STAFF_NOT_BRIEFED: "before staff were briefed",
    Gate.FAMILY_NOT_INFORMED: "before the family's being informed was recorded",
}


class Message(models.Model):
    """A message and its current state. Its text lives in versions; `version` is the current one."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="messages")
    audience = models.CharField(max_length=32, choices=Audience.choices)
    # An email's subject line: one line, or no email can carry it.
    subject = models.CharField(max_length=200, validators=[one_line])
    # About 3,000 words: more than any statement or briefing needs, and a bound on every comparison of texts.
    body = models.TextField(max_length=20_000, validators=[prose])
    content_note = models.CharField(
        max_length=300, blank=True, validators=[one_line],
        help_text="Shown before the message to internal readers, who choose when to open it.",
    )
    teams = models.ManyToManyField(Team, blank=True, related_name="+")
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    external_recipients = models.JSONField(default=list, blank=True)
    release_at = models.DateTimeField(null=True, blank=True, help_text="Embargo: not released before this time.")
    status = models.CharField(max_length=20, choices=MessageStatus.choices, default=MessageStatus.DRAFT)
    version = models.PositiveIntegerField(default=1)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    change_request = models.TextField(max_length=4_000, blank=True, validators=[prose],
                                      help_text="The latest request for changes, for the author.")
    # Gates the lead or tactical lead chose to override on release, with their reason (also in the log).
    overridden_gates = models.JSONField(default=list, blank=True)
    override_reason = models.TextField(max_length=2_000, blank=True, validators=[prose])
    hold_reason = models.TextField(blank=True, help_text="Why a scheduled release did not go out.")
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_version = models.PositiveIntegerField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True, max_length=500, validators=[prose])

    history = HistoricalRecords(m2m_fields=[teams, recipients])

    STATUS_COLOURS = {
        MessageStatus.DRAFT: "grey", MessageStatus.IN_REVIEW: "blue", MessageStatus.CHANGES_REQUESTED: "yellow",
        MessageStatus.APPROVED: "turquoise", MessageStatus.SCHEDULED: "purple", MessageStatus.RELEASED: "green",
        MessageStatus.WITHDRAWN: "grey",
    }

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=MessageStatus.values), name="message_status_valid"),
            models.CheckConstraint(condition=Q(audience__in=Audience.values), name="message_audience_valid"),
        ]
        indexes = [
            # The approvals board and the communications tab: "messages of these incidents in this state".
            models.Index(fields=["incident", "status"], name="message_incident_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_audience_display()}: {self.subject}"

    @property
    def scope(self) -> str:
        return audience_scope(self.audience)

    @property
    def overridden_in_words(self) -> str:
        """The gates it was released past, as a person reads them: "before staff were briefed"."""
        return " and ".join(OVERRIDE_WORDS.get(gate, gate.replace("_", " ")) for gate in self.overridden_gates)

    @property
    def is_internal(self) -> bool:
        return self.audience in INTERNAL_AUDIENCES

    @property
    def is_released(self) -> bool:
        return self.status == MessageStatus.RELEASED

    @property
    def is_finished(self) -> bool:
        """Released or withdrawn: nothing more can happen to it."""
        return self.status not in BEFORE_RELEASE

    @property
    def read_by(self):
        """How many of those it went to have said they have read it, as anyone but them may see it: a part
        of the group it was sent to (core/small_counts.py), so "3 of 4" never picks out the one who has
        not. From the counts comms.selectors.messages_with_details puts on it (two queries without)."""

        delivered = getattr(self, "delivered_count", None)
        if delivered is None:
            delivered = self.inbox_items.count()
        read = getattr(self, "acknowledged_count", None)
        if read is None:
            read = self.inbox_items.filter(acknowledged_at__isnull=False).count()
        return part(read, delivered)

    @property
    def current_authors(self) -> set[int]:
        """Who wrote the message or its current version: they may not approve it (comms/policy.py)."""
        current = getattr(self, "current_version_author_id", None)  # annotated by comms.selectors
        if current is None:
            current = self.versions.filter(number=self.version).values_list("author_id", flat=True).first()
        return {self.author_id} | ({current} if current else set())


class MessageVersion(models.Model):
    """One exact text of a message. Never changed: an edit makes the next version."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    audience = models.CharField(max_length=32, choices=Audience.choices)
    subject = copy_of(Message, "subject")
    body = copy_of(Message, "body")
    content_note = copy_of(Message, "content_note", help_text="")
    content_hash = models.CharField(max_length=64)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["message", "number"], name="message_version_unique")]

    def __str__(self) -> str:
        return f"Version {self.number} of message {self.message_id}"


class Approval(models.Model):
    """An approval of one exact version. Voided (never deleted) when the text changes."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="approvals")
    version = models.PositiveIntegerField()
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    as_comms = models.BooleanField(help_text="The approver could approve as communications (comms lead/officer).")
    as_command = models.BooleanField(help_text="The approver could approve as command (lead/tactical lead).")
    approved_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_reason = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["approved_at", "id"]
        constraints = [
            # One person counts once per version.
            models.UniqueConstraint(
                fields=["message", "version", "approver"], condition=Q(voided_at__isnull=True),
                name="one_live_approval_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"Approval of v{self.version} by {self.approver}"


class IdentifierPartConfirmation(models.Model):
    """The comms lead's word that an external or public message may go out with words in it that are part
    of a protected identifier ("Brookfield" of "Brookfield Primary"), because they do not point to the child
    here. Like an approval, it is for one exact version, and for the parts found in it then: an edit voids
    it (never deleted), and a part found later (an identifier protected since) needs its own. The reason is
    also the decision log's entry (comms/services.py, message_confirm_identifier_parts)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="part_confirmations")
    version = models.PositiveIntegerField()
    # Which parts it covers: "identifier id:word" (comms.identifiers.Part.key). Names no value, but says which
    # word is part of which identifier: shown only to those who may see the identifiers.
    covers = models.JSONField(default=list)
    reason = models.TextField(max_length=1000, validators=[prose])
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(auto_now_add=True)
    decision = models.ForeignKey("incidents.Decision", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_reason = models.CharField(max_length=300, blank=True, validators=[one_line])

    history = HistoricalRecords()

    class Meta:
        ordering = ["confirmed_at", "id"]

    def __str__(self) -> str:
        return f"Confirmation of parts in v{self.version} of message {self.message_id}"


class ReviewComment(models.Model):
    """A request for changes, shown to the author."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="comments")
    version = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = copy_of(Message, "change_request", blank=False, help_text="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment on v{self.version} of message {self.message_id}"


class IdentifierKind(models.TextChoices):
    NAME = "name", "Name"
    ADDRESS = "address", "Address"
    SCHOOL = "school", "School"
    OTHER = "other", "Other identifying detail"


class ProtectedIdentifier(models.Model):
    """Something that could identify the child or family. Seen only by the lead, tactical lead and
    comms lead; checked against every outgoing message of the incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="protected_identifiers")
    value = models.CharField(max_length=200, validators=[one_line])
    kind = models.CharField(max_length=16, choices=IdentifierKind.choices)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "value"]
        constraints = [models.UniqueConstraint(fields=["incident", "value"], name="identifier_unique_per_incident")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (protected)"


class FamilyInformed(models.Model):
    """The lead's record that the family has been told (usually by the police), before any public message."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="family_informed")
    informed_at = models.DateTimeField()
    informed_by = models.CharField(max_length=200, validators=[one_line],
                                   help_text="Who told the family, e.g. the police family liaison officer.")
    note = models.TextField(max_length=2_000, blank=True, validators=[prose])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-informed_at"]
        verbose_name = "family informed record"
        verbose_name_plural = "family informed records"

    def __str__(self) -> str:
        return f"Family informed for incident {self.incident_id}"


class InboxItem(models.Model):
    """A released internal message in one person's inbox, and whether they have read it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="inbox_items")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox")
    delivered_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    wants_support = models.BooleanField(default=False)

    class Meta:
        ordering = ["-delivered_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["message", "recipient"], name="one_inbox_item_per_person")]
        indexes = [
            # The inbox: "my messages, newest first".
            models.Index(fields=["recipient", "-delivered_at"], name="inbox_recipient_delivered"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.recipient_id}"


class HoldingTemplate(models.Model):
    """A prepared holding statement. `{date}` and `{service_area}` are filled in when used."""

    name = models.CharField(max_length=120, validators=[one_line])
    kind = models.CharField(
        max_length=32, choices=IncidentKind.choices, blank=True, help_text="Empty: offered for every kind."
    )
    # What a message drafted from it starts with: as a message's own.
    subject = copy_of(Message, "subject")
    body = copy_of(Message, "body")
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class EnquiryStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESPONDED = "responded", "Responded"
    DECLINED = "declined", "Declined to comment"


class MediaEnquiry(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="media_enquiries")
    outlet = models.CharField(max_length=200, validators=[one_line])
    journalist = like(outlet)
    contact = like(outlet, help_text="Phone or email.")
    received_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    question = models.TextField(max_length=4_000, validators=[prose])
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=EnquiryStatus.choices, default=EnquiryStatus.OPEN)
    response_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="media_enquiries"
    )
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["status", "deadline", "-received_at"]
        verbose_name = "media enquiry"
        verbose_name_plural = "media enquiries"  # not Django's "enquirys"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=EnquiryStatus.values), name="enquiry_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.outlet}: {self.question[:40]}"

    @property
    def is_overdue(self) -> bool:
        return self.status == EnquiryStatus.OPEN and self.deadline is not None and self.deadline < timezone.now()
