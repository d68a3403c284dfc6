"""Admin for staff support. Wellbeing records are special category (health) data, so the admin shows
little, and what it shows it asks support/policy.py for, as the admin-site actor (`AdminSite`).

- **Support plans** are edited here, with their steps and their history, by the wellbeing leads and the
  system administrators. A wellbeing lead has the permissions through the `wellbeing_lead` group
  (migration 0004), but also needs `is_staff` on their account to reach the admin at all: a system
  administrator ticks it for them. Ticking "is default" on a plan makes it the default in place of the
  current one, in the same transaction (the old default is un-ticked, with a history row); a plan
  stops being the default only by another becoming it, since Harbour always has one.
- **The exposure register, follow-ups and debriefs** can be read, never changed: they change only through
  support/services.py, with its rules. The admin-site actor qualifies for the status tier only, so a
  follow-up is shown without its outcome, note or rearrangement request, and without its field history
  (whose rows hold the note). Support's emails are in the one outbox's page (core/admin.py, kind
  "support"), shown without their subject or body, either of which can name a person.
- **Requests for support and in-Harbour notices** are not here at all: that a person asked for support
  is theirs and the wellbeing leads' alone, and a notice's text can say it (the one notice table,
  core.models.Notice, has no admin page).

Where a model has fields the admin does not show, the changelist refuses filters on them in its address
(`?note__icontains=...`): Django allows a lookup on any of a model's own fields, and counting the rows
such a filter leaves would read a hidden field a letter at a time.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.actors import AdminSite
from core.admin import ReadOnlyAdminMixin, ShownFieldsOnlyMixin
from incidents.policy import Action, incidents
from incidents.services import save_audited

from .models import (
    AffectedPerson,
    Debrief,
    DebriefInvitee,
    FollowUp,
    PlanStep,
    StepUnit,
    SupportPlan,
)
from .policy import FollowUpAction, RegisterAction, follow_ups, register

# --- support plans: edited here ---------------------------------------------------------------------------

# A step further off than this is a typing slip (72 months for 72 hours), and one far enough off would not
# be a date at all: every later addition to a register would fail working out when it falls due.
LONGEST = {StepUnit.HOURS: 10 * 366 * 24, StepUnit.DAYS: 10 * 366, StepUnit.MONTHS: 10 * 12}


class PlanStepForm(forms.ModelForm):
    # The database refuses a step at 0 (plan_step_after_something); say so in words before it does.
    amount = forms.IntegerField(
        min_value=1,
        error_messages={"min_value": "A check-in comes at least 1 hour, day or month after the organisation "
                                     "became aware: enter 1 or more."},
        help_text="How long after the organisation became aware (or after the person is added, if later).",
    )

    class Meta:
        model = PlanStep
        fields = ["label", "amount", "unit"]

    def clean(self):
        cleaned = super().clean()
        amount, unit = cleaned.get("amount"), cleaned.get("unit")
        if amount is not None and unit in LONGEST and amount > LONGEST[unit]:
            self.add_error("amount", f"A check-in more than ten years on is likely a slip: at most "
                                     f"{LONGEST[unit]} {StepUnit(unit).label}.")
        return cleaned


class PlanStepInline(admin.TabularInline):
    model = PlanStep
    form = PlanStepForm
    fields = ["label", "amount", "unit"]
    extra = 0


class SupportPlanForm(forms.ModelForm):
    class Meta:
        model = SupportPlan
        fields = ["name", "is_default"]
        labels = {"is_default": "The default plan"}
        help_texts = {"is_default": "The plan offered to everyone added to a register. Ticking it here makes "
                                    "this plan the default in place of the current one."}

    def _get_validation_exclusions(self):
        # one_default_plan is kept by switching the default when the plan is saved (SupportPlanAdmin.save_model),
        # so another plan being the default now is not an error.
        exclusions = super()._get_validation_exclusions()
        exclusions.add("is_default")
        return exclusions

    def clean_is_default(self):
        value = self.cleaned_data["is_default"]
        if not value and self.instance.pk and SupportPlan.objects.filter(pk=self.instance.pk, is_default=True).exists():
            raise forms.ValidationError(
                "There is always a default plan. To change which, tick “The default plan” on the plan that "
                "should be it; this one then stops being the default.")
        return value


@admin.register(SupportPlan)
class SupportPlanAdmin(SimpleHistoryAdmin):
    form = SupportPlanForm
    list_display = ["name", "is_default"]
    inlines = [PlanStepInline]
    fieldsets = ((None, {
        "fields": ["name", "is_default"],
        "description": "The check-ins offered to each person added to an incident's exposure register. "
                       "Changes apply to people added from now on; check-ins already offered stay as they "
                       "are. To offer none, remove the steps rather than the plan.",
    }),)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_default:
            return False  # Harbour would make the built-in plan again; make another plan the default first
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it could take the default plan with it; delete one at a time
        return actions

    def save_model(self, request, obj, form, change):
        # Inside the admin's transaction. The other plans are locked and read after the lock, so two people
        # making different plans the default at once take turns and the later one wins. (Two people each
        # *adding* a new default plan at the same moment could still meet one_default_plan: the second
        # does not see the first's new row. Rare enough for an admin form; SQLite serialises them anyway.)
        if obj.is_default:
            others = SupportPlan.objects.select_for_update().exclude(pk=obj.pk).order_by("pk")
            for other in [plan for plan in others if plan.is_default]:
                other.is_default = False
                save_audited(other, request.user, f"{obj.name} made the default plan")
        super().save_model(request, obj, form, change)


# --- read only: they change through support/services.py ---------------------------------------------------


@admin.register(AffectedPerson)
class AffectedPersonAdmin(ShownFieldsOnlyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    fields = ["incident", "person", "exposure", "supporter", "supporter_kind", "added_at", "declined_all_at"]
    readonly_fields = fields
    list_display = fields
    list_filter = ["exposure", "supporter_kind"]
    list_select_related = ["incident", "person", "supporter"]

    def get_queryset(self, request):
        return register.restrict(AdminSite(request.user), RegisterAction.VIEW, super().get_queryset(request))


@admin.register(FollowUp)
class FollowUpAdmin(ShownFieldsOnlyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The status tier only. Not SimpleHistoryAdmin: the history rows hold the note and the outcome."""

    fields = ["person", "assignee", "kind", "label", "due_at", "status", "closed_at", "incident"]
    readonly_fields = fields
    list_display = fields
    list_filter = ["status", "kind"]
    list_select_related = ["person", "assignee", "incident"]

    def get_queryset(self, request):
        # The policy shows the admin site only the register's follow-ups: a request for support is private.
        return follow_ups.restrict(AdminSite(request.user), FollowUpAction.VIEW, super().get_queryset(request))


class DebriefInviteeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DebriefInvitee
    fields = ["person", "response", "responded_at", "attended"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Debrief)
class DebriefAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    fields = ["incident", "kind", "starts_at", "duration_minutes", "location", "facilitator", "status",
              "cancel_reason", "sequence", "learning_notes", "created_by", "created_at", "updated_at"]
    readonly_fields = fields
    list_display = ["incident", "kind", "starts_at", "facilitator", "status"]
    list_filter = ["kind", "status"]
    list_select_related = ["incident", "facilitator"]
    inlines = [DebriefInviteeInline]

    def get_queryset(self, request):
        seen = incidents.restrict(AdminSite(request.user), Action.VIEW)
        return super().get_queryset(request).filter(incident__in=seen)

