"""API shapes for communications. Serializers parse and present; the services (comms/services.py, releases.py,
media.py, protect.py) hold the rules."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_fields import (
    ChangesSerializer,
    SaneDateTimeField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    api_text,
)
from core.models import Email
from core.small_counts import SmallCountSerializer

from .gates import approvals_needed, failing_gates, identifier_findings
from .models import (
    Audience,
    EnquiryStatus,
    FamilyInformed,
    IdentifierKind,
    IdentifierPartConfirmation,
    InboxItem,
    MediaEnquiry,
    Message,
    MessageVersion,
    ProtectedIdentifier,
    ReviewComment,
)
from .policy import Action, approval_complete, incident_comms, messages
from .progress import IncidentFacts, release_progress
from .selectors import names_incident

CONTENT_NOTE_HELP = ("Shown before a staff briefing's text, so people choose when to read it. Only for staff "
                     "audiences: refused for partners, families and the public, who receive the message as written.")


class ApprovalSerializer(serializers.Serializer):
    approver = StrictCharField(source="approver.username")
    approver_name = StrictCharField(source="approver.display_name")
    version = StrictIntegerField()
    as_comms = StrictBooleanField()
    as_command = StrictBooleanField()
    approved_at = SaneDateTimeField()
    voided = serializers.SerializerMethodField()

    def get_voided(self, approval) -> bool:
        return approval.voided_at is not None


class ReleasePersonSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField(help_text="Their role in the incident.")


class ApprovalHeldSerializer(serializers.Serializer):
    side = serializers.CharField(help_text="`communications`, `command`, or `either` (an internal message needs one "
                                           "approval, from either side).")
    label = serializers.CharField()
    held = serializers.BooleanField(help_text="The current version has this approval.")
    by = serializers.CharField(source="by.username", default=None, allow_null=True,
                               help_text="Who gave it (username); null while it is still needed.")
    by_name = serializers.CharField(source="by.display_name", default=None, allow_null=True)


class ReleaseStepSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="What to do, in words: “Draft the staff briefing”.")
    url = serializers.CharField(help_text="Where to do it in the console.")
    you_may = serializers.BooleanField(help_text="Whether you may take this step yourself.")
    who = ReleasePersonSerializer(many=True, help_text="Who may take it, when it is named (the family record).")


class ReleaseBlockSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="The gate: `approval_required`, `identifier_found` (nobody may release past it), "
                  "`identifier_part_found` (the comms lead may confirm it for this version), `staff_not_briefed` "
                  "or `family_not_informed`.")
    waiting_for = serializers.CharField(help_text="What the release waits for, in a few words.")
    reason = serializers.CharField(help_text="Why, in plain words: the release service's own refusal.")
    overridable = serializers.BooleanField(help_text="The lead or tactical lead may release past it, with a reason.")
    override_by = ReleasePersonSerializer(many=True, help_text="Who may release past it; empty when nobody may.")
    step = ReleaseStepSerializer(help_text="What clears it, and where.")


class ReleaseProgressSerializer(serializers.Serializer):
    """What a release still needs: the same reading the approvals board and the message page show."""

    ready = serializers.BooleanField(help_text="Nothing stops its release now (or, if scheduled, at its embargo time).")
    overridable = serializers.BooleanField(help_text="Every gate left may be overridden by the lead or tactical lead.")
    you_may_override = serializers.BooleanField(help_text="…and you are one of them.")
    approvals = ApprovalHeldSerializer(many=True, help_text="Each approval the message needs, held or still needed.")
    blocked_by = ReleaseBlockSerializer(many=True, help_text="Every gate that stops its release, in order.")


class PartConfirmationSerializer(serializers.Serializer):
    version = StrictIntegerField(help_text="The version confirmed: it counts for that version only.")
    confirmed_by = StrictCharField(source="confirmed_by.username")
    confirmed_by_name = StrictCharField(source="confirmed_by.display_name")
    reason = StrictCharField(help_text="Why the words do not identify the child or family (also in the decision log).")
    confirmed_at = SaneDateTimeField()
    decision = StrictIntegerField(source="decision.number", default=None, allow_null=True,
                                  help_text="The decision log entry's number.")
    voided = serializers.SerializerMethodField(help_text="True once the text changed: it no longer counts.")

    def get_voided(self, confirmation) -> bool:
        return confirmation.voided_at is not None


class IdentifierPartSerializer(serializers.Serializer):
    identifier = serializers.IntegerField(source="identifier.pk", help_text="The protected identifier's id.")
    kind = serializers.CharField(source="identifier.kind")
    word = serializers.CharField(help_text="The identifier's word found on its own.")
    found = serializers.CharField(help_text="How the text has it (look-alike letters read as Latin).")


class MessageSerializer(serializers.ModelSerializer):
    incident = StrictIntegerField(source="incident_id", read_only=True)
    incident_reference = StrictCharField(source="incident.reference", read_only=True)
    scope = StrictCharField(read_only=True)
    status_label = StrictCharField(source="get_status_display", read_only=True)
    author = StrictCharField(source="author.username", read_only=True)
    teams = serializers.SerializerMethodField()
    recipients = serializers.SerializerMethodField()
    approvals = serializers.SerializerMethodField()
    approvals_needed = serializers.SerializerMethodField()
    fully_approved = serializers.SerializerMethodField()
    blocking_gates = serializers.SerializerMethodField(help_text="What stops release now, in plain words.")
    release = serializers.SerializerMethodField(
        help_text="What the release still needs: approvals held and needed, what blocks it, who may override.")
    released_by = StrictCharField(source="released_by.username", read_only=True, default=None, allow_null=True)
    acknowledged = serializers.SerializerMethodField(
        help_text="How many of its recipients have said they have read it (comms and command approvers, for an "
                  "internal message; null otherwise): never who, and withheld (`count` null, "
                  "`suppressed` true) where it or the number who have not is small enough to point to someone."
    )
    delivered_count = serializers.SerializerMethodField(
        help_text="How many it went to (the audience its approvers chose); null as for `acknowledged`.")
    allowed_actions = serializers.SerializerMethodField(
        help_text="What you may do with this message now (comms/policy.py), for clients to offer.")
    part_confirmations = PartConfirmationSerializer(
        many=True, read_only=True,
        help_text="The comms lead's confirmations that a version may go out with part of a protected identifier.")
    identifier_parts = serializers.SerializerMethodField(
        help_text="Parts of protected identifiers found on their own in the current text, which the comms lead "
                  "may confirm. Only for those who may see the identifiers (lead, tactical lead, comms lead); "
                  "null for everyone else, and once the message is released or withdrawn.")

    class Meta:
        model = Message
        fields = [
            "id", "incident", "incident_reference", "audience", "scope", "subject", "body", "content_note", "teams",
            "recipients", "external_recipients", "release_at", "status", "status_label", "version", "author", "approvals",
            "approvals_needed", "fully_approved", "blocking_gates", "release", "change_request", "hold_reason",
            "overridden_gates", "released_at", "released_by", "released_version", "withdrawn_reason",
            "acknowledged", "delivered_count", "allowed_actions", "part_confirmations", "identifier_parts",
            "created_at", "updated_at",
        ]
        read_only_fields = fields

    def _viewer(self):
        request = self.context.get("request")
        return request.user if request else None

    def _viewer_sees_delivery(self, message: Message) -> bool:
        return self._viewer() is not None and messages.allows(self._viewer(), Action.SEE_DELIVERY, message)

    def get_allowed_actions(self, message) -> list[str]:
        if self._viewer() is None:
            return []
        return sorted(messages.allowed_actions(self._viewer(), message) - {Action.VIEW})

    @extend_schema_field(IdentifierPartSerializer(many=True, allow_null=True))
    def get_identifier_parts(self, message) -> list[dict] | None:
        viewer = self._viewer()
        if message.is_finished or viewer is None or not incident_comms.allows(
                viewer, Action.PROTECT_IDENTIFIERS, message.incident):
            return None
        identifiers = self._incident_facts(message).gates.identifiers
        return IdentifierPartSerializer(identifier_findings(message, identifiers).parts, many=True).data

    def get_teams(self, message) -> list[str]:
        return [t.name for t in message.teams.all()]

    def get_recipients(self, message) -> list[str]:
        return [u.username for u in message.recipients.all()]

    def get_approvals(self, message) -> list[dict]:
        return ApprovalSerializer(message.approvals.all(), many=True).data

    def get_approvals_needed(self, message) -> str:
        return approvals_needed(message)

    def get_fully_approved(self, message) -> bool:
        return approval_complete(message, message.approvals.all())

    def _incident_facts(self, message) -> IncidentFacts:
        # One set of incident facts per incident for a whole list (the context is shared by its items).
        facts = self.context.setdefault("_incident_facts", {})
        if message.incident_id not in facts:
            facts[message.incident_id] = IncidentFacts(message.incident)
        return facts[message.incident_id]

    def get_blocking_gates(self, message) -> list[dict]:
        if message.is_finished:
            return []
        facts = self._incident_facts(message)
        return [{"gate": code, "detail": detail} for code, detail in failing_gates(message, facts.gates)]

    @extend_schema_field(ReleaseProgressSerializer)
    def get_release(self, message) -> dict:
        progress = release_progress(message, self._viewer(), self.context.setdefault("_incident_facts", {}))
        return ReleaseProgressSerializer(progress).data

    @extend_schema_field(SmallCountSerializer(allow_null=True))
    def get_acknowledged(self, message) -> dict | None:
        if not message.is_internal or not self._viewer_sees_delivery(message):
            return None
        return message.read_by.as_api()

    def get_delivered_count(self, message) -> int | None:
        if not message.is_internal or not self._viewer_sees_delivery(message):
            return None
        if hasattr(message, "delivered_count"):
            return message.delivered_count
        return message.inbox_items.count()


class MessageDraftSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(choices=Audience.choices)
    subject = api_text(Message, "subject")
    body = api_text(Message, "body")
    content_note = api_text(Message, "content_note", required=False, default="", help_text=CONTENT_NOTE_HELP)
    teams = serializers.ListField(child=StrictCharField(), required=False, default=list)
    recipients = serializers.ListField(child=StrictCharField(), required=False, default=list,
                                       help_text="Usernames, for audience `people`.")
    external_recipients = serializers.ListField(child=StrictCharField(), required=False, default=list,
                                                help_text="Email addresses, for partners, elected members, family.")
    release_at = SaneDateTimeField(required=False, allow_null=True, default=None)


class MessageEditSerializer(ChangesSerializer):
    audience = serializers.ChoiceField(choices=Audience.choices, required=False)
    subject = api_text(Message, "subject", required=False)
    body = api_text(Message, "body", required=False)
    content_note = api_text(Message, "content_note", required=False, help_text=CONTENT_NOTE_HELP)
    teams = serializers.ListField(child=StrictCharField(), required=False)
    recipients = serializers.ListField(child=StrictCharField(), required=False)
    external_recipients = serializers.ListField(child=StrictCharField(), required=False)
    release_at = SaneDateTimeField(required=False, allow_null=True)


class ApproveSerializer(serializers.Serializer):
    version = StrictIntegerField(help_text="The version you read and approve.")


class CommentSerializer(serializers.Serializer):
    comment = api_text(ReviewComment, "comment")


class ReleaseSerializer(serializers.Serializer):
    override_reason = api_text(Message, "override_reason", required=False, default="",
                               help_text="Lead or tactical lead only: overrides the staff and family gates.")


class ConfirmPartsSerializer(serializers.Serializer):
    version = StrictIntegerField(help_text="The version you read and confirm.")
    reason = api_text(IdentifierPartConfirmation, "reason", allow_blank=False,
                      help_text="Why the words do not identify the child or family: written to the decision log.")


class ReasonSerializer(serializers.Serializer):
    reason = api_text(Message, "withdrawn_reason", allow_blank=False)


class AcknowledgeSerializer(serializers.Serializer):
    wants_support = StrictBooleanField(default=False, help_text="I would like to talk to someone.")


class HoldingTemplateSerializer(serializers.Serializer):
    """A holding statement prepared for this kind of incident, with today's date and the service filled in."""

    id = StrictIntegerField()
    name = StrictCharField()
    subject = StrictCharField()
    body = StrictCharField()


