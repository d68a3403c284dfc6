"""The admin site's part of the statutory clocks: playbooks are edited here (the obligations and the
need-to-know ladder each kind of incident starts), and incidents' obligations are read here, never
changed: they change through the services, with their rules and their timeline. The admin site acts as the
named actor `AdminSite`, with its own rules in the policy."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from core.actors import AdminSite
from core.admin import ReadOnlyAdminMixin
from incidents.models import MemberRole

from .models import ClockKind, ClockStart, Obligation, Playbook, PlaybookObligation, PlaybookStep
from .policy import ObligationAction, obligations

# A clock further off than this is a typing slip (15 months for 15 days), and one far enough off is not a
# date at all: every incident of the kind would then fail to open while working out when it falls due.
LONGEST_CLOCK = {ClockKind.WORKING_DAYS: 10 * 261, ClockKind.CALENDAR_DAYS: 10 * 366,
                 ClockKind.HOURS: 10 * 366 * 24, ClockKind.WITHOUT_DELAY: 10 * 366 * 24}


def _kept_rows(formset) -> list[tuple[forms.Form, dict]]:
    """The rows a valid formset will leave behind, each with its form: not those ticked for deletion, nor
    extra rows left blank. (A form shown read only carries its initial values as its cleaned data.)"""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or (formset.can_delete and formset._should_delete_form(form)):
            continue
        rows.append((form, data))
    return rows


def _refuse_duplicate_codes(formset, rows: list[tuple[forms.Form, dict]], what: str) -> bool:
    """Whether any row's code is another's, saying so on the row. In words: the database would refuse the
    duplicate as an error page, and Django's own formset check only says "duplicate data" at the top."""
    # Rows of the playbook that are not on the page (added by someone else since it was loaded) count too.
    on_page = [form.instance.pk for form in formset.initial_forms if form.instance.pk]
    stored = set()
    if formset.instance.pk is not None:
        stored = set(formset.model.objects.filter(playbook=formset.instance).exclude(pk__in=on_page)
                     .values_list("code", flat=True))
    seen: set[str] = set()
    refused = False
    for form, data in rows:
        code = data["code"]
        if code in seen or code in stored:
            form.add_error("code", f"Another {what} in this playbook has the code “{code}”: each code names "
                                   f"one {what}, so codes are unique within a playbook.")
            refused = True
        seen.add(code)
    return refused


class PlaybookObligationForm(forms.ModelForm):
    responsible_role = forms.ChoiceField(
        # An observer only reads the incident (the policy lets them complete nothing), so an obligation
        # they were responsible for could never be done; the database refuses it too.
        choices=[(value, label) for value, label in MemberRole.choices if value != MemberRole.OBSERVER],
        initial=MemberRole.LEAD,
        error_messages={"invalid_choice": "Choose one of the roles listed. An observer only reads the incident, "
                                          "so cannot be responsible for an obligation."},
        help_text=PlaybookObligation._meta.get_field("responsible_role").help_text,
    )

    class Meta:
        model = PlaybookObligation
        fields = ["position", "code", "title", "basis", "responsible_role", "clock", "amount", "starts", "after",
                  "applies_when"]
        widgets = {"basis": forms.Textarea(attrs={"rows": 2, "cols": 40})}

    def clean(self):
        cleaned = super().clean()
        starts, after = cleaned.get("starts"), cleaned.get("after")
        # The database insists on this pairing (playbook_obligation_after_iff_obligation); say it in words.
        if starts == ClockStart.OBLIGATION and not after and "after" not in self.errors:
            self.add_error("after", "This clock starts when another obligation is done: give that "
                                    "obligation's code.")
        elif starts and starts != ClockStart.OBLIGATION and after:
            self.add_error("after", f"Leave this empty: the clock starts “{ClockStart(starts).label.lower()}”, "
                                    f"not when another obligation is done.")
        clock, amount = cleaned.get("clock"), cleaned.get("amount")
        if clock in LONGEST_CLOCK and amount is not None and amount > LONGEST_CLOCK[clock]:
            self.add_error("amount", f"A clock more than ten years long is likely a slip: at most "
                                     f"{LONGEST_CLOCK[clock]} {ClockKind(clock).label.lower()}.")
        return cleaned


