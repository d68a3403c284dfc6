"""API shapes of the statutory clocks. Serializers parse and present; the rules live in clocks/services.py."""

from __future__ import annotations

from rest_framework import serializers

from core.api_fields import SaneDateTimeField, StrictCharField, api_text

from .models import Notification, NotifyMethod, Obligation, Playbook, PlaybookObligation, PlaybookStep
from .policy import ObligationAction, obligations


class ObligationSerializer(serializers.ModelSerializer):
    overdue = serializers.BooleanField(source="is_overdue", read_only=True,
                                       help_text="Pending and past its due time.")
    due_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                       help_text="Empty while its clock waits to start (for the first media "
                                                 "enquiry, or for another obligation).")
    started_at = serializers.DateTimeField(read_only=True, allow_null=True)
    done_at = serializers.DateTimeField(read_only=True, allow_null=True)
    done_by = StrictCharField(source="done_by.username", read_only=True, default=None, allow_null=True)
    decision = serializers.IntegerField(source="decision.number", read_only=True, default=None, allow_null=True,
                                        help_text="The decision-log entry that says it does not apply.")
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Obligation
        fields = ["id", "code", "title", "basis", "responsible_role", "clock", "amount", "starts", "applies_when",
                  "started_at", "due_at", "status", "overdue", "done_at", "done_by", "reference", "reason",
                  "decision", "allowed_actions"]
        read_only_fields = fields

    def get_allowed_actions(self, obligation: Obligation) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return sorted(obligations.allowed_actions(request.user, obligation) - {ObligationAction.VIEW})


class ClockSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="incident_id", read_only=True)
    reference = StrictCharField(source="incident.reference", read_only=True, help_text="The incident's.")
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = Obligation
        fields = ["id", "incident", "reference", "code", "title", "responsible_role", "due_at", "overdue"]
        read_only_fields = fields


class ObligationDoneSerializer(serializers.Serializer):
    reference = api_text(Obligation, "reference", allow_blank=False,
                         help_text="The notification's number, or how it was done.")
    done_at = SaneDateTimeField(required=False, help_text="Default: now.")


class ObligationNotApplicableSerializer(serializers.Serializer):
    reason = api_text(Obligation, "reason", allow_blank=False, help_text="Why it does not apply: written to the decision log.")


class PlaybookObligationSerializer(serializers.ModelSerializer):
    after = serializers.CharField(read_only=True, help_text="The code of the obligation whose completion starts "
                                                            "this clock; empty unless `starts` is `obligation`.")

    class Meta:
        model = PlaybookObligation
        fields = ["code", "title", "basis", "responsible_role", "clock", "amount", "starts", "after", "applies_when"]
        read_only_fields = fields


class PlaybookStepSerializer(serializers.ModelSerializer):
    completes = serializers.CharField(read_only=True, help_text="The code of the obligation telling them "
                                                                "fulfils; empty for none.")

    class Meta:
        model = PlaybookStep
        fields = ["code", "title", "completes"]
        read_only_fields = fields


class PlaybookSerializer(serializers.ModelSerializer):
    obligations = PlaybookObligationSerializer(many=True, read_only=True)
    ladder = PlaybookStepSerializer(many=True, read_only=True)

    class Meta:
        model = Playbook
        fields = ["id", "kind", "title", "obligations", "ladder"]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    told_by = StrictCharField(source="told_by.username", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "step", "step_title", "person", "method", "at", "told_by", "recorded_at"]
        read_only_fields = fields


class NotificationRecordSerializer(serializers.Serializer):
    step = StrictCharField(help_text="A step of the incident's ladder: director, chief_executive, lead_member…")
    person = api_text(Notification, "person", help_text="Who was told.")
    method = serializers.ChoiceField(choices=NotifyMethod.choices)
    at = SaneDateTimeField(required=False, help_text="When they were told. Default: now.")
