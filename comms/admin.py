"""Admin for communications. Holding-statement templates are edited here; messages, versions and
approvals can be read (they change only through the services, with their rules). A message's emails are
the one outbox's (core/admin.py)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.actors import AdminSite
from incidents.admin import ReadOnlyAdminMixin

from .models import HoldingTemplate, MediaEnquiry, Message, MessageVersion
from .policy import Action, enquiries, messages


@admin.register(HoldingTemplate)
class HoldingTemplateAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "subject", "body"]
    fieldsets = ((None, {
        "fields": ["name", "kind", "active", "subject", "body"],
        "description": "Write with compassion: no speculation, no names, what is being done, when more will "
                       "follow. {date} and {service_area} are filled in when the template is used.",
    }),)


class VersionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = MessageVersion
    fields = ["number", "subject", "author", "created_at", "content_hash"]
    readonly_fields = fields
    extra = 0


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["subject", "incident", "audience", "status", "version", "released_at"]
    list_filter = ["status", "audience"]
    search_fields = ["subject"]
    inlines = [VersionInline]

    def get_queryset(self, request):
        return messages.restrict(AdminSite(request.user), Action.VIEW, super().get_queryset(request))


@admin.register(MediaEnquiry)
class MediaEnquiryAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["outlet", "incident", "status", "deadline", "owner"]
    list_filter = ["status"]

    def get_queryset(self, request):
        return enquiries.restrict(AdminSite(request.user), Action.VIEW, super().get_queryset(request))