class PlaybookObligationFormSet(forms.BaseInlineFormSet):
    def clean(self):
        if any(self.errors):
            return  # each row first; the rows together are checked once each makes sense alone
        rows = _kept_rows(self)
        if _refuse_duplicate_codes(self, rows, "obligation"):
            return  # the codes must be settled before what names them can be checked
        codes = {data["code"] for _, data in rows}
        after = {data["code"]: data["after"] for _, data in rows if data.get("starts") == ClockStart.OBLIGATION}
        for form, data in rows:
            code, previous = data["code"], after.get(data["code"])
            if previous is None:
                continue
            if previous == code:
                form.add_error("after", "An obligation cannot start when it is itself done: name another.")
            elif previous not in codes:
                form.add_error("after", f"No obligation in this playbook has the code “{previous}”: name one "
                                        f"of {', '.join(sorted(codes - {code}))}.")
            elif self._waits_on_itself(code, after):
                # A ring (a after b, b after a) would leave every clock in it waiting for ever: none would
                # ever fall due, with nothing on the incident to say so.
                form.add_error("after", "These obligations each wait for another to be done, round in a "
                                        "circle, so none would ever start: one of them must start otherwise.")
        super().clean()

    @staticmethod
    def _waits_on_itself(code: str, after: dict[str, str]) -> bool:
        seen, current = set(), after.get(code)
        while current is not None and current not in seen:
            if current == code:
                return True
            seen.add(current)
            current = after.get(current)
        return False

    def codes(self) -> set[str] | None:
        """The obligation codes this submission leaves, or None while its rows are in error."""
        if not self.is_valid():
            return None
        return {data["code"] for _, data in _kept_rows(self)}


class PlaybookStepFormSet(forms.BaseInlineFormSet):
    siblings: tuple | list = ()  # the other formsets of the same page (PlaybookAdmin._create_formsets)

    def clean(self):
        if any(self.errors):
            return
        rows = _kept_rows(self)
        if _refuse_duplicate_codes(self, rows, "step"):
            return
        codes = self._obligation_codes()
        if codes is None:
            return  # the obligations have errors of their own to fix first; checked again then
        for form, data in rows:
            completes = data.get("completes")
            if completes and completes not in codes:
                form.add_error("completes", f"No obligation in this playbook has the code “{completes}”"
                                            + (f": name one of {', '.join(sorted(codes))}, or leave it empty."
                                               if codes else ": leave it empty."))
        super().clean()

    def _obligation_codes(self) -> set[str] | None:
        # Against the obligations as submitted on the same page (a code renamed or a row removed there
        # counts), or as stored when they are not on it (someone who may edit steps but not see obligations).
        for formset in self.siblings:
            if isinstance(formset, PlaybookObligationFormSet):
                return formset.codes()
        if self.instance.pk is None:
            return set()
        return set(PlaybookObligation.objects.filter(playbook=self.instance).values_list("code", flat=True))


class PlaybookObligationInline(admin.TabularInline):
    model = PlaybookObligation
    form = PlaybookObligationForm
    formset = PlaybookObligationFormSet
    fields = ["position", "code", "title", "basis", "responsible_role", "clock", "amount", "starts", "after",
              "applies_when"]
    extra = 0


class PlaybookStepInline(admin.TabularInline):
    model = PlaybookStep
    formset = PlaybookStepFormSet
    fields = ["position", "code", "title", "completes"]
    extra = 0
    verbose_name = "need-to-know step"
    verbose_name_plural = "need-to-know ladder"