class VersionSerializer(serializers.ModelSerializer):
    author = StrictCharField(source="author.username")

    class Meta:
        model = MessageVersion
        fields = ["number", "audience", "subject", "body", "content_note", "content_hash", "author", "created_at"]


class DeliverySerializer(serializers.ModelSerializer):
    recipient = StrictCharField(source="recipient.username", default=None, allow_null=True)

    class Meta:
        model = Email
        fields = ["recipient", "to", "state", "attempts", "last_error", "sent_at", "next_attempt_at"]


class InboxItemSerializer(serializers.ModelSerializer):
    id = StrictIntegerField(source="message_id")
    incident_reference = serializers.SerializerMethodField(
        help_text="The incident it is about; null for a briefing of a restricted incident you are not in, "
                  "which you may read but are not told the incident of.")
    subject = StrictCharField(source="message.subject")
    content_note = StrictCharField(source="message.content_note")
    body = StrictCharField(source="message.body")
    released_at = SaneDateTimeField(source="message.released_at")
    acknowledged = serializers.SerializerMethodField()

    class Meta:
        model = InboxItem
        fields = ["id", "incident_reference", "subject", "content_note", "body", "released_at", "delivered_at",
                  "acknowledged", "acknowledged_at", "wants_support"]

    def get_acknowledged(self, item) -> bool:
        return item.acknowledged_at is not None

    def get_incident_reference(self, item) -> str | None:
        return item.message.incident.reference if names_incident(self.context["request"].user, item) else None


