"""Console forms for communications: parsing only; the services (comms/services.py, releases.py,
media.py, protect.py) decide what is allowed."""

from __future__ import annotations

from django import forms

from core.errors import InvalidInput
from core.text import form_text
from incidents.forms import DateTimeLocalField, HarbourForm, ManyValues, people_named
from people.models import Team

from .models import (
    AUDIENCE_FIELDS,
    AUDIENCE_SPECIFIC_FIELDS,
    Audience,
    EnquiryStatus,
    FamilyInformed,
    IdentifierKind,
    IdentifierPartConfirmation,
    MediaEnquiry,
    Message,
    ProtectedIdentifier,
    ReviewComment,
    audiences_using,
)


class PeopleInput(ManyValues, forms.TextInput):
    """Usernames typed with commas, or chosen one by one."""

    joiner = ", "


class MessageForm(HarbourForm):
    """Parses only: the service checks required fields and recipients together, so a person sees
    every problem with their draft at once."""

    id_prefix = "message"

    audience = forms.ChoiceField(
        label="Who is it for?", choices=Audience.choices, widget=forms.RadioSelect, required=False,
    )
    teams = forms.MultipleChoiceField(
        label="Teams", required=False, widget=forms.CheckboxSelectMultiple,
    )
    recipients = forms.CharField(
        label="Staff (usernames)", required=False, widget=PeopleInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Usernames, separated by commas.",
    )
    external_recipients = forms.CharField(
        label="Email addresses", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One address per line.",
    )
    subject = form_text(Message, "subject", required=False)
    content_note = form_text(
        Message, "content_note", label="Content note", required=False,
        help_text="For distressing briefings: what the message is about, shown first so readers choose when "
                  "to open it. For example: “This message is about the death of a child.”",
    )
    body = form_text(
        Message, "body", label="Message", widget=forms.Textarea(attrs={"rows": 10}), required=False,
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
        # Without JavaScript every field shows, so each hint starts with the audiences that use it.
        for name in AUDIENCE_SPECIFIC_FIELDS:
            field = self.fields[name]
            field.audiences = audiences_using(name)
            labels = [Audience(a).label.lower() for a in field.audiences]
            words = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"
            field.help_text = f"Only for {words}. {field.help_text}".strip()
            self[name].help_text = field.help_text  # bound fields copy the hint when they are made

    def audience_fields(self) -> dict[str, tuple[str, ...]]:
        return AUDIENCE_FIELDS

    def chosen_people(self) -> list[dict]:
        """The people already chosen, named, for the chooser's list (the field holds usernames)."""
        value = self["recipients"].value() or ""
        return people_named(u.strip() for u in str(value).split(","))

    def apply_service_errors(self, error: InvalidInput) -> None:
        """The service's words for a missing audience list its codes, for the API; on the page the choices
        are in front of the person."""
        if "audience" in error.errors:
            error = InvalidInput({**error.errors, "audience": ["Choose who the message is for."]})
        super().apply_service_errors(error)

    def service_values(self) -> dict:
        """What the service is given: the fields the chosen audience uses. A field the page hid (another
        audience's, filled in before the author changed their mind) is ignored, so it is cleared."""
        data = self.cleaned_data
        uses = AUDIENCE_FIELDS.get(data["audience"], AUDIENCE_SPECIFIC_FIELDS)
        return {name: value if name not in AUDIENCE_SPECIFIC_FIELDS or name in uses else type(value)()
                for name, value in self._service_values().items()}

    def _service_values(self) -> dict:
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
    comment = form_text(
        ReviewComment, "comment", label="What needs to change?",
        error_messages={"required": "Say what needs to change, so the author can act on it."},
    )


class ReleaseForm(HarbourForm):
    id_prefix = "release"
    override_reason = form_text(
        Message, "override_reason", label="Reason to release anyway (lead or tactical lead only)",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Overrides only the staff-briefing and family gates. It is written to the decision log.",
    )


class ConfirmPartsForm(HarbourForm):
    """The comms lead's confirmation that part of a protected identifier may go out in this version."""

    id_prefix = "confirm"
    reason = form_text(
        IdentifierPartConfirmation, "reason", label="Why do these words not identify the child or family?",
        help_text="Written to the decision log. The confirmation is for this version only: a change to the text "
                  "needs it again.",
        error_messages={"required": "Say why these words do not identify the child or family: it is written to "
                                    "the decision log."},
    )


class WithdrawForm(HarbourForm):
    id_prefix = "withdraw"
    reason = form_text(
        Message, "withdrawn_reason", required=True, label="Why is it being withdrawn?", widget=forms.TextInput,
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
    value = form_text(
        ProtectedIdentifier, "value", label="Name, address, school or other detail",
        error_messages={"required": "Enter the name, address, school or other detail to protect."},
    )
    kind = forms.ChoiceField(choices=[("", "Choose…"), *IdentifierKind.choices],
                             error_messages={"required": "Choose what kind of detail it is."})


class FamilyInformedForm(HarbourForm):
    id_prefix = "family"
    informed_at = DateTimeLocalField(
        label="When were they told?",
        error_messages={"required": "Enter when the family was told.", "invalid": "Enter a date and time."},
    )
    informed_by = form_text(
        FamilyInformed, "informed_by", label="Who told them?", help_text="For example: the police family liaison officer.",
        error_messages={"required": "Say who told the family."},
    )
    note = form_text(FamilyInformed, "note", widget=forms.Textarea(attrs={"rows": 2}))


class MediaEnquiryForm(HarbourForm):
    id_prefix = "enquiry"
    outlet = form_text(MediaEnquiry, "outlet", error_messages={"required": "Enter the outlet."})
    journalist = form_text(MediaEnquiry, "journalist", error_messages={"required": "Enter the journalist's name."})
    contact = form_text(MediaEnquiry, "contact", help_text="Phone or email.",
                        error_messages={"required": "Enter how to contact them."})
    received_at = DateTimeLocalField(
        label="Received", error_messages={"required": "Enter when the enquiry came in.", "invalid": "Enter a date and time."}
    )
    deadline = DateTimeLocalField(required=False, error_messages={"invalid": "Enter the deadline as a date and time."})
    question = form_text(MediaEnquiry, "question", error_messages={"required": "Enter the question."})
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
