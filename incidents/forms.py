"""Console forms: they parse what a person typed into Python values. The rules (what may change, who
may do it, what time makes sense) live in the services, whose errors the views attach to these forms."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.forms.utils import ErrorDict
from django.urls import reverse

from core.api_fields import EARLIEST_YEAR, LATEST_YEAR, within_sane_years
from core.errors import InvalidInput
from core.text import form_text, is_one_line
from people.models import User

from .models import (
    ApiToken,
    Decision,
    Incident,
    IncidentKind,
    IncidentStatus,
    MemberRole,
    Membership,
    Severity,
)
from .search import SEARCH_EMPTY, SEARCH_MAX_LENGTH, SEARCH_TOO_LONG

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


def same_to_the_minute(shown, stored) -> bool:
    """Forms show times to the minute: a time sent back as it was shown is not a change."""
    if isinstance(shown, dt.datetime) and isinstance(stored, dt.datetime):
        return shown.replace(second=0, microsecond=0) == stored.replace(second=0, microsecond=0)
    return shown == stored


class DateTimeLocalField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DATETIME_FORMATS)
        super().__init__(**kwargs)

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is not None and not within_sane_years(parsed):
            raise forms.ValidationError(f"Enter a date between {EARLIEST_YEAR} and {LATEST_YEAR}.")
        return parsed


_WIDGET_CLASSES = {"textarea": "govuk-textarea", "select": "govuk-select", "checkbox": "govuk-checkboxes__input"}


class HarbourForm(forms.Form):
    """GOV.UK-styled fields and errors: messages written for people, one per field, collected for the
    error summary, and tied to their inputs with aria-describedby for screen readers.

    `id_prefix` keeps element ids unique when several forms share a page (the workspace has four)."""

    id_prefix = "id"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            bound = self[name]
            field.widget.attrs["class"] = _WIDGET_CLASSES.get(bound.widget_type, "govuk-input")
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"{bound.auto_id}_hint"

    def full_clean(self) -> None:
        super().full_clean()
        self._describe_errors()

    def apply_service_errors(self, error: InvalidInput) -> None:
        for field, messages in error.errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        self._describe_errors()

    def _describe_errors(self) -> None:
        """Mark fields in error the GOV.UK way and point screen readers at the message."""
        for name in self.errors:
            if name not in self.fields:
                continue
            bound = self[name]
            attrs = self.fields[name].widget.attrs
            base = _WIDGET_CLASSES.get(bound.widget_type, "govuk-input")
            if bound.widget_type != "checkbox":
                attrs["class"] = f"{base} {base}--error"
            hint = [f"{bound.auto_id}_hint"] if self.fields[name].help_text else []
            attrs["aria-describedby"] = " ".join([*hint, f"{bound.auto_id}_error"])


class IncidentForm(HarbourForm):
    title = form_text(Incident, "title", error_messages={"required": "Enter a title."})
    # Nothing chosen to start with: an incident's kind and severity are picked on purpose, never by leaving a
    # default in place ("Choose…" submits as empty, which is the required error).
    kind = forms.ChoiceField(
        label="Kind of incident", choices=[("", "Choose…"), *IncidentKind.choices],
        error_messages={"required": "Choose the kind of incident."},
    )
    severity = forms.ChoiceField(choices=[("", "Choose…"), *Severity.choices],
                                 error_messages={"required": "Choose the severity."})
    occurred_at = DateTimeLocalField(
        label="When it happened", help_text="As far as is known.",
        error_messages={"required": "Enter when it happened.", "invalid": "Enter when it happened as a date and time."},
    )
    aware_at = DateTimeLocalField(
        label="When the organisation became aware",
        help_text="Statutory clocks start from this time, so record it as accurately as you can.",
        error_messages={"required": "Enter when the organisation became aware.",
                        "invalid": "Enter when the organisation became aware as a date and time."},
    )
    summary = form_text(
        Incident, "summary", widget=forms.Textarea(attrs={"rows": 5}), error_messages={"required": "Enter a summary."},
        help_text="What is known now. Facts only: no speculation about cause or blame.",
    )
    restricted = forms.BooleanField(
        label="Restrict this incident to its members", required=False,
        help_text="A restricted incident is invisible to everyone else, including other senior leaders.",
    )


class TransitionForm(HarbourForm):
    id_prefix = "transition"
    status = forms.ChoiceField(choices=IncidentStatus.choices, error_messages={"required": "Choose the new status."})
    reason = form_text(
        Membership, "reason", widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Enter the reason for the change."},
    )


# The longest name or username a person field can be given.
LONGEST_NAME = max(User._meta.get_field("username").max_length, User._meta.get_field("full_name").max_length)


def username_for(typed: str) -> str:
    """What a person field holds as a username. The chooser (static/harbour/choose-people.js) gives
    "username — Full Name"; without JavaScript people type a username or a full name. A full name only
    one active person has is theirs; one that two people share is refused; anything else is returned as
    typed, for the service to refuse as nobody it knows."""
    typed = typed.split(" — ")[0].strip()
    if len(typed) > LONGEST_NAME or not is_one_line(typed):
        # Nobody is called that, and no database need be asked (SQLite cannot even match so long a name).
        raise forms.ValidationError("There is no member of staff called that: give their name or username.")
    if User.objects.filter(username=typed).exists():
        return typed
    named = list(User.objects.filter(is_active=True, full_name__iexact=typed).values_list("username", flat=True)[:2])
    if len(named) == 2:
        raise forms.ValidationError(f"More than one person is called {typed}: give their username.")
    return named[0] if named else typed


def people_named(usernames) -> list[dict]:
    """Chosen people as the chooser lists them (value, name, team), in the order given: for redrawing a
    form sent back with an error, so the choices made so far are still there."""
    usernames = [u for u in usernames if u]
    # Only names that could be someone's are looked up: the form may be redrawn because one held a null byte.
    askable = [u for u in usernames if len(u) <= LONGEST_NAME and is_one_line(u)]
    found = {u.username: u for u in User.objects.filter(username__in=askable).select_related("team")}
    return [{"value": name, "label": found[name].display_name if name in found else name,
             "detail": found[name].team.name if name in found and found[name].team else ""}
            for name in usernames]


class PersonField(forms.CharField):
    """One member of staff, chosen by name from the staff search (static/harbour/choose-people.js) or
    typed; cleaned to a username (see username_for)."""

    choose = "one"

    def clean(self, value):
        value = super().clean(value)
        return username_for(value) if value else value


class ManyValues:
    """A widget for people typed in one box (without JavaScript) or chosen one by one (the chooser,
    static/harbour/choose-people.js, posts one value per person): both read as one text, joined by
    `joiner` as a person would have typed them."""

    joiner = "\n"

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist"):
            return self.joiner.join(v for v in data.getlist(name) if v.strip())
        return super().value_from_datadict(data, files, name)


class PeopleInput(ManyValues, forms.Textarea):
    """Names one per line or with commas, or chosen one by one."""

    def __init__(self, attrs=None):
        super().__init__({"rows": 3, **(attrs or {})})


class PeopleField(forms.CharField):
    """Several members of staff, chosen one by one by name, or typed one per line or with commas; cleaned
    to a list of usernames, at most `most`."""

    choose = "many"
    widget = PeopleInput
    default_error_messages = {"too_many": "Choose at most %(most)s people."}

    def __init__(self, *, most: int, **kwargs):
        self.most = most
        super().__init__(**kwargs)

    @staticmethod
    def typed(value) -> list[str]:
        return [part.strip() for line in str(value or "").splitlines() for part in line.split(",") if part.strip()]

    def clean(self, value):
        names = self.typed(super().clean(value))
        if len(names) > self.most:
            raise forms.ValidationError(self.error_messages["too_many"], code="too_many", params={"most": self.most})
        return [username_for(name) for name in names]


class MemberRowForm(HarbourForm):
    """One person and their role: a row of the add-members form (and how other forms read a person typed)."""

    id_prefix = "member"
    user = forms.CharField(
        label="Member of staff", help_text="Start typing a name or username.",
        error_messages={"required": "Choose a member of staff."},
    )
    # Nothing chosen for them: a role is given on purpose.
    role = forms.ChoiceField(choices=[("", "Choose…"), *MemberRole.choices],
                             error_messages={"required": "Choose their role."})

    def clean_user(self) -> str:
        return username_for(self.cleaned_data["user"])


MEMBER_ROWS_SHOWN = 3  # empty rows offered without JavaScript; with it, "Add another person" adds more
MEMBER_ROWS_MAX = 50


class MemberAddForm(HarbourForm):
    """Several people at once, each with a role, for one reason. Rows are posted as repeated `user` and
    `role` fields, in order; a row left empty is no row. Each row is a MemberRowForm whose ids are its own
    (`member_user`, `member_2_user`…), so the error summary links to the row in error."""

    id_prefix = "member"
    reason = form_text(
        Membership, "reason", label="Why are they being added?", widget=forms.TextInput,
        help_text="Kept on record for each person added.",
        error_messages={"required": "Enter why they are being added."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            users, roles = self.data.getlist("user"), self.data.getlist("role")
            pairs = [(u, roles[i] if i < len(roles) else "") for i, u in enumerate(users)]
            filled = [(u, r) for u, r in pairs if u.strip() or r.strip()]
            self.too_many = len(filled) > MEMBER_ROWS_MAX  # refused, never cut short: nobody left out unsaid
            filled = filled[:MEMBER_ROWS_MAX]
            self.rows = [self._row(i, {"user": u, "role": r}) for i, (u, r) in enumerate(filled or [("", "")])]
        else:
            self.rows = [self._row(i, None) for i in range(MEMBER_ROWS_SHOWN)]

    @staticmethod
    def _row(index: int, data) -> MemberRowForm:
        return MemberRowForm(data, auto_id="member_%s" if index == 0 else f"member_{index + 1}_%s")

    too_many = False

    def is_valid(self) -> bool:
        rows_valid = [row.is_valid() for row in self.rows]  # every row checked, so every error shows at once
        return super().is_valid() and all(rows_valid) and not self.too_many

    def clean(self):
        cleaned = super().clean()
        if self.too_many:
            raise forms.ValidationError(f"Add at most {MEMBER_ROWS_MAX} people at once: add the rest afterwards.")
        return cleaned

    # The error summary (and any page that asks `form.errors`) sees the rows' errors as this form's: its
    # fields are the rows' fields, in order, then the reason, each linking to its own input.
    @property
    def errors(self):
        own = super().errors
        rows = getattr(self, "rows", ())
        if not any(row.errors for row in rows):
            return own
        merged = ErrorDict(own)
        for index, row in enumerate(rows):
            merged.update({f"{index + 1}.{name}": errors for name, errors in row.errors.items()})
        return merged

    def __iter__(self):
        for row in self.rows:
            yield from row
        yield from super().__iter__()

    def service_values(self) -> dict:
        return {"rows": [(row.cleaned_data["user"], row.cleaned_data["role"]) for row in self.rows],
                "reason": self.cleaned_data["reason"]}

    def apply_service_errors(self, error: InvalidInput) -> None:
        """Refusals row by row (membership.RowsInvalid), each against its row; anything else as any form's."""
        rows = getattr(error, "rows", None)
        if rows is None:
            super().apply_service_errors(error)
        else:
            self.apply_row_errors(rows)

    def apply_row_errors(self, errors: dict[int, dict[str, list[str]]]) -> None:
        """The service's errors, row by row; a problem with the reason is the shared field's, said once."""
        for index, fields in errors.items():
            for field, messages in fields.items():
                for message in messages:
                    if field == "reason":
                        if message not in self.errors.get("reason", []):
                            self.add_error("reason", message)
                    else:
                        self.rows[index].add_error(field if field in self.rows[index].fields else "user", message)
            self.rows[index]._describe_errors()
        self._describe_errors()