class IdentifierSerializer(serializers.ModelSerializer):
    added_by = StrictCharField(source="added_by.username", read_only=True)

    class Meta:
        model = ProtectedIdentifier
        fields = ["id", "value", "kind", "added_by", "added_at"]
        read_only_fields = ["id", "added_by", "added_at"]


class IdentifierAddSerializer(serializers.Serializer):
    value = api_text(ProtectedIdentifier, "value")
    kind = serializers.ChoiceField(choices=IdentifierKind.choices)


class FamilyInformedSerializer(serializers.ModelSerializer):
    recorded_by = StrictCharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = FamilyInformed
        fields = ["id", "informed_at", "informed_by", "note", "recorded_by", "recorded_at"]
        read_only_fields = ["id", "recorded_by", "recorded_at"]


class FamilyInformedRecordSerializer(serializers.Serializer):
    informed_at = SaneDateTimeField()
    informed_by = api_text(FamilyInformed, "informed_by")
    note = api_text(FamilyInformed, "note", required=False, default="")


class MediaEnquirySerializer(serializers.ModelSerializer):
    owner = StrictCharField(source="owner.username", read_only=True)
    logged_by = StrictCharField(source="logged_by.username", read_only=True)
    response_message = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True,
                                                          help_text="The message that answered it, if any.")
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = MediaEnquiry
        fields = ["id", "incident", "outlet", "journalist", "contact", "received_at", "deadline", "question", "owner",
                  "status", "response_message", "overdue", "logged_by", "logged_at", "updated_at"]
        read_only_fields = fields

    def get_overdue(self, enquiry) -> bool:
        return enquiry.is_overdue


class MediaEnquiryWriteSerializer(serializers.Serializer):
    outlet = api_text(MediaEnquiry, "outlet")
    journalist = api_text(MediaEnquiry, "journalist")
    contact = api_text(MediaEnquiry, "contact")
    received_at = SaneDateTimeField()
    deadline = SaneDateTimeField(required=False, allow_null=True, default=None)
    question = api_text(MediaEnquiry, "question")
    owner = StrictCharField(required=False, help_text="Username; default: you.")
    status = serializers.ChoiceField(choices=EnquiryStatus.choices, default=EnquiryStatus.OPEN)
    response_message = StrictIntegerField(required=False, allow_null=True, default=None)


class MediaEnquiryPatchSerializer(ChangesSerializer, MediaEnquiryWriteSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            if hasattr(field, "default"):
                field.default = serializers.empty
