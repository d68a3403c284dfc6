"""API shapes for staff support. Serializers parse and present; who sees which tier is support/policy.py,
asked through support/selectors.py. The private fields are left out, not emptied, for someone who may see
only where a follow-up stands."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from core.api_fields import (
    OneOfSerializer,
    SaneDateTimeField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    api_text,
)
from core.small_counts import SmallCountSerializer, threshold

from . import selectors
from .models import (
    AUDIT_REASON,
    AffectedPerson,
    Debrief,
    DebriefKind,
    DebriefStatus,
    Exposure,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Outcome,
    Rsvp,
    SupporterKind,
)
from .policy import DebriefAction, FollowUpAction, RegisterAction, debriefs, follow_ups, register


def _person(user) -> dict | None:
    return None if user is None else {"username": user.username, "full_name": user.display_name}


class PersonSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()


class IncidentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()


def incident_ref(actor, incident) -> dict | None:
    """The incident, if the reader may see it; otherwise nothing (a restricted incident stays hidden)."""
    if incident is None or not selectors.sees_incident(actor, incident):
        return None
    return {"id": incident.pk, "reference": incident.reference, "title": incident.title}


class FollowUpSerializer(serializers.Serializer):
    """One follow-up, at the tier the reader may see: `tier` is `private` (everything) or `status` (what,
    when, where it stands; no outcome, note or rearrangement)."""

    id = serializers.IntegerField()
    tier = serializers.ChoiceField(choices=["private", "status"])
    kind = serializers.ChoiceField(choices=FollowUpKind.choices)
    label = serializers.CharField()
    due_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=FollowUpStatus.choices)
    is_overdue = serializers.BooleanField(help_text="Open and past its time (worked out, never stored).")
    person = PersonSerializer()
    assignee = PersonSerializer()
    incident = IncidentRefSerializer(allow_null=True, help_text="Null when you may not see the incident itself.")
    affected_staff = serializers.IntegerField(allow_null=True, help_text="The register entry, if on the register.")
    closed_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, allow_blank=True,
                                      help_text="Private tier only.")
    note = serializers.CharField(required=False, allow_blank=True, help_text="Private tier only.")
    rearrange_requested_at = serializers.DateTimeField(required=False, allow_null=True, help_text="Private tier only.")
    allowed_actions = serializers.ListField(child=serializers.CharField())

    def to_representation(self, item: FollowUp) -> dict:
        actor = self.context["request"].user
        return follow_up_payload(actor, item)


def follow_up_payload(actor, item: FollowUp, now=None) -> dict:
    """The follow-up as this person may see it: what the API answers and the board's socket pushes."""
    private = selectors.sees_private(actor, item)
    payload = {
        "id": item.pk, "tier": "private" if private else "status", "kind": item.kind, "label": item.label,
        "due_at": item.due_at.isoformat(), "status": item.status,
        "is_overdue": selectors.is_overdue(item, now or timezone.now()),
        "person": _person(item.person), "assignee": _person(item.assignee),
        "incident": incident_ref(actor, item.incident), "affected_staff": item.affected_id,
        "closed_at": item.closed_at.isoformat() if item.closed_at else None,
        "allowed_actions": sorted(follow_ups.allowed_actions(actor, item) - {FollowUpAction.VIEW}),
    }
    if private:
        payload["outcome"] = item.outcome
        payload["note"] = item.note
        payload["rearrange_requested_at"] = item.rearrange_requested_at.isoformat() \
            if item.rearrange_requested_at else None
    return payload


class AffectedPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    incident = IncidentRefSerializer(allow_null=True)
    person = PersonSerializer()
    team = serializers.CharField(allow_null=True)
    exposure = serializers.ChoiceField(choices=Exposure.choices)
    reason = serializers.CharField(allow_null=True, help_text="Null for a supporter outside the incident.")
    added_at = serializers.DateTimeField()
    added_by = PersonSerializer(allow_null=True)
    supporter = PersonSerializer()
    supporter_kind = serializers.ChoiceField(choices=SupporterKind.choices)
    declined_all_at = serializers.DateTimeField(
        allow_null=True, help_text="Only for the person, their supporter and the wellbeing leads: never command.")
    allowed_actions = serializers.ListField(child=serializers.CharField())
    follow_ups = FollowUpSerializer(many=True, required=False,
                                    help_text="On adding: the follow-ups created from the plan.")

    def to_representation(self, entry: AffectedPerson) -> dict:
        actor = self.context["request"].user
        allowed = register.allowed_actions(actor, entry)
        private = RegisterAction.SEE_PRIVATE in allowed
        told = RegisterAction.SEE_WHY in allowed
        body = {
            "id": entry.pk, "incident": incident_ref(actor, entry.incident), "person": _person(entry.person),
            "team": entry.person.team.name if entry.person.team_id else None, "exposure": entry.exposure,
            "reason": entry.reason if told else None, "added_at": entry.added_at.isoformat(),
            "added_by": _person(entry.added_by) if told else None,
            "supporter": _person(entry.supporter), "supporter_kind": entry.supporter_kind,
            "declined_all_at": entry.declined_all_at.isoformat() if private and entry.declined_all_at else None,
            "allowed_actions": sorted(allowed - {RegisterAction.VIEW, RegisterAction.SEE_PRIVATE,
                                                 RegisterAction.SEE_WHY}),
        }
        created = getattr(entry, "created_follow_ups", None)
        if created is not None:
            body["follow_ups"] = [follow_up_payload(actor, item) for item in created]
        return body


class RegisterAddSerializer(serializers.Serializer):
    user = StrictCharField(help_text="The username of the member of staff affected.")
    exposure = serializers.ChoiceField(choices=Exposure.choices)
    reason = api_text(AffectedPerson, "reason")
    supporter = StrictCharField(required=False, allow_blank=True,
                                help_text="Who offers their check-ins (username). Default: their line manager.")
    supporter_kind = serializers.ChoiceField(choices=SupporterKind.choices, required=False)


class RegisterChangeSerializer(OneOfSerializer):
    """Either a new supporter, or how they were affected with the reason."""

    shapes = ((("supporter",), ("exposure",)), (("exposure", "reason"), ("supporter", "supporter_kind")))
    shape_refusal = ("supporter", "Give a new supporter, or a new exposure and why it changed (not both).")

    supporter = StrictCharField(required=False)
    supporter_kind = serializers.ChoiceField(choices=SupporterKind.choices, required=False)
    exposure = serializers.ChoiceField(choices=Exposure.choices, required=False)
    reason = api_text(*AUDIT_REASON, required=False, allow_blank=True,
                      help_text="Needed with `exposure`: why it changed (kept in the audit history).")



class CheckInAddSerializer(serializers.Serializer):
    label = api_text(FollowUp, "label",
                     help_text="What it is before: the inquest, the review's publication, the anniversary.")
    due_at = SaneDateTimeField()


class FollowUpChangeSerializer(OneOfSerializer):
    """Either a new time or a new assignee, with the reason."""

    shapes = ((("due_at", "reason"), ("assignee",)), (("assignee", "reason"), ("due_at",)))
    shape_refusal = ("due_at", "Give either a new time (due_at) or a new assignee, with the reason.")

    due_at = SaneDateTimeField(required=False)
    assignee = StrictCharField(required=False)
    reason = api_text(*AUDIT_REASON, help_text="Why it moved, or is handed over (kept in the audit history).")



class CompleteSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = api_text(FollowUp, "note", required=False,
                    help_text="Private to the person, their supporter and the wellbeing leads.")


class CancelSerializer(serializers.Serializer):
    reason = api_text(*AUDIT_REASON, help_text="Why it is no longer needed (kept in the audit history).")


class DebriefCancelSerializer(serializers.Serializer):
    reason = api_text(Debrief, "cancel_reason", allow_blank=False)


class CountsSerializer(serializers.Serializer):
    """How staff support stands in an incident, in people: how many are on the register, and how many of
    them have a check-in in each state (a person can be in several). Each count is withheld on its own
    where it could point to someone (core/small_counts.py): `count` null, `suppressed` true."""

    people = SmallCountSerializer(help_text="People on the register.")
    scheduled = SmallCountSerializer(help_text="People with a check-in still to come.")
    overdue = SmallCountSerializer(help_text="People with a check-in past its time and not recorded.")
    completed = SmallCountSerializer(help_text="People who have had a check-in.")
    declined = SmallCountSerializer(help_text="People who declined a check-in: their choice, never overdue.")
    cancelled = SmallCountSerializer(help_text="People with a check-in a wellbeing lead cancelled.")
    small_count = serializers.IntegerField(help_text="HARBOUR_SMALL_COUNT: a count of fewer people is withheld.")

    def to_representation(self, counts: dict) -> dict:
        return {**{name: shown.as_api() for name, shown in counts.items()}, "small_count": threshold()}