class MemberRemoveForm(HarbourForm):
    id_prefix = "remove"
    reason = form_text(
        Membership, "reason", label="Why are they being removed?", widget=forms.TextInput,
        error_messages={"required": "Enter why they are being removed."},
    )


class MemberRoleForm(HarbourForm):
    id_prefix = "role"
    role = forms.ChoiceField(choices=MemberRole.choices)
    reason = form_text(
        Membership, "reason", label="Why is their role changing?", widget=forms.TextInput,
        error_messages={"required": "Enter why their role is changing."},
    )


class DecisionForm(HarbourForm):
    id_prefix = "decision"
    decision = form_text(
        Decision, "decision", error_messages={"required": "Enter the decision."},
        help_text="Decisions not to act belong here too.",
    )
    rationale = form_text(Decision, "rationale", error_messages={"required": "Enter the rationale."})
    options_considered = form_text(Decision, "options_considered", widget=forms.Textarea(attrs={"rows": 2}))
    information = form_text(Decision, "information", label="Information relied on",
                            widget=forms.Textarea(attrs={"rows": 2}))
    decided_by = forms.ChoiceField(label="Decided by", choices=(), required=False)
    decided_at = DateTimeLocalField(
        label="When it was decided", required=False, help_text="Leave empty for now.",
        error_messages={"invalid": "Enter when it was decided as a date and time."},
    )
    late_entry_reason = form_text(Decision, "late_entry_reason", label="Reason for a late entry",
                                  widget=forms.Textarea(attrs={"rows": 2}))
    review_at = DateTimeLocalField(
        label="Review by", required=False, error_messages={"invalid": "Enter the review time as a date and time."}
    )
    corrects = forms.IntegerField(
        label="This entry corrects decision number", required=False, min_value=1, max_value=2_000_000_000,
        help_text="Leave empty for a new decision. To correct an entry, give its number: type a number or "
                  "words from it to find it.",
        error_messages={"invalid": "Give the number of the decision this entry corrects, such as 12."},
        widget=forms.TextInput,  # words find an entry too: the browser offers the matches' numbers
    )

    reviews = forms.IntegerField(
        label="This entry records the review of decision number", required=False, min_value=1,
        max_value=2_000_000_000,
        help_text="Leave empty unless this is a review: then say above whether the decision stands, and why.",
        error_messages={"invalid": "Give the number of the decision this entry reviews, such as 12."},
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, incident=None, members=(), **kwargs):
        self.incident = incident
        super().__init__(*args, **kwargs)
        # From the setting, as the service reads it (bound fields copy their hint when they are made).
        late = self["late_entry_reason"]
        late.help_text = late.field.help_text = (
            f"Needed when the decision was made more than {settings.HARBOUR_LATE_ENTRY_MINUTES} minutes ago.")
        late.field.widget.attrs["aria-describedby"] = f"{late.auto_id}_hint"
        self.fields["decided_by"].choices = [("", "Me")] + [(m.user.username, m.user.display_name) for m in members]
        corrects = self.fields["corrects"].widget.attrs
        corrects.update({"autocomplete": "off", "spellcheck": "false", "class": "govuk-input govuk-!-width-one-half"})
        if incident is not None:
            # A search, not a choice of every entry: the browser offers matches as the person types.
            corrects.update({
                "list": "decision-choices",
                "hx-get": reverse("decision-choices", kwargs={"incident_id": incident.pk}),
                "hx-trigger": "input changed delay:300ms", "hx-target": "#decision-choices",
            })

    def _entry_numbered(self, name: str):
        """The service takes the entry itself; a person names it by its number in this log."""
        number = self.cleaned_data.get(name)
        if number is None:
            return None
        entry = self.incident.decisions.filter(number=number).values_list("pk", flat=True).first()
        if entry is None:
            raise forms.ValidationError(f"There is no decision {number} in this incident's log.")
        return entry

    def clean_corrects(self):
        return self._entry_numbered("corrects")

    def clean_reviews(self):
        return self._entry_numbered("reviews")