class PlaybookForm(forms.ModelForm):
    class Meta:
        model = Playbook
        fields = ["kind", "title"]
        error_messages = {"kind": {"unique": "There is already a playbook for this kind of incident: change "
                                             "that one instead. Each kind has one playbook."}}


@admin.register(Playbook)
class PlaybookAdmin(SimpleHistoryAdmin):
    """The statutory and local clocks each kind of incident starts, and its need-to-know ladder.

    A playbook cannot be deleted, here or by the bulk action: incidents copy their obligations and ladder
    from it, so without it an incident of that kind would open with no statutory clocks at all, and the
    next recomputation of an open one would withdraw its pending obligations, silently. To stop using
    an obligation or a step, remove that row instead. The kind is fixed once the playbook exists (there
    is one playbook per kind, and it is how incidents find theirs)."""

    form = PlaybookForm
    list_display = ["title", "kind"]
    inlines = [PlaybookObligationInline, PlaybookStepInline]
    fieldsets = ((None, {
        "fields": ["kind", "title"],
        "description": "Changes apply to incidents opened (or changing kind) from now on, and to the pending "
                       "clocks of open incidents when they are next recomputed; obligations already done or "
                       "found not to apply stay as recorded. Codes are stable: reports and the API name "
                       "obligations by them.",
    }),)

    def get_readonly_fields(self, request, obj=None):
        return ["kind"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # incidents copy from it (see the docstring); remove rows instead

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST" and transaction.get_connection().in_atomic_block:
            # Two administrators saving the same playbook at once take turns, so the second one's check
            # for a duplicate code sees the first one's rows (and gets a form error, not an error page).
            obj = Playbook.objects.select_for_update().get(pk=obj.pk)
        return obj

    def save_formset(self, request, form, formset, change):
        # Rows are saved one at a time and the database checks each code as it goes, so two codes swapped,
        # or a code taken over from a row removed in the same save, would meet their old selves (an
        # IntegrityError, though the end state is valid: the formset checked it). Park the codes that move
        # or go first, inside the admin's transaction, so no one sees them; the save writes the real ones.
        deleted = set(formset.deleted_forms)
        for row in formset.initial_forms:
            if row.instance.pk and (row in deleted or "code" in row.changed_data):
                formset.model.objects.filter(pk=row.instance.pk).update(code=f"~{row.instance.pk}")
        super().save_formset(request, form, formset, change)

    def _create_formsets(self, request, obj, change):
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        # A step's `completes` names an obligation, perhaps one added or renamed in the same submission:
        # the step formset reads the obligation formset's rows.
        for formset in formsets:
            formset.siblings = formsets
        return formsets, inline_instances


@admin.register(Obligation)
class ObligationAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Incidents' obligations, read only: they change through the services (marked done or not applicable
    in the workspace, recomputed when the incident changes), with their rules and their timeline."""

    list_display = ["incident_reference", "code", "title", "status", "due_at"]
    list_filter = ["status", "clock"]
    list_select_related = ["incident"]
    search_fields = ["incident__reference", "code", "title"]
    fields = ["incident", "position", "code", "title", "basis", "responsible_role", "clock", "amount", "starts",
              "after", "applies_when", "started_at", "due_at", "remind_at", "status", "done_at", "done_by",
              "reference", "reason", "decision"]
    readonly_fields = fields

    @admin.display(description="Incident", ordering="incident__reference")
    def incident_reference(self, obj):
        return obj.incident.reference

    def get_queryset(self, request):
        # The same rule as the incident's own admin: the admin site sees an obligation exactly when it
        # sees its incident (SEES_THE_INCIDENT in incidents/policy.py).
        return obligations.restrict(AdminSite(request.user), ObligationAction.VIEW, super().get_queryset(request))

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        # SimpleHistoryAdmin falls back to the history rows of an object get_queryset does not return;
        # one hidden from the admin site stays hidden, history and all.
        if not self.get_queryset(request).filter(pk=object_id).exists():
            return history_manager.none()
        return super().get_history_queryset(request, history_manager, pk_name, object_id)
