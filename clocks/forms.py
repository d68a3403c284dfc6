"""The clocks' forms: recording an obligation done or not applying, and a step of the need-to-know ladder.
They parse what a person typed; the rules live in clocks/services.py."""

from __future__ import annotations

from django import forms

from core.text import form_text
from incidents.forms import DateTimeLocalField, HarbourForm

from .models import Notification, NotifyMethod, Obligation


class ObligationDoneForm(HarbourForm):
    reference = form_text(
        Obligation, "reference", required=True, label="Reference, or how it was done",
        help_text="The notification's number, say, or “Told by phone”.")
    done_at = DateTimeLocalField(label="When it was done", required=False, help_text="Leave empty for now.")


class ObligationNotApplicableForm(HarbourForm):
    reason = form_text(Obligation, "reason", required=True, label="Why it does not apply",
                       help_text="This is written to the decision log.")


class NotificationForm(HarbourForm):
    id_prefix = "ladder"

    step = forms.ChoiceField(label="Who was told")
    person = form_text(Notification, "person", label="Their name and post")
    method = forms.ChoiceField(label="How", choices=NotifyMethod.choices)
    at = DateTimeLocalField(label="When", required=False, help_text="Leave empty for now.")

    def __init__(self, *args, steps=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Nothing chosen for them: a step is picked on purpose.
        self.fields["step"].choices = [("", "Choose…"), *steps]
        self.fields["method"].choices = [("", "Choose…"), *NotifyMethod.choices]