# --- search ------------------------------------------------------------------------------------------------


class SearchForm(HarbourForm):
    """`/search/?q=`: words, or an incident's reference. An empty query is no error, only nothing asked."""

    q = forms.CharField(
        label="Search incidents, decisions and messages", max_length=SEARCH_MAX_LENGTH,
        help_text="Words from a title, summary, decision or message, or a reference such as INC-2026-0001.",
        error_messages={"required": SEARCH_EMPTY, "max_length": SEARCH_TOO_LONG},
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )


class ApiTokenForm(HarbourForm):
    """Make an API token: what it is for, and for how long (tokens.api_token_make decides the limits)."""

    id_prefix = "token"
    name = form_text(
        ApiToken, "name", label="What is it for?",
        help_text="A name you will recognise later, such as the program or computer that uses it.",
        error_messages={"required": "Enter a name for the token."},
    )
    days = forms.IntegerField(
        label="Days until it stops working", min_value=1, widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        error_messages={"required": "Enter how many days the token should work for.",
                        "invalid": "Enter the number of days as a whole number, such as 30.",
                        "min_value": "Enter at least 1 day."},
    )

    def __init__(self, *args, longest: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].help_text = f"From 1 to {longest}. Choose the fewest the program needs."
        self.fields["days"].max_value = longest
        self.fields["days"].error_messages["max_value"] = f"Enter {longest} days or fewer."
        self.fields["days"].validators.append(MaxValueValidator(longest, message=f"Enter {longest} days or fewer."))
        self.fields["days"].initial = longest
        self.fields["days"].widget.attrs["aria-describedby"] = f"{self['days'].auto_id}_hint"
