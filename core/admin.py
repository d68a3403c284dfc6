"""The admin's shared manners, and the one outbox's page.

The outbox shows where each email stands, never what it says: a subject or a body can name a person, an
incident that is need to know, or how someone is (a check-in's reminder). Nor can its hidden fields be
read a letter at a time by filtering on them from the address."""

from django.contrib import admin
from django.db.models.constants import LOOKUP_SEP

from core.models import Email


class ReadOnlyAdminMixin:
    """Append-only records: viewable, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ShownFieldsOnlyMixin:
    """Filters from the address only on the fields the admin shows: Django allows a lookup on any of a
    model's fields, and counting the rows such a filter leaves would read a hidden one a letter at a
    time."""

    def lookup_allowed(self, lookup, value, request=None):
        if lookup.split(LOOKUP_SEP)[0] not in {*self.fields, *self.list_filter}:
            return False
        return super().lookup_allowed(lookup, value, request)


@admin.register(Email)
class EmailAdmin(ShownFieldsOnlyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Where each email stands, never what it says."""

    fields = ["to", "kind", "state", "attempts", "next_attempt_at", "sent_at", "last_error", "created_at"]
    readonly_fields = fields
    list_display = ["to", "kind", "state", "attempts", "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["kind", "state"]
    search_fields = ["to"]
