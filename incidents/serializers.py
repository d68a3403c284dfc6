"""API shapes. Serializers parse and present; the rules live in incidents/services.py."""

from __future__ import annotations

from rest_framework import serializers

from core.actors import prime_memberships
from core.api_fields import (
    ChangesSerializer,
    SaneDateTimeField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    api_text,
)
from core.text import SECRET

from .models import (
    ApiToken,
    Decision,
    Incident,
    IncidentKind,
    IncidentStatus,
    MemberRole,
    Membership,
    Severity,
    TokenEnd,
)
from .policy import Action, incidents
from .search import SEARCH_EMPTY, SEARCH_LIMIT, SEARCH_MAX_LENGTH, SEARCH_TOO_LONG


class IncidentSerializer(serializers.ModelSerializer):
    lead = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField(
        help_text="What you may do with this incident now (incidents/policy.py), for clients to offer.")

    class Meta:
        model = Incident
        fields = [
            "id", "reference", "title", "kind", "severity", "status", "restricted", "occurred_at", "aware_at",
            "summary", "opened_at", "updated_at", "lead", "allowed_actions",
        ]
        read_only_fields = fields

    def get_allowed_actions(self, incident: Incident) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        if not self.context.get("_memberships_read"):  # a whole page's memberships in one query
            page = self.parent.instance if self.parent is not None else [incident]
            prime_memberships(request.user, page)
            self.context["_memberships_read"] = True
        return sorted(incidents.allowed_actions(request.user, incident) - {Action.VIEW})

    def get_lead(self, incident: Incident) -> str | None:
        leads = [m.user.username for m in incident.memberships.all() if m.role == MemberRole.LEAD and m.removed_at is None]
        return leads[0] if leads else None


class IncidentOpenSerializer(serializers.Serializer):
    title = api_text(Incident, "title")
    kind = serializers.ChoiceField(choices=IncidentKind.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    occurred_at = SaneDateTimeField()
    aware_at = SaneDateTimeField()
    summary = api_text(Incident, "summary")
    restricted = StrictBooleanField(default=False)


class IncidentUpdateSerializer(ChangesSerializer):
    title = api_text(Incident, "title", required=False)
    kind = serializers.ChoiceField(choices=IncidentKind.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    occurred_at = SaneDateTimeField(required=False)
    aware_at = SaneDateTimeField(required=False)
    summary = api_text(Incident, "summary", required=False)
    restricted = StrictBooleanField(required=False)


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    reason = api_text(Membership, "reason")


class MembershipSerializer(serializers.ModelSerializer):
    user = StrictCharField(source="user.username", read_only=True)
    full_name = StrictCharField(source="user.display_name", read_only=True)
    team = StrictCharField(source="user.team.name", read_only=True, default=None, allow_null=True)
    added_by = StrictCharField(source="added_by.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["user", "full_name", "team", "role", "reason", "added_at", "added_by"]
        read_only_fields = fields


class MemberAddSerializer(serializers.Serializer):
    user = StrictCharField(help_text="The username of the member of staff.")
    role = serializers.ChoiceField(choices=MemberRole.choices)
    reason = api_text(Membership, "reason", help_text="Why this person is being added.")


class MemberChangeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=MemberRole.choices)
    reason = api_text(Membership, "reason")


class MemberRemoveSerializer(serializers.Serializer):
    reason = api_text(Membership, "reason", help_text="Why this person is being removed.")


class DecisionSerializer(serializers.ModelSerializer):
    decided_by = StrictCharField(source="decided_by.username", read_only=True)
    recorded_by = StrictCharField(source="recorded_by.username", read_only=True)
    corrects = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True,
                                                  help_text="The entry this one corrects, if any.")
    corrected = serializers.SerializerMethodField(help_text="True when a later entry corrects this one.")
    reviews = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True,
                                                 help_text="The entry whose review this one records, if any.")
    reviewed = serializers.SerializerMethodField(help_text="True when a later entry records this one's review.")

    class Meta:
        model = Decision
        fields = [
            "id", "number", "decision", "rationale", "options_considered", "information", "decided_by",
            "decided_at", "recorded_at", "recorded_by", "late_entry_reason", "review_at", "corrects", "corrected",
            "reviews", "reviewed",
        ]
        read_only_fields = fields

    def get_corrected(self, entry: Decision) -> bool:
        return bool(getattr(entry, "is_corrected", False))

    def get_reviewed(self, entry: Decision) -> bool:
        return getattr(entry, "reviewed_in_number", None) is not None


class DecisionRecordSerializer(serializers.Serializer):
    decision = api_text(Decision, "decision")
    rationale = api_text(Decision, "rationale")
    options_considered = api_text(Decision, "options_considered", required=False, default="")
    information = api_text(Decision, "information", required=False, default="")
    decided_by = StrictCharField(required=False, allow_blank=True, help_text="Username; default: you.")
    decided_at = SaneDateTimeField(required=False, help_text="Default: now.")
    late_entry_reason = api_text(Decision, "late_entry_reason", required=False, default="")
    review_at = SaneDateTimeField(required=False, allow_null=True)
    corrects = StrictIntegerField(required=False, allow_null=True, help_text="Id of the entry this corrects.")
    reviews = StrictIntegerField(required=False, allow_null=True,
                                 help_text="Id of the entry whose review this records: say in `decision` whether "
                                           "it stands, and why in `rationale`.")


