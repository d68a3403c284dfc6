"""The admin site, for system administrators. Incident changes made here go through the same services
as the console and the API, so they are audited, appear on the timeline and reach open workspaces live.
The admin site acts as a named actor (`AdminSite`), with its own rules in the incident policy; it is not
a way round them. Decision-log entries and timeline events can be read here, never changed or deleted."""

from __future__ import annotations

from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from core.actors import AdminSite
from core.admin import ReadOnlyAdminMixin
from core.errors import Conflict

from . import services
from .models import (
    ApiToken,
    Decision,
    Incident,
    Membership,
    TimelineEvent,
)
from .policy import Action, TokenAction, api_tokens, incidents
from .tokens import api_token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Whose tokens there are, what for, and when they were made, used and stopped; and a way to revoke
    them. Never the token itself (only its digest is kept, and that is not shown either), and no way to
    make one: a person makes their own, and sees it once."""

    list_display = ["name", "user", "created_at", "expires_at", "last_used_at", "state"]
    list_filter = ["end_reason"]
    search_fields = ["name", "user__username", "user__full_name"]
    fields = ["user", "name", "created_at", "expires_at", "last_used_at", "ended_at", "end_reason", "ended_by"]
    readonly_fields = fields
    list_select_related = ["user"]
    actions = ["revoke"]

    def get_queryset(self, request):
        return api_tokens.restrict(AdminSite(request.user), TokenAction.VIEW, super().get_queryset(request))

    @admin.display(description="State")
    def state(self, token: ApiToken) -> str:
        if token.ended_at:
            return f"Stopped: {token.get_end_reason_display().lower()}"
        return "Works" if token.is_live() else "Expired"

    def has_revoke_permission(self, request) -> bool:
        return api_tokens.qualifies(AdminSite(request.user), api_tokens.rules[TokenAction.REVOKE])

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = 0
        for token_id in queryset.values_list("pk", flat=True):
            try:
                api_token_revoke(actor=AdminSite(request.user), token_id=token_id)
            except Conflict:
                continue  # it had already stopped working
            revoked += 1
        self.message_user(request, f"Revoked {revoked} token{'s' if revoked != 1 else ''}.", messages.SUCCESS)


class MembershipInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Membership
    fields = ["user", "role", "reason", "added_by", "added_at", "removed_at", "removed_by", "removed_reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Incident)
class IncidentAdmin(SimpleHistoryAdmin):
    list_display = ["reference", "title", "kind", "severity", "status", "restricted", "opened_at"]
    list_filter = ["status", "kind", "severity", "restricted"]
    search_fields = ["reference", "title"]
    readonly_fields = ["reference", "status", "opened_by", "opened_at", "updated_at"]
    fields = ["reference", "title", "kind", "severity", "status", "restricted", "occurred_at", "aware_at", "summary",
              "opened_by", "opened_at", "updated_at"]
    inlines = [MembershipInline]

    def has_delete_permission(self, request, obj=None):
        return False  # incidents are records; they are closed, never deleted

    def get_queryset(self, request):
        return incidents.restrict(AdminSite(request.user), Action.VIEW, super().get_queryset(request))

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in services.EDITABLE_FIELDS if field in form.cleaned_data}
        if change:
            changes = {field: data[field] for field in form.changed_data if field in data}
            saved = services.incident_update(actor=AdminSite(request.user), incident_id=obj.pk, changes=changes)
        else:
            saved = services.incident_open(actor=AdminSite(request.user), **data)
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["incident", "number", "decided_by", "decided_at", "recorded_at", "corrects"]
    list_filter = ["incident"]
    search_fields = ["decision", "rationale"]


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["incident", "at", "type", "actor", "summary"]
    list_filter = ["type"]
    search_fields = ["summary"]
