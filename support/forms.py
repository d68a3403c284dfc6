"""Forms for the staff support pages. They parse and show errors; the rules are support/services.py."""

from __future__ import annotations

from django import forms

from core.text import form_text
from incidents.forms import DateTimeLocalField, HarbourForm, PeopleField, PersonField

from .models import (
    AUDIT_REASON,
    AffectedPerson,
    Debrief,
    DebriefKind,
    Exposure,
    FollowUp,
    Outcome,
    SupporterKind,
)


def audit_reason(**kwargs):
    """A reason kept only in the audit history (support/services.py, AUDIT_REASON)."""
    return form_text(*AUDIT_REASON, required=True, **kwargs)



class RegisterAddForm(HarbourForm):
    id_prefix = "register"
    user = PersonField(label="Member of staff", help_text="Start typing their name. They need not be in the incident.",
                       error_messages={"required": "Choose a member of staff."})
    exposure = forms.ChoiceField(label="How were they affected?", choices=[("", "Choose…"), *Exposure.choices],
                                 error_messages={"required": "Choose how they were affected."})
    reason = form_text(AffectedPerson, "reason", label="Why are they on the register?", widget=forms.TextInput,
                       error_messages={"required": "Enter why they are on the register."})
    supporter = PersonField(label="Who will offer their check-ins?", required=False,
                            help_text="Start typing a name. Leave empty for their line manager.")


class CompleteForm(HarbourForm):
    id_prefix = "complete"
    outcome = forms.ChoiceField(label="Outcome", choices=[("", "Choose an outcome"), *Outcome.choices],
                                error_messages={"required": "Choose the outcome."})
    note = form_text(FollowUp, "note", label="Private note",
                     help_text="Seen only by them, you and the wellbeing leads. Outcomes and next steps, "
                                     "not an account of what they said.")


class RescheduleForm(HarbourForm):
    id_prefix = "reschedule"
    due_at = DateTimeLocalField(label="New time", error_messages={"required": "Enter the new time."})
    reason = audit_reason(label="Why is it moving?", error_messages={"required": "Enter why it is moving."})


class ReassignForm(HarbourForm):
    id_prefix = "reassign"
    assignee = PersonField(label="Hand it to", help_text="Start typing their name.",
                           error_messages={"required": "Choose who will offer it."})
    reason = audit_reason(label="Why?", error_messages={"required": "Enter why it is handed over."})


class CancelForm(HarbourForm):
    id_prefix = "cancel"
    reason = audit_reason(label="Why is it no longer needed?", error_messages={"required": "Enter why it is cancelled."})


class DebriefCancelForm(HarbourForm):
    id_prefix = "cancel"
    reason = form_text(Debrief, "cancel_reason", required=True, label="Why is it no longer needed?",
                       widget=forms.TextInput, error_messages={"required": "Enter why it is cancelled."})


class SupporterForm(HarbourForm):
    id_prefix = "supporter"
    supporter = PersonField(label="Who would you like to support you?",
                            help_text="Start typing a name: a wellbeing lead, a peer supporter or a colleague you trust.",
                            error_messages={"required": "Choose who will support you."})
    supporter_kind = forms.ChoiceField(label="They are", choices=[("", "Work it out for me"), *SupporterKind.choices],
                                       required=False)


class CheckInForm(HarbourForm):
    id_prefix = "checkin"
    label = form_text(FollowUp, "label", label="Before what?", help_text="The inquest, the review's publication, the anniversary.",
                            error_messages={"required": "Enter what the check-in is before."})
    due_at = DateTimeLocalField(label="When", error_messages={"required": "Enter when."})


class DebriefForm(HarbourForm):
    id_prefix = "debrief"
    kind = forms.ChoiceField(label="Kind of debrief", choices=[("", "Choose…"), *DebriefKind.choices],
                             error_messages={"required": "Choose the kind of debrief."})
    starts_at = DateTimeLocalField(label="Starts", error_messages={"required": "Enter when it starts."})
    duration_minutes = forms.IntegerField(label="Length in minutes", min_value=15, max_value=480, initial=60,
                                          error_messages={"required": "Enter how long it lasts."})
    location = form_text(Debrief, "location", label="Where", help_text="A room, or a link to join.",
                               error_messages={"required": "Say where: a room, or a link to join."})
    facilitator = PersonField(label="Facilitator", help_text="Start typing their name.",
                              error_messages={"required": "Choose who will facilitate."})
    invitees = PeopleField(label="Who is invited", most=200,
                           help_text="Start typing a name and choose each person in turn. Without the list: "
                                     "names or usernames, one per line.",
                           error_messages={"required": "Invite at least one person.",
                                           "too_many": "Invite at most %(most)s people to one debrief."})
    confirm_facilitator_involved = forms.BooleanField(
        label="The facilitator was directly involved, and is still the right person to hold it", required=False)


class DebriefChangeForm(DebriefForm):
    id_prefix = "change"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["kind"]


class AttendanceForm(HarbourForm):
    id_prefix = "attendance"
    attended = forms.MultipleChoiceField(label="Who came", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, invitees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [(i.person.username, i.person.display_name) for i in invitees]


class LearningForm(HarbourForm):
    id_prefix = "learning"
    learning_notes = form_text(Debrief, "learning_notes", required=True, label="What was learned",
                               widget=forms.Textarea(attrs={"rows": 4}), help_text="For the incident: what to keep, what to change. Not about anyone's wellbeing.",
                                     error_messages={"required": "Write what was learned."})