class TimelineEventSerializer(serializers.Serializer):
    """Documents the shape of TimelineEvent.as_payload() for the schema."""

    id = StrictIntegerField()
    at = SaneDateTimeField()
    actor = StrictCharField(allow_null=True)
    actor_name = StrictCharField()
    type = StrictCharField()
    summary = StrictCharField()


class FieldChangeSerializer(serializers.Serializer):
    field = StrictCharField()
    label = StrictCharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    at = SaneDateTimeField()
    user = StrictCharField(allow_null=True)
    user_name = StrictCharField()
    model = StrictCharField()
    object = StrictCharField()
    action = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    reason = StrictCharField(allow_blank=True)
    changes = FieldChangeSerializer(many=True)


class ApiTokenMakeSerializer(serializers.Serializer):
    name = api_text(ApiToken, "name", allow_blank=False, help_text="What the token is for, in your words.")
    days = StrictIntegerField(required=False, help_text="Days until it stops working: from 1 to the longest "
                              "Harbour allows (HARBOUR_API_TOKEN_DAYS, 90 unless set), which is the default.")


class TokenRequestSerializer(ApiTokenMakeSerializer):
    username = StrictCharField()
    password = StrictCharField(style={"input_type": "password"}, trim_whitespace=False, kind=SECRET)
    name = api_text(ApiToken, "name", required=False, allow_blank=False,
                    help_text="What the token is for (default: \"Made with a password\").")


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as its owner sees it: never its key, which nobody can read after it is made."""

    works = serializers.SerializerMethodField(help_text="Whether it still works now.")
    end_reason = serializers.ChoiceField(choices=TokenEnd.choices, allow_blank=True, read_only=True,
                                         help_text="Why it stopped working before its time, if it did.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "created_at", "expires_at", "last_used_at", "works", "ended_at", "end_reason"]
        read_only_fields = fields

    def get_works(self, token: ApiToken) -> bool:
        return token.is_live()


class ApiTokenMadeSerializer(ApiTokenSerializer):
    token = serializers.SerializerMethodField(help_text="The token itself: shown this once, never again.")

    class Meta(ApiTokenSerializer.Meta):
        fields = ["token", *ApiTokenSerializer.Meta.fields]

    def get_token(self, token: ApiToken) -> str:
        return self.context["key"]


class NowIncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    reference = StrictCharField(read_only=True)
    title = StrictCharField(read_only=True)


class NowItemSerializer(serializers.Serializer):
    """One thing that waits on you (core.wings.NowItem)."""

    kind = StrictCharField(read_only=True, help_text=(
        "What sort of thing waits on you: approval, release, briefing, media_enquiry, obligation, "
        "decision_review, follow_up, debrief, invitation, support_request or undelivered (a released message "
        "that could not be delivered to someone); or more, which says that a list "
        "of one of those was cut short and where the rest are."))
    label = StrictCharField(read_only=True, help_text="The kind, in words.")
    title = StrictCharField(read_only=True)
    why = StrictCharField(read_only=True, help_text="Why it is yours, in a few words.")
    url = StrictCharField(read_only=True, help_text="The page where you act on it.")
    incident = NowIncidentSerializer(read_only=True, allow_null=True,
                                     help_text="Empty when it is not about an incident you can see.")
    due_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="When it falls due, if it has a deadline.")
    overdue = serializers.BooleanField(read_only=True)


class NowSerializer(serializers.Serializer):
    items = NowItemSerializer(many=True, read_only=True, help_text="Soonest first: overdue, then waiting now, then later.")


# --- search ------------------------------------------------------------------------------------------------


class SearchQuerySerializer(serializers.Serializer):
    """`GET /api/search/?q=`: what to search for. Other query parameters are ignored."""

    q = StrictCharField(
        max_length=SEARCH_MAX_LENGTH,
        help_text="Words (every one must match; on PostgreSQL, English word forms match too: “flooding” finds "
                  "“flood”), or an incident's reference: INC-2026-0001, 2026-0001 or 0001.",
        error_messages={"required": SEARCH_EMPTY, "blank": SEARCH_EMPTY, "null": SEARCH_EMPTY,
                        "max_length": SEARCH_TOO_LONG},
    )


class SearchHitSerializer(serializers.Serializer):
    """One thing found (core.wings.SearchHit), of an incident you can see."""

    kind = StrictCharField(read_only=True, help_text="incident, decision or message.")
    label = StrictCharField(read_only=True, help_text="The kind, in words.")
    title = StrictCharField(read_only=True)
    snippet = StrictCharField(read_only=True, help_text="Plain text: a short excerpt around what matched.")
    url = StrictCharField(read_only=True, help_text="The page that shows it.")
    incident = NowIncidentSerializer(read_only=True, help_text="The incident it belongs to (or is).")
    at = serializers.DateTimeField(read_only=True, source="when", help_text=(
        "When it happened: an incident opened, a decision taken, a message last changed."))


class SearchSerializer(serializers.Serializer):
    query = StrictCharField(read_only=True, help_text="What was searched for, its spaces tidied.")
    results = SearchHitSerializer(many=True, read_only=True, help_text=(
        f"Best match first, at most {SEARCH_LIMIT}: no paging; add words to narrow."))