class ExposureSerializer(serializers.Serializer):
    person = PersonSerializer()
    team = serializers.CharField(allow_null=True)
    incidents = serializers.IntegerField(help_text="Registers they are on from the last 12 months.")

    def to_representation(self, user) -> dict:
        return {"person": _person(user), "team": user.team.name if user.team_id else None, "incidents": user.incidents}


class DebriefSerializer(serializers.Serializer):
    """A debrief as the reader may see it: `invitees` (who, their answer and attendance) only for those
    arranging it; everyone who sees it gets the counts, and an invitee their own answer."""

    id = serializers.IntegerField()
    incident = IncidentRefSerializer(allow_null=True)
    kind = serializers.ChoiceField(choices=DebriefKind.choices)
    starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField()
    location = serializers.CharField()
    facilitator = PersonSerializer()
    status = serializers.ChoiceField(choices=DebriefStatus.choices)
    cancel_reason = serializers.CharField(allow_blank=True)
    sequence = serializers.IntegerField(help_text="Rises with every change; the calendar invitation's SEQUENCE.")
    responses = serializers.DictField(
        child=SmallCountSerializer(), help_text="How many answered each way (`accepted`, `declined`, `tentative`, "
        "`pending`): exactly for those arranging it; to an invitee a small count is withheld on its own.")
    my_response = serializers.ChoiceField(choices=Rsvp.choices, allow_null=True)
    invitees = serializers.ListField(child=serializers.DictField(), required=False)
    learning_notes = serializers.CharField(allow_blank=True)
    allowed_actions = serializers.ListField(child=serializers.CharField())

    def to_representation(self, item: Debrief) -> dict:
        actor = self.context["request"].user
        invitations = list(item.invitees.select_related("person"))
        answers = selectors.answers(actor, item, selectors.rsvp_counts(invitations))
        mine = next((i.response for i in invitations if i.person_id == getattr(actor, "pk", None)), None)
        allowed = debriefs.allowed_actions(actor, item)
        body = {
            "id": item.pk, "incident": incident_ref(actor, item.incident), "kind": item.kind,
            "starts_at": item.starts_at.isoformat(), "duration_minutes": item.duration_minutes,
            "location": item.location, "facilitator": _person(item.facilitator), "status": item.status,
            "cancel_reason": item.cancel_reason, "sequence": item.sequence,
            "responses": {answer: shown.as_api() for answer, shown in answers.items()},
            "my_response": mine, "learning_notes": item.learning_notes,
            "allowed_actions": sorted(allowed - {DebriefAction.VIEW, DebriefAction.SEE_INVITEES}),
        }
        if DebriefAction.SEE_INVITEES in allowed:
            body["invitees"] = [{**_person(i.person), "response": i.response, "attended": i.attended}
                                for i in invitations]
        return body


class DebriefScheduleSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DebriefKind.choices)
    starts_at = SaneDateTimeField()
    duration_minutes = StrictIntegerField(min_value=15, max_value=480)
    location = api_text(Debrief, "location")
    facilitator = StrictCharField(help_text="The facilitator's username.")
    invitees = serializers.ListField(child=StrictCharField(), allow_empty=False, min_length=1, max_length=200)
    confirm_facilitator_involved = StrictBooleanField(required=False, default=False)


class DebriefChangeSerializer(serializers.Serializer):
    starts_at = SaneDateTimeField(required=False)
    duration_minutes = StrictIntegerField(min_value=15, max_value=480, required=False)
    location = api_text(Debrief, "location", required=False)
    facilitator = StrictCharField(required=False)
    invitees = serializers.ListField(child=StrictCharField(), allow_empty=False, min_length=1, max_length=200,
                                     required=False)
    confirm_facilitator_involved = StrictBooleanField(required=False, default=False)
    learning_notes = api_text(Debrief, "learning_notes", required=False, allow_blank=False,
                              help_text="A cold debrief's learning, for the incident.")


class RsvpSerializer(serializers.Serializer):
    response = serializers.ChoiceField(choices=[Rsvp.ACCEPTED, Rsvp.DECLINED, Rsvp.TENTATIVE])


class AttendanceSerializer(serializers.Serializer):
    attended = serializers.ListField(child=StrictCharField(), allow_empty=True, max_length=200)
