"""People on the admin site: staff and teams. People are deactivated, never deleted; a change of who may
act (deactivation, an organisation role) is told to the rest of the house (people.signals.access_changed),
and is kept in each person's history."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import Team, User
from .signals import access_changed


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "full_name", "email", "team", "job_title", "line_manager", "is_active"]
    list_filter = ["team", "groups", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "email"]
    ordering = ["full_name"]
    autocomplete_fields = ["line_manager", "team"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("full_name", "email", "team", "job_title", "line_manager")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "email", "password1", "password2")}),
    )

    def has_delete_permission(self, request, obj=None):
        # People are deactivated, never deleted: their records stay whole, and the confirmation page would
        # list records (a request for support, say) that are not the administrator's to see.
        return False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and {"is_active", "groups"} & set(form.changed_data):
            access_changed.send(sender=User, person=form.instance, by=request.user, door="admin")
