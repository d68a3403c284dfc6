"""Console forms for communications: parsing only; comms/services.py decides what is allowed."""

from __future__ import annotations

from django import forms

from incidents.forms import DateTimeLocalField, HarbourForm
from incidents.models import Team, max_length

from .models import (
    Audience,
    EnquiryStatus,
    FamilyInformed,
    IdentifierKind,
    MediaEnquiry,
    Message,
    ProtectedIdentifier,
)


class MessageForm(HarbourForm):
    """Parses only: the service checks required fields and recipients together, so a person sees
    every problem with their draft at once."""

    id_prefix = "message"

    audience = forms.ChoiceField(
        label="Who is it for?", choices=Audience.choices, widget=forms.RadioSelect, required=False,
    )
    teams = forms.MultipleChoiceField(
        label="Teams", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="For messages to chosen teams.",
    )
    recipients = forms.CharField(
        label="Staff (usernames)", required=False,
        help_text="For messages to chosen staff: usernames separated by commas.",
    )
    external_recipients = forms.CharField(
        label="Email addresses", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For partner, elected member and family messages: one address per line.",
    )
    subject = forms.CharField(max_length=max_length(Message, "subject"), required=False)
    content_note = forms.CharField(
        label="Content note", max_length=max_length(Message, "content_note"), required=False,
        help_text="For distressing briefings: what the message is about, shown first so readers choose when "
                  "to open it. For example: “This message is about the death of a child.”",
    )
    body = forms.CharField(
        label="Message", widget=forms.Textarea(attrs={"rows": 10}), required=False,
        max_length=max_length(Message, "body"),
        help_text="Plain words, with compassion. No speculation about cause or blame, and nothing that could "
                  "identify the child or family.",
    )
    release_at = DateTimeLocalField(
        label="Embargo (optional)", required=False,
        help_text="Leave empty to release as soon as it is approved and released.",
        error_messages={"invalid": "Enter the embargo as a date and time."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].choices = [(t.name, t.name) for t in Team.objects.order_by("name")]
        for name in ("audience", "subject", "body"):
            self.fields[name].shown_required = True  # required by the service, so not labelled "optional"
        self.fields["audience"].widget.attrs["class"] = "govuk-radios__input"
        self.fields["teams"].widget.attrs["class"] = "govuk-checkboxes__input"

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "audience": data["audience"],
            "subject": data["subject"],
            "body": data["body"],
            "content_note": data["content_note"],
            "teams": data["teams"],
            "recipients": [u.strip() for u in data["recipients"].split(",") if u.strip()],
            "external_recipients": [e.strip() for e in data["external_recipients"].splitlines() if e.strip()],
            "release_at": data["release_at"],
        }


class CommentForm(HarbourForm):
    id_prefix = "changes"
    comment = forms.CharField(
        label="What needs to change?", widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what needs to change, so the author can act on it."},
    )


class ReleaseForm(HarbourForm):
    id_prefix = "release"
    override_reason = forms.CharField(
        label="Reason to release anyway (lead or tactical lead only)", required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Overrides only the staff-briefing and family gates. It is written to the decision log.",
    )


class WithdrawForm(HarbourForm):
    id_prefix = "withdraw"
    reason = forms.CharField(
        label="Why is it being withdrawn?", max_length=max_length(Message, "withdrawn_reason"),
        error_messages={"required": "Say why the message is being withdrawn."},
    )


class AcknowledgeForm(HarbourForm):
    id_prefix = "ack"
    wants_support = forms.BooleanField(
        label="I would like to talk to someone", required=False,
        help_text="A wellbeing lead will get in touch. Nobody else is told.",
    )


class IdentifierForm(HarbourForm):
    id_prefix = "identifier"
    value = forms.CharField(
        label="Name, address, school or other detail", max_length=max_length(ProtectedIdentifier, "value"),
        error_messages={"required": "Enter the name, address, school or other detail to protect."},
    )
    kind = forms.ChoiceField(choices=IdentifierKind.choices)


class FamilyInformedForm(HarbourForm):
    id_prefix = "family"
    informed_at = DateTimeLocalField(
        label="When were they told?",
        error_messages={"required": "Enter when the family was told.", "invalid": "Enter a date and time."},
    )
    informed_by = forms.CharField(
        label="Who told them?", max_length=max_length(FamilyInformed, "informed_by"), help_text="For example: the police family liaison officer.",
        error_messages={"required": "Say who told the family."},
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MediaEnquiryForm(HarbourForm):
    id_prefix = "enquiry"
    outlet = forms.CharField(max_length=max_length(MediaEnquiry, "outlet"), error_messages={"required": "Enter the outlet."})
    journalist = forms.CharField(max_length=max_length(MediaEnquiry, "journalist"), error_messages={"required": "Enter the journalist's name."})
    contact = forms.CharField(max_length=max_length(MediaEnquiry, "contact"), help_text="Phone or email.",
                              error_messages={"required": "Enter how to contact them."})
    received_at = DateTimeLocalField(
        label="Received", error_messages={"required": "Enter when the enquiry came in.", "invalid": "Enter a date and time."}
    )
    deadline = DateTimeLocalField(required=False, error_messages={"invalid": "Enter the deadline as a date and time."})
    question = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "Enter the question."})
    owner = forms.ChoiceField(choices=(), required=False, help_text="Who answers it. Default: you.")
    status = forms.ChoiceField(choices=EnquiryStatus.choices, initial=EnquiryStatus.OPEN)
    response_message = forms.ChoiceField(label="Response message", choices=(), required=False)

    def __init__(self, *args, owners=(), messages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "Me")] + [(u.username, u.display_name) for u in owners]
        self.fields["response_message"].choices = [("", "None yet")] + [
            (str(m.pk), f"{m.get_audience_display()}: {m.subject}") for m in messages
        ]

    def service_values(self) -> dict:
        data = dict(self.cleaned_data)
        data["owner"] = data["owner"] or None
        data["response_message"] = int(data["response_message"]) if data["response_message"] else None
        return data
